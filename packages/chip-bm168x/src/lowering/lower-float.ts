// Float lowerings (F32 / F16 / BF16) of single top ops for the BM1684X family (spec deploy.md §3.5
// "float lowering", §3.10). The same tpu ops as INT8, typed f32 / f16 / bf16: weights stored in
// the mode's type (F16/BF16 filters as 16-bit patterns), activations cast at the boundaries. Each
// returns the replacement value, or undefined when the op has no tpu form here: the driver then
// keeps the top op, typed in the mode's float type.
//
// Precision rules of TPU-MLIR followed here (the op computes in F32 although the mode is F16/BF16,
// with casts around it):
// - AvgPool in F16 mode → F32 (spec §3.10 AvgPool). ReduceMean over H,W, which we lower as a
//   global average pool, follows the same rule (our choice, as the pool form is ours).
// - Softmax in F16/BF16 → F32 when the axis is longer than LMEM_BANK_BYTES / 2 (spec §3.10
//   Softmax; bank = local memory / banks from the target table, 8192 elements on BM1684X).
// - LayerNorm in BF16 on BM1688 / CV186X → F32; MulConst whose |const_val| exceeds the F16 / BF16
//   range → F32, GELU in F16 / BF16 on BM1684X / BM1690 → F32 (spec §3.10; lower-float-extra.ts,
//   which lowers the transformer / OCR ops: LayerNorm, GELU, HardSwish, MulConst, Slice, ...).
// - Conv: the bias stays f32 in F16/BF16 modes, as TPU-MLIR's Conv LoweringF16 asserts ("bias has
//   to be f32"); only the filter is converted. MatMul converts its bias with the right operand on
//   BM1684X and BM1690 (`bias_use_fp32 = !(isBM1684X() || isBM1690Family())` in MatMul.cpp); on
//   BM1688 / CV186X the bias stays f32.
// Rounding: f32 → bf16 is round-to-nearest-even on the f32 bits (TPU-MLIR's bm_f32_to_bf16, for
// weights and casts alike); every float tpu op computes in f32 (we use f64) from its already
// rounded inputs and rounds its result once, after the fused ReLU / relu_limit (the tpu ops'
// `inference`: compute, then BF16(...) / F16(...) over the output).
import type { FloatType, Op, TargetInfo, TensorType, Value } from '@tpu-quant/ir';
import { bf16, f16, f32, lmemBankBytes, tensorType, top } from '@tpu-quant/ir';
import type { ActiveAttrs } from '../dialect/generated/attrs.js';
import * as tpu from '../dialect/generated/builders.js';
import type { LoweringContext } from './context.js';
import { poolWindow, reduceMeanWindow, type PoolWindow } from './lower-int8.js';
import { actMatMul, EXTRA_FLOAT_LOWERINGS, layerNormType, mulConstType } from './lower-float-extra.js';

export type FloatModeName = 'F32' | 'F16' | 'BF16';

/** The element type of each float mode. */
export const FLOAT_TYPES: Readonly<Record<FloatModeName, FloatType>> = { F32: f32, F16: f16, BF16: bf16 };

export interface FloatMode {
  readonly name: FloatModeName;
  readonly type: FloatType;
  readonly target: TargetInfo;
}

export type FloatLowering = (op: Op, cx: LoweringContext, m: FloatMode) => Value | undefined;

const isNone = (v: Value | undefined): boolean => v === undefined || v.type.kind === 'none';

/** Builder options placing the new op before `op`, with `op`'s location and result shape in type `t`. */
function at(op: Op, cx: LoweringContext, t: FloatType) {
  cx.b.setInsertionPointBefore(op);
  return { loc: op.loc, resultType: tensorType((op.result().type as TensorType).shape, t) };
}

/** Operand `v` in type `t`: a weight stored in `t`, or an activation cast to `t`. */
function operandIn(cx: LoweringContext, v: Value, t: FloatType, before: Op): Value | undefined {
  if (v.producer?.type === 'top.Weight') return cx.floatWeight(v, t, before);
  return cx.float(v, t);
}

const conv: FloatLowering = (op, cx, m) => {
  const a = top.convAttrs(op);
  if (a.kernel_shape.length !== 2 || a.inserts?.some((x) => x !== 0) || (a.auto_pad && a.auto_pad !== 'NOTSET')) return undefined;
  const filter = cx.floatWeight(op.operand(1), m.type, op);
  const biasV = op.operands[2];
  if (!filter || (!isNone(biasV) && biasV!.producer?.type !== 'top.Weight')) return undefined;
  const input = cx.float(op.operand(0), m.type);
  const withBias = !isNone(biasV);
  return tpu.conv2D(
    cx.b,
    { input, filter, ...(withBias ? { bias: biasV! } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      do_relu: a.do_relu, relu_limit: a.relu_limit, with_bias: withBias,
    },
    at(op, cx, m.type),
  ).result();
};

const add: FloatLowering = (op, cx, m) => {
  const a = top.addAttrs(op);
  const inputs = op.operands.map((v) => operandIn(cx, v, m.type, op));
  if (inputs.some((v) => v === undefined)) return undefined;
  return tpu.add(
    cx.b,
    { inputs: inputs as Value[] },
    { do_relu: a.do_relu, relu_limit: a.relu_limit, ...(a.coeff ? { coeff: a.coeff } : {}) },
    at(op, cx, m.type),
  ).result();
};

function pool2d(op: Op, cx: LoweringContext, mode: 'Avg' | 'Max', w: PoolWindow, t: FloatType): Value {
  const input = cx.float(op.operand(0), t);
  return tpu.pool2D(
    cx.b,
    { input },
    { kernel_shape: w.kernel, strides: w.strides, pads: w.pads, pool_mode: mode, count_include_pad: w.countIncludePad, do_relu: w.doRelu, relu_limit: w.reluLimit },
    at(op, cx, t),
  ).result();
}

/** AvgPool computes in F32 when the mode is F16 (spec §3.10). */
const avgType = (m: FloatMode): FloatType => (m.name === 'F16' ? f32 : m.type);

const avgPool: FloatLowering = (op, cx, m) => {
  const w = poolWindow(op, top.avgPoolAttrs(op));
  return w && pool2d(op, cx, 'Avg', w, avgType(m));
};

const maxPool: FloatLowering = (op, cx, m) => {
  const w = poolWindow(op, top.maxPoolAttrs(op));
  return w && pool2d(op, cx, 'Max', w, m.type);
};

const reduce: FloatLowering = (op, cx, m) => {
  const w = reduceMeanWindow(op);
  return w && pool2d(op, cx, 'Avg', w, avgType(m));
};

const reshape: FloatLowering = (op, cx, m) => {
  const ot = op.result().type as TensorType;
  if (ot.shape.some((d) => d < 0)) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.reshape(cx.b, { input }, { shape: [...ot.shape] }, at(op, cx, m.type)).result();
};

const matMul: FloatLowering = (op, cx, m) => {
  const a = top.matMulAttrs(op);
  if (a.left_transpose || a.output_transpose || a.hdim_is_batch) return undefined;
  const rv = op.operand(1);
  // an activation (or batched) right operand: lower-float-extra.ts
  if ((rv.type as TensorType).shape.length !== 2 || rv.producer?.type !== 'top.Weight') return actMatMul(op, cx, m);
  const right = cx.floatWeight(rv, m.type, op);
  const biasV = op.operands[2];
  if (!right || (!isNone(biasV) && biasV!.producer?.type !== 'top.Weight')) return undefined;
  const bias = isNone(biasV) ? undefined : matMulBiasKeepsF32(m.target) ? biasV! : cx.floatWeight(biasV!, m.type, op);
  if (!isNone(biasV) && !bias) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.matMul(
    cx.b,
    { input, right, ...(bias ? { bias } : {}) },
    { right_transpose: a.right_transpose, keep_dims: a.keep_dims, do_relu: a.do_relu, relu_limit: a.relu_limit },
    at(op, cx, m.type),
  ).result();
};

/** Whether a float MatMul keeps an f32 bias: not on BM1684X and BM1690, which convert it (module doc). */
const matMulBiasKeepsF32 = (t: TargetInfo): boolean => t.name !== 'bm1684x' && t.name !== 'bm1690';

/** LMEM_BANK_BYTES / 2 (compared with an element count, as TPU-MLIR does). */
const halfBank = (t: TargetInfo): number => (lmemBankBytes(t) ?? t.localMemBytes) / 2;

const softmax: FloatLowering = (op, cx, m) => {
  const a = top.softmaxAttrs(op);
  const shape = (op.operand(0).type as TensorType).shape;
  const len = shape[a.axis < 0 ? a.axis + shape.length : a.axis] ?? 0;
  const t = m.name !== 'F32' && len > halfBank(m.target) ? f32 : m.type;
  const input = cx.float(op.operand(0), t);
  return tpu.softmax(cx.b, { input }, { axis: a.axis, log: a.log, beta: a.beta }, at(op, cx, t)).result();
};

/** A unary op as tpu.Active `mode` (when `ok` accepts its attributes). */
function active(mode: ActiveAttrs['mode'], ok: (op: Op) => boolean = () => true): FloatLowering {
  return (op, cx, m) => {
    if (!ok(op)) return undefined;
    const input = cx.float(op.operand(0), m.type);
    return tpu.active(cx.b, { input }, { mode }, at(op, cx, m.type)).result();
  };
}

/** The top ops lowered to float tpu ops, by type. */
export const FLOAT_LOWERINGS: Readonly<Record<string, FloatLowering>> = {
  'top.Conv': conv,
  'top.Add': add,
  'top.AvgPool': avgPool,
  'top.MaxPool': maxPool,
  'top.Reduce': reduce,
  'top.Reshape': reshape,
  'top.Flatten': reshape,
  'top.Squeeze': reshape,
  'top.Unsqueeze': reshape,
  'top.MatMul': matMul,
  'top.Softmax': softmax,
  'top.Sigmoid': active('SIGMOID', (op) => {
    const a = top.sigmoidAttrs(op);
    return !a.log && a.scale === 1 && a.bias === 0;
  }),
  'top.Tanh': active('TANH'),
  'top.SiLU': active('SILU'),
  'top.Exp': active('EXP'),
  'top.Log': active('LOG'),
  'top.Sqrt': active('SQRT'),
  'top.Abs': active('ABS'),
  ...EXTRA_FLOAT_LOWERINGS,
};

/**
 * The float type a top op kept as a top op computes in (TPU-MLIR's exceptions, module doc). Only
 * ops whose lowering refused their operands get here; LayerNorm and MulConst keep their F32 rules.
 */
export function keptFloatType(op: Op, m: FloatMode): FloatType {
  if (op.type === 'top.LayerNorm') return layerNormType(m);
  if (op.type === 'top.MulConst') return mulConstType(m, top.mulConstAttrs(op).const_val);
  return m.type;
}
