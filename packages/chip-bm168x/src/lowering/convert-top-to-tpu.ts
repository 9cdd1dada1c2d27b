// `convert-top-to-tpu{chip=<BM1684X family> mode=INT8|F32|F16|BF16}`: lowers a top module to the
// `tpu` dialect, TPU-MLIR's --convert-top-to-tpu for the BM1684X family (spec deploy.md §3.5,
// §3.6, §3.10).
//
// INT8 (a calibrated module, after importCalibration + propagateCalibration): ops listed in
// INT8_LOWERINGS become integer tpu ops; Softmax becomes a float tpu.Softmax (in F32). Every
// other op (and any of those whose INT8 preconditions fail: no calibration, constant inputs,
// asymmetric-only paths, ...) stays the top op, typed in the chip's float type for mixing
// (`floatForMix`: F16 on the BM1684X family, §3.8), with dequantizing casts on its int8 inputs.
//
// F32 / F16 / BF16: ops listed in FLOAT_LOWERINGS become tpu ops of that float type (weights
// stored in it), with TPU-MLIR's per-op exceptions that stay in F32 (lower-float.ts); every other
// op stays the top op, typed in the mode's float type. The network input (f32) is cast to the
// mode's type where a consumer needs it.
//
// In every mode casts are inserted where types meet (§3.6, named `<value>_<type>`), and network
// outputs are cast to f32.
//
// Deliberate differences from TPU-MLIR:
// - ops without a tpu form here keep their top op type (TPU-MLIR has a tpu op for nearly all);
//   on the js runtime such a top op computes in f32 and its f16/bf16 result is rounded where a
//   tpu op reads it;
// - Softmax is always float in INT8, and in F32 there (TPU-MLIR: an INT8 exp-table kernel for axis
//   1, rank ≤ 4, else F16). Kept F32 so the dequantized logits keep their `<name>_f32` cast, which
//   the CLI's MobileNetV2 INT8 check reads;
// - no qtable, no --asymmetric (refused), no canonicalize or weight-fold afterwards; unused float
//   weights are erased.
import type { FloatType, Module, Op, TensorType, Value } from '@tpu-quant/ir';
import { eraseDeadOps, getTarget, stringAttr, tensorType, top, UserError, verifyModule } from '@tpu-quant/ir';
import { softmax as tpuSoftmax } from '../dialect/generated/builders.js';
import { LoweringContext } from './context.js';
import { FLOAT_LOWERINGS, FLOAT_TYPES, keptFloatType, type FloatMode, type FloatModeName } from './lower-float.js';
import { INT8_LOWERINGS } from './lower-int8.js';

export interface LowerOptions {
  /** Processor name (bm1684x, bm1688, bm1690, cv186x). */
  readonly chip: string;
  readonly mode: string;
  readonly asymmetric?: boolean;
}

export interface LowerReport {
  /** How many top ops became INT8 tpu ops. */
  readonly int8: number;
  /** How many top ops became float tpu ops (F32/F16/BF16 modes). */
  readonly floatTpu?: number;
  /** Top op types left in float (with casts), and how many of each. */
  readonly float: Map<string, number>;
  /** tpu.Cast ops inserted. */
  readonly casts: number;
}

const PASS_THROUGH = new Set(['top.Weight', 'top.None', 'top.Input', 'func.return']);

export function lowerTopToTpu(module: Module, opts: LowerOptions): LowerReport {
  const mode = opts.mode.toUpperCase();
  if (mode === 'F32' || mode === 'F16' || mode === 'BF16') return lowerFloat(module, opts.chip, mode);
  if (mode !== 'INT8') {
    throw new UserError('E_UNSUPPORTED_MODE', `convert-top-to-tpu: mode ${opts.mode} is not lowered yet`, 'lowered modes: INT8, F32, F16, BF16');
  }
  if (opts.asymmetric) throw new UserError('E_UNSUPPORTED_MODE', 'convert-top-to-tpu: asymmetric INT8 is not lowered yet', 'lower symmetric INT8');
  const state = module.attrs.get('module.state');
  if (state?.kind !== 'string' || state.value !== 'TOP_CALIBRATED') {
    throw new UserError('E_MODULE_STATE', `convert-top-to-tpu{mode=INT8} needs a calibrated module, this one is in state ${state?.kind === 'string' ? state.value : '(none)'}`, 'import a calibration table first (importCalibration, propagateCalibration)');
  }
  const cx = new LoweringContext(module, false);
  const f = module.main;
  const castsBefore = countCasts(module);
  const mix = FLOAT_TYPES[getTarget(opts.chip.toLowerCase()).floatForMix as FloatModeName] ?? FLOAT_TYPES.F32;
  let int8 = 0;
  const float = new Map<string, number>();
  for (const op of [...f.ops]) {
    if (op.type === 'top.Input') {
      for (const r of op.results) cx.makeFloat(r);
      continue;
    }
    if (PASS_THROUGH.has(op.type)) continue;
    const lowered = INT8_LOWERINGS[op.type]?.(op, cx);
    if (lowered) {
      op.result().replaceAllUsesWith(lowered);
      op.erase();
      int8++;
      continue;
    }
    if (op.type === 'top.Softmax' && op.results.length === 1) {
      const a = top.softmaxAttrs(op);
      const input = cx.float(op.operand(0));
      cx.makeFloat(op.result());
      cx.b.setInsertionPointBefore(op);
      const out = tpuSoftmax(cx.b, { input }, { axis: a.axis, log: a.log, beta: a.beta }, { loc: op.loc, resultType: op.result().type as TensorType }).result();
      replaceKeepingRange(cx, op, out);
      float.set(op.type, (float.get(op.type) ?? 0) + 1);
      continue;
    }
    keepFloat(op, cx, mix);
    float.set(op.type, (float.get(op.type) ?? 0) + 1);
  }
  finish(module, cx, opts.chip, 'INT8');
  return { int8, float, casts: countCasts(module) - castsBefore };
}

/** F32 / F16 / BF16: every op in the mode's float type, or F32 where TPU-MLIR keeps it there. */
function lowerFloat(module: Module, chip: string, name: FloatModeName): LowerReport {
  const state = module.attrs.get('module.state');
  const s = state?.kind === 'string' ? state.value : '(none)';
  if (s !== 'TOP_F32' && s !== 'TOP_CALIBRATED') {
    throw new UserError('E_MODULE_STATE', `convert-top-to-tpu{mode=${name}} needs a top module, this one is in state ${s}`, 'lower the module written by model_transform');
  }
  const m: FloatMode = { name, type: FLOAT_TYPES[name], target: getTarget(chip.toLowerCase()) };
  const cx = new LoweringContext(module, false);
  const f = module.main;
  const castsBefore = countCasts(module);
  // a calibrated module lowered in a float mode: the ranges are not used
  for (const op of f.ops) for (const r of op.results) cx.makeFloat(r);
  let floatTpu = 0;
  const float = new Map<string, number>();
  for (const op of [...f.ops]) {
    if (PASS_THROUGH.has(op.type)) continue;
    const lowered = FLOAT_LOWERINGS[op.type]?.(op, cx, m);
    if (lowered) {
      op.result().replaceAllUsesWith(lowered);
      op.erase();
      floatTpu++;
      continue;
    }
    keepFloat(op, cx, keptFloatType(op, m));
    float.set(op.type, (float.get(op.type) ?? 0) + 1);
  }
  finish(module, cx, chip, name);
  return { int8: 0, floatTpu, float, casts: countCasts(module) - castsBefore };
}

/** Network outputs cast to f32, dead ops and weights erased, the module marked lowered and verified. */
function finish(module: Module, cx: LoweringContext, chip: string, mode: string): void {
  const f = module.main;
  const ret = f.returnOp;
  if (ret) {
    ret.setOperands(ret.operands.map((v) => cx.float(v)));
    f.resultTypes = ret.operands.map((v) => (v.type.kind === 'tensor' ? tensorType(v.type.shape, elementForReturn(v.type)) : v.type));
  }
  eraseDeadOps(f);
  // weights no op reads any more (f32 filters replaced by their f16 / int8 forms) leave the npz too
  const live = new Set(f.ops.filter((o) => o.type === 'top.Weight').map((o) => o.name));
  for (const k of [...module.weights.keys()]) if (!live.has(k)) module.weights.delete(k);
  module.attrs.set('module.state', stringAttr('TPU_LOWERED'));
  module.attrs.set('module.chip', stringAttr(chip.toLowerCase()));
  module.attrs.set('module.mode', stringAttr(mode));
  verifyModule(module);
}

function elementForReturn(t: TensorType) {
  return t.element.kind === 'quant.calibrated' ? t.element.expressed : t.element;
}

/**
 * A top op left as a top op in float type `t`: its activation operands cast to `t` (dequantized
 * when int8), its float (or calibrated) results typed `t`. Weight operands stay as they are.
 */
function keepFloat(op: Op, cx: LoweringContext, t: FloatType): void {
  op.operands.forEach((v, i) => {
    if (v.producer?.type === 'top.Weight') return;
    const fv = cx.float(v, t);
    if (fv !== v) op.setOperand(i, fv);
  });
  for (const r of op.results) cx.makeFloat(r, t);
}

function replaceKeepingRange(cx: LoweringContext, op: Op, out: Value): void {
  const range = cx.rangeOf(op.result());
  op.result().replaceAllUsesWith(out);
  op.erase();
  if (range) cx.recordRange(out, range);
}

function countCasts(m: Module): number {
  return m.main.ops.filter((o) => o.type === 'tpu.Cast').length;
}
