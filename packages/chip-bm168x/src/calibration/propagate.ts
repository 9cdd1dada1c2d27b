// Range propagation before lowering (spec deploy.md §3.4; TopToTpuPass.cpp, `calibration_process`
// and its patterns): data-movement ops get the same range in and out so that INT8 lowering needs
// no requantization there, and sign rules keep what the kernels cannot mix.
//
// TPU-MLIR applies each group of patterns with MLIR's greedy driver; we sweep the ops bottom-up
// (the driver's default order) until a sweep changes nothing, at most 10 sweeps per group (the
// driver's default limit). Folding and dead-code removal, which the driver also does, are left
// out: they do not change ranges.
//
// Where spec §3.4 and the code differ we follow the code: Reshape, Permute, Slice, Pad, Upsample
// and Squeeze/Unsqueeze only copy ranges forward; backward copies are Relu, MaxPool,
// MaxPoolWithMask, Depth2Space, Abs, (Leaky)Relu/PRelu keeping their input's min, and
// Concat/Min/Max (all inputs) and Add-of-Muls.
//
// Deliberate differences from TPU-MLIR:
// - A Mul of two unsigned inputs with a signed output is a user error here (TPU-MLIR aborts).
// - Rules that read an input's range skip an input that has none (TPU-MLIR would read garbage
//   or abort).
import type { Module, Op, Value } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import { calibratedOf, familyOf, numAttr, setCalibrated, setElement, strAttr } from './calibrated.js';
import {
  backwardAddToMuls,
  backwardMultiIn,
  backwardRange,
  compareRange,
  forwardOp,
  forwardUsers,
  selectiveMaskedFill,
  selectiveWhere,
} from './propagate-rules.js';

export interface PropagateOptions {
  /** The processor (`bm1684x` unless told): CV18xx and BM1684 use a few different rules. */
  readonly processor?: string;
  /** The qtable: a Where / MaskedFill kept in F32 or F16 does not push its range back. */
  readonly quantizeTable?: ReadonlyMap<string, string>;
}

/** A rewrite of one op; true when it changed something. */
export type Rule = (op: Op) => boolean;

/**
 * TPU-MLIR's `calibration_process`: runs on a module in state TOP_CALIBRATED (does nothing
 * otherwise) and returns how many rule applications changed a type.
 */
export function propagateCalibration(module: Module, opts: PropagateOptions = {}): number {
  const state = module.attrs.get('module.state');
  if (state?.kind !== 'string' || state.value !== 'TOP_CALIBRATED') return 0;
  const family = familyOf(opts.processor ?? 'bm1684x');
  const cv18xx = family === 'cv18xx';
  const qtable = opts.quantizeTable ?? new Map<string, string>();
  const floatOp = (op: Op): boolean => ['F32', 'F16'].includes(qtable.get(op.name ?? '') ?? '');
  const on = (types: readonly string[], rule: Rule): Rule => (op) => types.includes(op.type) && rule(op);
  const keepSigns = [on(['top.AvgPool', 'top.MaxPool', 'top.Abs'], keepSign), on(['top.SubConst'], subConstSign)];
  const selective = [on(['top.Where'], (op) => selectiveWhere(op, floatOp(op))), on(['top.MaskedFill'], (op) => selectiveMaskedFill(op, floatOp(op)))];

  const groups: Rule[][] = [
    [on(['top.Reshape', 'top.Permute'], forwardRange)],
    keepSigns,
    cv18xx ? [] : [on(['top.Mul'], keepMulSign), on(['top.SubConst'], subConstSign), on(['top.Sub'], subSign)],
    [on(['top.Concat', 'top.Min', 'top.Max'], backwardMultiIn)],
    [
      on(['top.Relu', 'top.MaxPool', 'top.MaxPoolWithMask', 'top.Depth2Space', 'top.Abs'], (op) => backwardRange(op, false)),
      ...(cv18xx
        ? [on(['top.LeakyRelu', 'top.ScatterND'], (op) => backwardRange(op, false))]
        : [on(['top.PRelu', 'top.LeakyRelu'], (op) => backwardRange(op, true))]),
    ],
    family === 'bm1684x' ? [on(['top.Add'], backwardAddToMuls)] : [],
    [on(['top.Compare'], compareRange)],
    selective,
    [
      on(FORWARD_OPS, forwardRange),
      on(['top.MulConst'], forwardMulConst),
      on(['top.Arg'], forwardArg),
      ...(cv18xx ? [on(['top.Reduce'], forwardReduce)] : [on(['top.PRelu'], forwardRange)]),
      ...(family === 'bm1684' ? [on(['top.AvgPool'], forwardRange)] : []),
    ],
    keepSigns,
    selective,
  ];
  let changes = 0;
  for (const f of module.funcs) {
    for (const rules of groups) {
      if (rules.length === 0) continue;
      for (let sweep = 0; sweep < 10; sweep++) {
        let changed = 0;
        const ops = f.ops;
        for (let i = ops.length - 1; i >= 0; i--) for (const rule of rules) if (rule(ops[i]!)) changed++;
        changes += changed;
        if (changed === 0) break;
      }
    }
    if (f.returnOp) f.resultTypes = f.outputs.map((v) => v.type);
  }
  return changes;
}

/** Ops whose output takes the input's range (`ForwardCalibartion<...>`). */
const FORWARD_OPS = [
  'top.Relu', 'top.MaxPool', 'top.MinConst', 'top.MaxConst', 'top.MaxPoolWithMask', 'top.MaxUnpool', 'top.Reshape',
  'top.Unsqueeze', 'top.Squeeze', 'top.Slice', 'top.Tile', 'top.Pad', 'top.Permute', 'top.Reverse', 'top.Upsample',
  'top.LeakyRelu', 'top.Abs',
];

// ---- forward rules ------------------------------------------------------------------------

/** `ForwardCalibartion`: a calibrated input's range goes to the output, then to its reshapes. */
function forwardRange(op: Op): boolean {
  const inR = calibratedOf(op.operand(0));
  if (!inR || !setElement(op.result(0), inR)) return false;
  forwardUsers(op.result(0));
  return true;
}

/** cv18xx only: ReduceMax / ReduceMin keep the range. */
function forwardReduce(op: Op): boolean {
  const mode = strAttr(op, 'mode');
  return (mode === 'ReduceMax' || mode === 'ReduceMin') && forwardRange(op);
}

/** `ForwardMulConst`: [min, max]·c (swapped when c < 0). */
function forwardMulConst(op: Op): boolean {
  const inR = calibratedOf(op.operand(0));
  if (!inR) return false;
  const c = numAttr(op, 'const_val', 1);
  let max = c >= 0 ? inR.max : inR.min;
  let min = c >= 0 ? inR.min : inR.max;
  if (c !== 0) {
    max *= c;
    min *= c;
  }
  const out = op.result(0);
  if (!setCalibrated(out, min, max)) return false;
  forwardUsers(out);
  return true;
}

/** `ForwardArg`: Arg's `values` result takes the input's range. */
function forwardArg(op: Op): boolean {
  const values = op.results[1];
  const inR = calibratedOf(op.operand(0));
  if (!values || values.type.kind !== 'tensor' || !inR || !setElement(values, inR)) return false;
  forwardUsers(values);
  return true;
}

/** `ForwardSign(out)`: AvgPool / MaxPool / Abs users take its range; else its reshapes do. */
function forwardSign(out: Value): void {
  for (const u of out.uses) {
    if (['top.AvgPool', 'top.MaxPool', 'top.Abs'].includes(u.op.type)) forwardOp(u.op);
    else forwardUsers(out);
  }
}

// ---- sign rules ---------------------------------------------------------------------------

/**
 * `KeepSignPattern` (AvgPool, MaxPool, Abs): the output keeps the input's sign. A signed input
 * with an unsigned output gets min = −0.1·max (a C float); an unsigned input with a signed
 * output gets min = 0.
 */
function keepSign(op: Op): boolean {
  const inR = calibratedOf(op.operand(0));
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!inR || !outR) return false;
  if ((inR.min < 0) === (outR.min < 0)) return false;
  const min = inR.min < 0 ? Math.fround(-outR.max * 0.1) : 0;
  if (!setCalibrated(out, min, outR.max, outR.expressed)) return false;
  forwardSign(out);
  return true;
}

/** `SetSubConstSignPattern`: X − c of an unsigned X stays signed: [−0.1·max, max]. */
function subConstSign(op: Op): boolean {
  const inR = calibratedOf(op.operand(0));
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!inR || !outR || inR.min < 0 || outR.min < 0) return false;
  if (!setCalibrated(out, outR.max * -0.1, outR.max, outR.expressed)) return false;
  forwardUsers(out);
  return true;
}

/** `SetSubSignPattern`: a Sub output is always signed: [−0.1·max, max] when its min ≥ 0. */
function subSign(op: Op): boolean {
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!outR || outR.min < 0) return false;
  if (!setCalibrated(out, outR.max * -0.1, outR.max, outR.expressed)) return false;
  forwardUsers(out);
  return true;
}

/**
 * `KeepMulSignPattern` (two-input Mul): the first input must have the output's sign. If only the
 * second has it, the inputs are swapped; if both are signed and the output is not, the output
 * becomes signed ([−0.1·max, max], a C float). A constant input counts by its one value (a
 * constant of more than one value stops the rule).
 */
function keepMulSign(op: Op): boolean {
  if (op.operands.length !== 2) return false;
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!outR) return false;
  const outSigned = outR.min < 0;
  const signs: boolean[] = [];
  for (const v of op.operands) {
    const s = inputSigned(v, op.parent?.parent);
    if (s === undefined) return false;
    signs.push(s);
  }
  if (signs[0] === outSigned) return false;
  if (signs[1] === outSigned) {
    op.setOperands([op.operand(1), op.operand(0)]);
    return true;
  }
  if (signs[0]) {
    if (!setCalibrated(out, Math.fround(-outR.max * 0.1), outR.max, outR.expressed)) return false;
    forwardUsers(out);
    return true;
  }
  throw new UserError(
    'E_CALIBRATION',
    `Mul "${op.name ?? '?'}": both inputs are unsigned but the output range [${outR.min}, ${outR.max}] is signed`,
    'check the calibration table rows of this op and its inputs',
  );
}

function inputSigned(v: Value, module: Module | undefined): boolean | undefined {
  const p = v.producer;
  if (p?.type === 'top.Weight') {
    const t = v.type;
    if (t.kind !== 'tensor' || t.shape.reduce((a, b) => a * b, 1) !== 1) return undefined;
    const data = module?.weights.get(p.name ?? '');
    if (!data) return undefined;
    return !(Number(data.data[0]) >= 0);
  }
  const r = calibratedOf(v);
  return r ? r.min < 0 : undefined;
}
