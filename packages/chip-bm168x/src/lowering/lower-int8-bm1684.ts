// INT8 lowerings of single top ops for BM1684 (spec deploy.md §3.11; lib/Conversion/TopToTpu/
// BM1684/*.cpp). Per-layer (per-tensor) right shifts only: Conv and FC carry `rshift` and int8
// weights that absorb Si/So, with an int16 bias; Add has one 8-bit multiplier and shift per input;
// AvgPool divides by the window with BM1684's fixed 1/k table and does not rescale. Each lowering
// returns the replacement value, or undefined where TPU-MLIR lowers the op in F32 (BM1684's only
// float type): the driver then keeps the top op in f32 with casts around it.
//
// Also as TPU-MLIR does: relu_limit is -1 on the INT8 ops (`relu_process`: the calibrated range
// clips instead); ReduceMean stays F32 (BM1684's Reduce has no INT8 lowering); Softmax is float
// (the driver's). Weights are named `<op>_filter_int8`, `<op>_bias_int16`, `<const>_i8` / `_U8`
// (TPU-MLIR's `WeightOp::create` suffixes).
//
// Deliberate differences from TPU-MLIR:
// - Relu, Sigmoid, SiLU and Tanh are 256-entry tpu.Lut tables (spec §3.11 "activations use LUTs",
//   the BM1684X lowering's tables). TPU-MLIR lowers BM1684 Tanh so, Relu to a tpu.Relu whose INT8
//   result is the same clamp at 0 (input and output share a range after §3.4), and aborts on
//   Sigmoid / SiLU INT8 ("Not Implemented");
// - MaxPool / AvgPool whose input and output scales differ (only without §3.4 propagation) stay
//   F32 instead of reading the input codes in the output's scale;
// - AvgPool with padding that is not counted (count_include_pad = false) stays F32: the integer
//   window sum would divide by the wrong count;
// - asymmetric INT8 is not lowered (spec §3.13: "treat as unsupported").
import type { NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, tensorType, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { quantizeConvBM1684 } from '../quant/conv-weights.js';
import { addMultipliersBM1684, avgPoolMultiplierBM1684, type EltwiseInput } from '../quant/eltwise.js';
import { quantizeFcBM1684 } from '../quant/fc-weights-bm1684.js';
import type { QuantParams } from '../quant/scales.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';
import { INT8_LOWERINGS, poolWindow, type Int8Lowering, type PoolWindow } from './lower-int8.js';

/** Weight data of an operand produced by a loaded top.Weight, as float. */
function weightData(cx: LoweringContext, v: Value): NdArray | undefined {
  const p = v.producer;
  if (p?.type !== 'top.Weight' || p.name === undefined) return undefined;
  const w = cx.module.weights.get(p.name);
  return w && (w.dtype === 'f32' || w.dtype === 'f64') ? w : undefined;
}

const isNone = (v: Value | undefined): boolean => v === undefined || v.type.kind === 'none';

/** Quant params `v` has (already int8) or will have once quantized; undefined without a range. */
function paramsFor(cx: LoweringContext, v: Value): QuantParams | undefined {
  const own = paramsOf(v);
  if (own) return own;
  const t = cx.quantTypeOf(v);
  return t && paramsOfType(t);
}

/** Builder options placing the new op before `op` with `op`'s location. */
function at(op: Op, cx: LoweringContext, resultType: TensorType) {
  cx.b.setInsertionPointBefore(op);
  return { loc: op.loc, resultType };
}

/** The op's bias: { none }, its float data, or undefined when it is not a loaded weight. */
function biasOf(cx: LoweringContext, op: Op): { data?: NdArray } | undefined {
  const v = op.operands[2];
  if (isNone(v)) return {};
  const data = weightData(cx, v!);
  return data && { data };
}

const conv: Int8Lowering = (op, cx) => {
  const a = top.convAttrs(op);
  if (cx.asymmetric || a.kernel_shape.length !== 2 || a.inserts?.some((x) => x !== 0) || (a.auto_pad && a.auto_pad !== 'NOTSET')) return undefined;
  const filter = weightData(cx, op.operand(1));
  const bias = biasOf(cx, op);
  const inQ = paramsFor(cx, op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!filter || !bias || !inQ || !outT) return undefined;
  const q = quantizeConvBM1684({ filter: filter.data as Float32Array, bias: bias.data?.data as Float32Array | undefined, inScale: inQ.scale, outScale: paramsOfType(outT).scale });
  if (!q) return undefined; // the weights cannot take Si/So even unshifted: F32
  const input = cx.int8(op.operand(0))!;
  const fw = cx.weight(`${op.name}_filter_int8`, ndarray('i8', filter.shape, q.filter), op);
  const bw = q.bias && cx.weight(`${op.name}_bias_int16`, ndarray('i16', [q.bias.length], q.bias), op);
  return tpu.conv2D(
    cx.b,
    { input, filter: fw, ...(bw ? { bias: bw } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      do_relu: a.do_relu, relu_limit: -1, with_bias: bw !== undefined, rshift: [q.rshift], quant_mode: 'OnlyShift',
    },
    at(op, cx, outT),
  ).result();
};

const add: Int8Lowering = (op, cx) => {
  const a = top.addAttrs(op);
  const outT = cx.quantTypeOf(op.result());
  if (cx.asymmetric || !outT) return undefined;
  const inputs: (EltwiseInput | undefined)[] = op.operands.map((v) => {
    const c = weightData(cx, v);
    if (c) return { constant: c.data as Float32Array };
    const p = v.producer?.type === 'top.Weight' ? undefined : paramsFor(cx, v);
    return p && { scale: p.scale };
  });
  if (inputs.some((x) => x === undefined)) return undefined;
  const ms = addMultipliersBM1684(inputs as EltwiseInput[], paramsOfType(outT).scale, a.coeff);
  if (!ms) return undefined; // a multiplier outside [0, 127]: F32
  const operands = op.operands.map((v, i) => {
    const c = ms.constants[i];
    if (!c) return cx.int8(v)!;
    const shape = (v.type as TensorType).shape;
    return cx.weight(`${v.name ?? `${op.name}_const`}_${c.signed ? 'i8' : 'U8'}`, ndarray(c.signed ? 'i8' : 'u8', shape, c.data), op);
  });
  return tpu.add(cx.b, { inputs: operands }, { do_relu: a.do_relu, multipliers: ms.multipliers, rshifts: ms.rshifts }, at(op, cx, outT)).result();
};

const sameScale = (p: QuantParams, q: QuantParams): boolean => p.signed === q.signed && Math.abs(p.scale - q.scale) <= 1e-9 * q.scale;

/**
 * MaxPool (the maximum code) and AvgPool (window sum · m >> r with 1/k ≈ m/2^r from BM1684's
 * table) for windows of at most 225 elements; neither rescales, so the output keeps the input's
 * type (the ranges agree after §3.4 propagation, which copies AvgPool's range forward on BM1684).
 */
function pool2d(op: Op, cx: LoweringContext, mode: 'Avg' | 'Max', w: PoolWindow | undefined): Value | undefined {
  if (!w || w.kernel.length !== 2) return undefined;
  const k = w.kernel[0]! * w.kernel[1]!;
  const inQ = paramsFor(cx, op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (k > 225 || !inQ || !outT || !sameScale(inQ, paramsOfType(outT))) return undefined;
  let extra = {};
  if (mode === 'Avg') {
    if (w.pads.some((p) => p !== 0) && !w.countIncludePad) return undefined;
    const ms = avgPoolMultiplierBM1684(k)!;
    extra = { multiplier: ms.multiplier, rshift: ms.shift };
  }
  const input = cx.int8(op.operand(0))!;
  return tpu.pool2D(
    cx.b,
    { input },
    { kernel_shape: w.kernel, strides: w.strides, pads: w.pads, pool_mode: mode, count_include_pad: w.countIncludePad, do_relu: w.doRelu, ...extra },
    at(op, cx, tensorType((outT as TensorType).shape, (input.type as TensorType).element)),
  ).result();
}

/**
 * A fully connected layer (TPU-MLIR's condition: the right operand is a weight, the input's first
 * dimension is M and the weight's first is K); batched or transposed forms stay F32.
 */
const matMul: Int8Lowering = (op, cx) => {
  const a = top.matMulAttrs(op);
  if (cx.asymmetric || a.left_transpose || a.output_transpose || a.hdim_is_batch) return undefined;
  const w = weightData(cx, op.operand(1));
  const inShape = (op.operand(0).type as TensorType).shape;
  if (!w || w.shape.length !== 2 || inShape.length < 2) return undefined;
  const k = a.right_transpose ? w.shape[1]! : w.shape[0]!;
  const m = inShape.slice(0, -1).reduce((p, d) => p * d, 1);
  if (inShape[0] !== m || inShape[inShape.length - 1] !== k || w.shape[0] !== k) return undefined;
  const bias = biasOf(cx, op);
  const inQ = paramsFor(cx, op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!bias || !inQ || !outT) return undefined;
  const q = quantizeFcBM1684({ weight: w.data as Float32Array, bias: bias.data?.data as Float32Array | undefined, inScale: inQ.scale, outScale: paramsOfType(outT).scale });
  const input = cx.int8(op.operand(0))!;
  const rw = cx.weight(`${op.name}_filter_int8`, ndarray('i8', w.shape, q.weight), op);
  const bw = q.bias && cx.weight(`${op.name}_bias_int16`, ndarray('i16', [q.bias.length], q.bias), op);
  return tpu.matMul(
    cx.b,
    { input, right: rw, ...(bw ? { bias: bw } : {}) },
    { right_transpose: a.right_transpose, keep_dims: a.keep_dims, do_relu: a.do_relu, relu_limit: -1, rshifts: [q.rshift] },
    at(op, cx, outT),
  ).result();
};

/** The top ops lowered to INT8 on BM1684, by type (the rest: F32). */
export const INT8_LOWERINGS_BM1684: Readonly<Record<string, Int8Lowering>> = {
  'top.Conv': conv,
  'top.Add': add,
  'top.MaxPool': (op, cx) => pool2d(op, cx, 'Max', poolWindow(op, top.maxPoolAttrs(op))),
  'top.AvgPool': (op, cx) => pool2d(op, cx, 'Avg', poolWindow(op, top.avgPoolAttrs(op))),
  'top.MatMul': matMul,
  // data movement and activation tables: the same tpu ops as the BM1684X family's
  ...Object.fromEntries(
    ['top.Reshape', 'top.Flatten', 'top.Squeeze', 'top.Unsqueeze', 'top.Relu', 'top.Sigmoid', 'top.Tanh', 'top.SiLU'].map((t) => [t, INT8_LOWERINGS[t]!]),
  ),
};
