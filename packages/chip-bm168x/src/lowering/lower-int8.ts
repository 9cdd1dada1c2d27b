// INT8 lowerings of single top ops for the BM1684X family (spec deploy.md §3.10). Each returns the
// replacement value (a new tpu op built before the top op), or undefined when this slice does not
// lower the op in INT8: the driver then keeps the top op in float with casts around it.
import type { NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, tensorType, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { quantizeConvBM1684X } from '../quant/conv-weights.js';
import { addMultipliersBM1684X, avgPoolQuantBM1684X } from '../quant/eltwise.js';
import { buildLut8 } from '../quant/lut.js';
import { quantizeMatMulBM1684X } from '../quant/matmul-weights.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';

export type Int8Lowering = (op: Op, cx: LoweringContext) => Value | undefined;

/** Weight data of an operand produced by a loaded top.Weight, as float. */
function weightData(cx: LoweringContext, v: Value): NdArray | undefined {
  const p = v.producer;
  if (p?.type !== 'top.Weight' || p.name === undefined) return undefined;
  const w = cx.module.weights.get(p.name);
  return w && (w.dtype === 'f32' || w.dtype === 'f64') ? w : undefined;
}

const isNone = (v: Value | undefined): boolean => v === undefined || v.type.kind === 'none';

/** Builder options placing the new op before `op` with `op`'s location. */
function at(op: Op, cx: LoweringContext, resultType: TensorType) {
  cx.b.setInsertionPointBefore(op);
  return { loc: op.loc, resultType };
}

const conv: Int8Lowering = (op, cx) => {
  const a = top.convAttrs(op);
  if (a.kernel_shape.length !== 2 || a.inserts?.some((x) => x !== 0) || (a.auto_pad && a.auto_pad !== 'NOTSET')) return undefined;
  const filter = weightData(cx, op.operand(1));
  const input = cx.int8(op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!filter || !input || !outT) return undefined;
  const inQ = paramsOf(input)!;
  const outQ = paramsOfType(outT);
  const biasV = op.operands[2];
  const bias = isNone(biasV) ? undefined : weightData(cx, biasV!);
  if (!isNone(biasV) && !bias) return undefined;
  const oc = filter.shape[0]!;
  const q = quantizeConvBM1684X({ filter: filter.data as Float32Array, oc, bias: bias?.data as Float32Array | undefined, inScale: inQ.scale, inZeroPoint: inQ.zeroPoint, outScale: outQ.scale });
  const fw = cx.weight(`${op.operand(1).name ?? `${op.name}_filter`}_${q.filterSigned ? 'int8' : 'uint8'}`, ndarray(q.filterSigned ? 'i8' : 'u8', filter.shape, q.filter), op);
  const bw = q.bias ? cx.weight(`${biasV?.name && !isNone(biasV) ? biasV.name : `${op.name}_bias`}_int32`, ndarray('i32', [oc], q.bias), op) : undefined;
  return tpu.conv2D(
    cx.b,
    { input, filter: fw, ...(bw ? { bias: bw } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      do_relu: a.do_relu, relu_limit: a.relu_limit, with_bias: bw !== undefined,
      multiplier: q.multipliers, rshift: q.rshifts, quant_mode: 'MultiplierShift',
    },
    at(op, cx, outT),
  ).result();
};

const add: Int8Lowering = (op, cx) => {
  const a = top.addAttrs(op);
  // constant inputs (top.Weight) are not lowered yet: TPU-MLIR quantizes them with their own scale
  if (cx.asymmetric || op.operands.some((v) => v.producer?.type === 'top.Weight')) return undefined;
  const inputs = op.operands.map((v) => cx.int8(v));
  const outT = cx.quantTypeOf(op.result());
  if (!outT || inputs.some((v) => v === undefined)) return undefined;
  const outQ = paramsOfType(outT);
  const ms = addMultipliersBM1684X(inputs.map((v) => ({ scale: paramsOf(v!)!.scale })), outQ.scale, a.coeff);
  return tpu.add(
    cx.b,
    { inputs: inputs as Value[] },
    { do_relu: a.do_relu, relu_limit: a.relu_limit, ...(a.coeff ? { coeff: a.coeff } : {}), multipliers: ms.multipliers, rshifts: ms.rshifts },
    at(op, cx, outT),
  ).result();
};

/** Avg/max pooling over the last two axes of a rank-4 input. */
export interface PoolWindow {
  readonly kernel: number[];
  readonly strides: number[];
  readonly pads: number[];
  readonly countIncludePad: boolean;
  readonly doRelu: boolean;
  readonly reluLimit: number;
}

function pool2d(op: Op, cx: LoweringContext, mode: 'Avg' | 'Max', w: PoolWindow): Value | undefined {
  const src = op.operand(0);
  const input = cx.int8(src);
  const outT = cx.quantTypeOf(op.result());
  if (!input || !outT || w.kernel.length !== 2) return undefined;
  const inQ = paramsOf(input)!;
  const outQ = paramsOfType(outT);
  let extra = {};
  let resultType = outT;
  if (mode === 'Max') {
    // a pass-through: after threshold propagation input and output share a scale; the output
    // keeps the input's type (TPU-MLIR's MaxPool INT8 does the same)
    if (Math.abs(inQ.scale - outQ.scale) > 1e-9 * outQ.scale || inQ.signed !== outQ.signed) return undefined;
    resultType = tensorType((outT as TensorType).shape, (input.type as TensorType).element);
  } else {
    // the int8 average divides by the whole window: pads must count, or there must be none
    if (w.pads.some((p) => p !== 0) && !w.countIncludePad) return undefined;
    const q = avgPoolQuantBM1684X({ kernel: w.kernel, inScale: inQ.scale, outScale: outQ.scale, asymmetric: cx.asymmetric });
    if (q.kind !== 'multiplier') return undefined;
    extra = { multiplier: q.multiplier, rshift: q.rshift };
  }
  return tpu.pool2D(
    cx.b,
    { input },
    { kernel_shape: w.kernel, strides: w.strides, pads: w.pads, pool_mode: mode, count_include_pad: w.countIncludePad, do_relu: w.doRelu, relu_limit: w.reluLimit, ...extra },
    at(op, cx, resultType),
  ).result();
}

/** The window of an Avg/MaxPool this slice lowers (2-D, no ceil_mode, auto_pad or dilation); undefined otherwise. */
export function poolWindow(op: Op, a: ReturnType<typeof top.avgPoolAttrs>): PoolWindow | undefined {
  if (a.is_adaptive || a.ceil_mode || (a.auto_pad && a.auto_pad !== 'NOTSET') || a.dilations?.some((d) => d !== 1)) return undefined;
  const shape = (op.operand(0).type as TensorType).shape;
  const kernel = a.kernel_shape.length > 0 ? a.kernel_shape : shape.slice(2);
  return { kernel, strides: a.kernel_shape.length > 0 ? a.strides : [1, 1], pads: a.kernel_shape.length > 0 ? a.pads : [0, 0, 0, 0], countIncludePad: a.count_include_pad, doRelu: a.do_relu, reluLimit: a.relu_limit };
}

const avgPool: Int8Lowering = (op, cx) => {
  const w = poolWindow(op, top.avgPoolAttrs(op));
  return w && pool2d(op, cx, 'Avg', w);
};

const maxPool: Int8Lowering = (op, cx) => {
  const w = poolWindow(op, top.maxPoolAttrs(op));
  return w && pool2d(op, cx, 'Max', w);
};

/**
 * ReduceMean over H and W of a rank-4 tensor (keepdims) as a global average tpu.Pool2D. Our
 * choice for this slice (TPU-MLIR's top optimizations reach a pool for this pattern too, but
 * that path was not read line-by-line); other reductions stay float.
 */
const reduce: Int8Lowering = (op, cx) => {
  const w = reduceMeanWindow(op);
  return w && pool2d(op, cx, 'Avg', w);
};

/** A top.Reduce that is a ReduceMean over H and W of a rank-4 tensor (keepdims) as a pool window. */
export function reduceMeanWindow(op: Op): PoolWindow | undefined {
  const a = top.reduceAttrs(op);
  const t = op.operand(0).type as TensorType;
  const axes = a.axes.map((x) => (x < 0 ? x + t.shape.length : x)).sort();
  if (a.mode !== 'ReduceMean' || !a.keepdims || t.shape.length !== 4 || axes.join() !== '2,3') return undefined;
  return { kernel: t.shape.slice(2), strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false, doRelu: false, reluLimit: -1 };
}

/** Reshape-like ops pass the int8 data through with the input's type (ranges equal after §3.4). */
const reshape: Int8Lowering = (op, cx) => {
  const input = op.operand(0);
  const it = input.type as TensorType;
  if (it.element.kind !== 'quant.uniform') return undefined;
  const ot = op.result().type as TensorType;
  if (ot.shape.some((d) => d < 0)) return undefined;
  return tpu.reshape(cx.b, { input }, { shape: [...ot.shape] }, at(op, cx, tensorType(ot.shape, it.element))).result();
};

const matMul: Int8Lowering = (op, cx) => {
  const a = top.matMulAttrs(op);
  if (cx.asymmetric || a.left_transpose || a.output_transpose || a.hdim_is_batch) return undefined;
  const w = weightData(cx, op.operand(1));
  if (!w || w.shape.length !== 2) return undefined;
  const input = cx.int8(op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!input || !outT) return undefined;
  const biasV = op.operands[2];
  const bias = isNone(biasV) ? undefined : weightData(cx, biasV!);
  if (!isNone(biasV) && !bias) return undefined;
  const q = quantizeMatMulBM1684X({ weight: w.data as Float32Array, bias: bias?.data as Float32Array | undefined, inScale: paramsOf(input)!.scale, outScale: paramsOfType(outT).scale });
  const rw = cx.weight(`${op.operand(1).name ?? `${op.name}_right`}_int8`, ndarray('i8', w.shape, q.weight), op);
  const bw = q.bias ? cx.weight(`${biasV!.name ?? `${op.name}_bias`}_int32`, ndarray('i32', [q.bias.length], q.bias), op) : undefined;
  return tpu.matMul(
    cx.b,
    { input, right: rw, ...(bw ? { bias: bw } : {}) },
    { right_transpose: a.right_transpose, keep_dims: a.keep_dims, do_relu: a.do_relu, relu_limit: a.relu_limit, multipliers: [q.multiplier], rshifts: [q.rshift], quant_mode: 'MultiplierShift' },
    at(op, cx, outT),
  ).result();
};

/** A unary activation as a 256-entry tpu.Lut (spec §3.10 "Unary activations"). */
function lut(fn: (op: Op) => ((x: number) => number) | undefined): Int8Lowering {
  return (op, cx) => {
    const f = fn(op);
    const input = f && cx.int8(op.operand(0));
    const outT = cx.quantTypeOf(op.result());
    if (!f || !input || !outT) return undefined;
    const outQ = paramsOfType(outT);
    const table = buildLut8(f, paramsOf(input)!, outQ);
    const tw = cx.weight(`${op.name ?? 'lut'}_table`, ndarray(outQ.signed ? 'i8' : 'u8', [1, 1, 1, 256], table), op);
    return tpu.lut(cx.b, { input, table: tw }, {}, at(op, cx, outT)).result();
  };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The top ops this slice lowers to INT8, by type. */
export const INT8_LOWERINGS: Readonly<Record<string, Int8Lowering>> = {
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
  'top.Relu': lut((op) => {
    const lim = top.reluAttrs(op).relu_limit;
    return (x) => Math.min(Math.max(x, 0), lim > 0 ? lim : Infinity);
  }),
  'top.Sigmoid': lut((op) => {
    const a = top.sigmoidAttrs(op);
    return a.log ? undefined : (x) => a.scale * sigmoid(x) + a.bias;
  }),
  'top.Tanh': lut(() => Math.tanh),
  'top.SiLU': lut(() => (x) => x * sigmoid(x)),
};
