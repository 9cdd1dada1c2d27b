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
// Mixed precision (§3.5, §3.7): with a qtable each op is lowered in its entry's mode (INT8, F32,
// F16, BF16; mixed-precision.ts) instead of the module's, so an INT8 module can keep some ops in
// F16 and a float module (calibrated) can run some ops in INT8.
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
// - no canonicalize or weight-fold afterwards; unused float weights are erased.
//
// Asymmetric INT8 (`asymmetric`, BM1684X family only; BM1684 refuses it, spec §3.13): uint8/int8
// types with zero points from the table's min/max; Conv/MatMul fold the input zero point into the
// int32 bias, pools, LUTs, MulShift, Concat (RequantInt) and casts carry the zero points; Add, Sub,
// Mul and act×act MatMul go F32 as upstream lowers them (ASYM_F32), other fallbacks the chip's F16.
//
// Partly asymmetric INT8 (`run_calibration --part_asymmetric`: the table's `#asym_op` list, which
// importCalibration turns into `output_asym` on SiLU/GELU and `input_asym` on their Conv/MatMul
// consumers): in a symmetric module only the `output_asym` results get zero-point types (their
// LUT tables map to them), and the consuming Conv/MatMul fold the input zero point into the bias
// as in the asymmetric module; the Conv's own output stays symmetric, as upstream's Conv.cpp
// (`getScaleAndZeroPoint(input, input_asym || asymmetric)`, output with `asymmetric`). Other INT8
// lowerings that cannot carry a zero point (Add, Sub, Mul, AddConst) keep such an input float.
import type { FloatType, Module, Op, TargetInfo, TensorType, Value } from '@tpu-quant/ir';
import { boolAttr, eraseDeadOps, getTarget, resolveMixFloatType, stringAttr, tensorType, top, UserError, verifyModule } from '@tpu-quant/ir';
import { softmax as tpuSoftmax } from '../dialect/generated/builders.js';
import { LoweringContext } from './context.js';
import { FLOAT_LOWERINGS, FLOAT_TYPES, keptFloatType, type FloatMode } from './lower-float.js';
import { INT8_LOWERINGS } from './lower-int8.js';
import { INT8_LOWERINGS_BM1684 } from './lower-int8-bm1684.js';
import { lowerPreprocess } from './lower-preprocess.js';
import { resolveOpModes } from './mixed-precision.js';

export interface LowerOptions {
  /** Processor name (bm1684x, bm1688, bm1690, cv186x; bm1684 lowers INT8 by lower-int8-bm1684.ts). */
  readonly chip: string;
  readonly mode: string;
  readonly asymmetric?: boolean;
  /** The qtable: op name -> mode (INT8, F32, F16, BF16), overriding `mode` for that op (§3.7). */
  readonly quantizeTable?: ReadonlyMap<string, string>;
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

/** Ops upstream lowers in F32 when INT8 is asymmetric (BM1684X/{Add,Sub,Mul,MatMul}.cpp). */
const ASYM_F32 = new Set(['top.Add', 'top.Sub', 'top.Mul', 'top.MatMul']);

const PASS_THROUGH = new Set(['top.Weight', 'top.None', 'top.Input', 'func.return']);

export function lowerTopToTpu(module: Module, opts: LowerOptions): LowerReport {
  const mode = opts.mode.toUpperCase();
  if (mode !== 'INT8' && mode !== 'F32' && mode !== 'F16' && mode !== 'BF16') {
    throw new UserError('E_UNSUPPORTED_MODE', `convert-top-to-tpu: mode ${opts.mode} is not lowered yet`, 'lowered modes: INT8, F32, F16, BF16');
  }
  const modes = resolveOpModes(module, opts.chip, mode, opts.quantizeTable);
  const state = module.attrs.get('module.state');
  const s = state?.kind === 'string' ? state.value : '(none)';
  if (modes.anyInt8 && s !== 'TOP_CALIBRATED') {
    const what = mode === 'INT8' ? 'convert-top-to-tpu{mode=INT8}' : `INT8 ops in the qtable (mode=${mode})`;
    throw new UserError('E_MODULE_STATE', `${what} need a calibrated module, this one is in state ${s}`, 'import a calibration table first (importCalibration, propagateCalibration)');
  }
  if (s !== 'TOP_F32' && s !== 'TOP_CALIBRATED') {
    throw new UserError('E_MODULE_STATE', `convert-top-to-tpu{mode=${mode}} needs a top module, this one is in state ${s}`, 'lower the module written by model_transform');
  }
  const target = getTarget(opts.chip.toLowerCase());
  refuseFloatModeOf(target, mode);
  const asymmetric = opts.asymmetric === true;
  if (asymmetric && target.family !== 'bm1684x') {
    throw new UserError('E_UNSUPPORTED_MODE', `convert-top-to-tpu: asymmetric INT8 is not lowered for ${target.name}`, 'asymmetric INT8 is available on the BM1684X family (bm1684x, bm1688, bm1690, cv186x); use symmetric INT8 here');
  }
  // BM1684's INT8 scheme (per-layer shift, §3.11) differs from the BM1684X family's (§3.10)
  const int8Lowerings = target.family === 'bm1684' ? INT8_LOWERINGS_BM1684 : INT8_LOWERINGS;
  // `output_asym` (the table's #asym_op list) is honoured by the BM1684X family's lowerings only
  const cx = new LoweringContext(module, asymmetric, target.family === 'bm1684x');
  const f = module.main;
  const castsBefore = countCasts(module);
  // INT8 ops whose INT8 lowering does not apply stay float in the chip's mixing type (§3.8)
  const mixName = resolveMixFloatType(opts.chip);
  const mix = FLOAT_TYPES[mixName];
  let int8 = 0;
  let floatTpu = 0;
  const float = new Map<string, number>();
  const keptFloat = (op: Op) => float.set(op.type, (float.get(op.type) ?? 0) + 1);
  // Ops are lowered in order, each in its own mode (qtable entry or module mode, §3.5); a value
  // keeps its calibrated range after its producer is lowered to float, so an INT8 consumer can
  // quantize it again (casts where types meet, §3.6).
  for (const op of [...f.ops]) {
    if (op.type === 'top.Input') {
      for (const r of op.results) cx.makeFloat(r);
      continue;
    }
    if (PASS_THROUGH.has(op.type)) continue;
    const opMode = modes.modeOf(op);
    if (op.type === 'tpu.Preprocess') {
      // inserted by fuse-preprocess: expanded into permute / crop / scale tables or dwconv / swap
      replaceKeepingRange(cx, op, lowerPreprocess(op, cx, opMode));
      continue;
    }
    if (opMode !== 'INT8') {
      const m: FloatMode = { name: opMode, type: FLOAT_TYPES[opMode], target };
      const lowered = FLOAT_LOWERINGS[op.type]?.(op, cx, m);
      if (lowered) {
        replaceKeepingRange(cx, op, lowered);
        floatTpu++;
      } else {
        keepFloat(op, cx, keptFloatType(op, m));
        keptFloat(op);
      }
      continue;
    }
    const lowered = int8Lowerings[op.type]?.(op, cx);
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
      keptFloat(op);
      continue;
    }
    if (asymmetric && ASYM_F32.has(op.type)) {
      // upstream's LoweringINT8 calls LoweringF32 for these when asymmetric
      const lowered32 = FLOAT_LOWERINGS[op.type]?.(op, cx, { name: 'F32', type: FLOAT_TYPES.F32, target });
      if (lowered32) replaceKeepingRange(cx, op, lowered32);
      else keepFloat(op, cx, FLOAT_TYPES.F32);
      keptFloat(op);
      continue;
    }
    // no INT8 form: the op goes to the chip's float type as its float lowering (upstream's
    // LoweringINT8 calling LoweringF16, e.g. LayerNorm), or stays a top op in it
    const loweredMix = FLOAT_LOWERINGS[op.type]?.(op, cx, { name: mixName, type: mix, target });
    if (loweredMix) {
      replaceKeepingRange(cx, op, loweredMix);
      floatTpu++;
    } else keepFloat(op, cx, keptFloatType(op, { name: mixName, type: mix, target }));
    keptFloat(op);
  }
  finish(module, cx, opts.chip, mode);
  return { int8, floatTpu, float, casts: countCasts(module) - castsBefore };
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
  module.attrs.set('module.asymmetric', boolAttr(cx.asymmetric));
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
  cx.carryAsymmetry(op.result(), out);
  op.result().replaceAllUsesWith(out);
  op.erase();
  if (range) cx.recordRange(out, range);
}

function countCasts(m: Module): number {
  return m.main.ops.filter((o) => o.type === 'tpu.Cast').length;
}

/**
 * A module mode the chip has no float type for: BM1684 has only F32 (TPU-MLIR's BM1684 lowerings
 * define no LoweringF16 / LoweringBF16 and abort with "Not Implemented"). CV18xx remaps instead.
 */
function refuseFloatModeOf(target: TargetInfo, mode: string): void {
  if (mode !== 'F16' && mode !== 'BF16') return;
  if ((target.quantModes as readonly string[]).includes(mode) || target.floatRemap?.[mode] !== undefined) return;
  throw new UserError('E_UNSUPPORTED_MODE', `${target.name} has no ${mode}: its float type is ${target.floatForMix} (TPU-MLIR's ${target.name} lowering has no ${mode} and aborts)`, `use --quantize ${target.quantModes.join(' or ')}`);
}
