// INT8 lowerings of single top ops for the BM1684X family (spec deploy.md §3.10). Each returns the
// replacement value (a new tpu op built before the top op), or undefined when the op is not
// lowered in INT8: the driver then keeps the top op in float with casts around it. Conv, pools,
// MatMul and the LUT activations live here; Conv (and what folds into it) in lower-int8-conv.ts, the
// data-movement ops in lower-int8-movement.ts, the elementwise arithmetic in lower-int8-eltwise.ts,
// Deconv in lower-int8-deconv.ts.
//
import type { Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, tensorType, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { ACTIVE_FUNCTIONS, sigmoid } from '../kernels/active-functions.js';
import { avgPoolQuantBM1684X } from '../quant/eltwise.js';
import { buildLut8 } from '../quant/lut.js';
import { quantizeMatMulBM1684X } from '../quant/matmul-weights.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';
import { at, isNone, weightData, type Int8Lowering } from './int8-common.js';
import { batchNorm, conv } from './lower-int8-conv.js';
import { deconv } from './lower-int8-deconv.js';
import { ELTWISE_LOWERINGS } from './lower-int8-eltwise.js';
import { MOVEMENT_LOWERINGS } from './lower-int8-movement.js';

export type { Int8Lowering } from './int8-common.js';

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
    if (Math.abs(inQ.scale - outQ.scale) > 1e-9 * outQ.scale || inQ.signed !== outQ.signed || inQ.zeroPoint !== outQ.zeroPoint) return undefined;
    resultType = tensorType((outT as TensorType).shape, (input.type as TensorType).element);
  } else {
    // the int8 average divides by the whole window: pads must count, or there must be none
    if (w.pads.some((p) => p !== 0) && !w.countIncludePad) return undefined;
    // zero points (the asymmetric module, or an #asym_op output) need the scale/offset form
    const asym = cx.asymmetric || inQ.zeroPoint !== 0 || outQ.zeroPoint !== 0;
    // upstream AvgPool.cpp: asymmetric windows that leave input rows or columns unread go F16
    if (asym && !coversInput(src, op.result(), w)) return undefined;
    const q = avgPoolQuantBM1684X({ kernel: w.kernel, inScale: inQ.scale, outScale: outQ.scale, inZeroPoint: inQ.zeroPoint, outZeroPoint: outQ.zeroPoint, asymmetric: asym });
    extra = q.kind === 'multiplier' ? { multiplier: q.multiplier, rshift: q.rshift } : { scale: q.scale, offset: q.offset };
  }
  return tpu.pool2D(
    cx.b,
    { input },
    { kernel_shape: w.kernel, strides: w.strides, pads: w.pads, pool_mode: mode, count_include_pad: w.countIncludePad, do_relu: w.doRelu, relu_limit: w.reluLimit, ...extra },
    at(op, cx, resultType),
  ).result();
}

/** (o − 1)·s + k reaches past the padded input on both axes (no input row or column left unread). */
function coversInput(src: Value, out: Value, w: PoolWindow): boolean {
  const [, , ih, iw] = (src.type as TensorType).shape as number[];
  const [, , oh, ow] = (out.type as TensorType).shape as number[];
  const [pt, pl, pb, pr] = w.pads as [number, number, number, number];
  return (ow! - 1) * w.strides[1]! + w.kernel[1]! >= iw! + pl + pr && (oh! - 1) * w.strides[0]! + w.kernel[0]! >= ih! + pt + pb;
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
  if (a.left_transpose || a.output_transpose || a.hdim_is_batch) return undefined;
  const w = weightData(cx, op.operand(1));
  if (!w || w.shape.length !== 2) return undefined;
  const input = cx.int8(op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!input || !outT) return undefined;
  const biasV = op.operands[2];
  const bias = isNone(biasV) ? undefined : weightData(cx, biasV!);
  if (!isNone(biasV) && !bias) return undefined;
  const inQ = paramsOf(input)!;
  const q = quantizeMatMulBM1684X({ weight: w.data as Float32Array, shape: w.shape as [number, number], rightTranspose: a.right_transpose, bias: bias?.data as Float32Array | undefined, inScale: inQ.scale, inZeroPoint: inQ.zeroPoint, outScale: paramsOfType(outT).scale });
  const rw = cx.weight(`${op.operand(1).name ?? `${op.name}_right`}_int8`, ndarray('i8', w.shape, q.weight), op);
  const biasName = !isNone(biasV) && biasV!.name !== undefined ? biasV!.name : `${op.name}_bias`;
  const bw = q.bias ? cx.weight(`${biasName}_int32`, ndarray('i32', [q.bias.length], q.bias), op) : undefined;
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

/**
 * GELU by approx_mode (upstream getActivateFunc: GELU, TGELU, QGELU), the functions tpu.Active's
 * float kernels use. Upstream types a GELU's INT8 output by `output_asym` alone, also in an
 * asymmetric module; here it follows the module like every other op.
 */
function gelu(mode: string): (x: number) => number {
  return ACTIVE_FUNCTIONS[mode === 'tanh' ? 'TGELU' : mode === 'sigm' ? 'QGELU' : 'GELU']!([]);
}

/** upstream `hsigmoid`: max(0, min(1, alpha·x + beta)). */
const hardSigmoid = (x: number, alpha: number, beta: number): number => Math.max(0, Math.min(1, alpha * x + beta));

/** The top ops this slice lowers to INT8, by type. */
export const INT8_LOWERINGS: Readonly<Record<string, Int8Lowering>> = {
  ...ELTWISE_LOWERINGS,
  ...MOVEMENT_LOWERINGS,
  'top.Conv': conv,
  'top.BatchNorm': batchNorm,
  'top.Deconv': deconv,
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
  'top.GELU': lut((op) => gelu(top.geluAttrs(op).approx_mode)),
  'top.HardSigmoid': lut((op) => {
    const a = top.hardSigmoidAttrs(op);
    return (x) => hardSigmoid(x, a.alpha, a.beta);
  }),
  'top.HardSwish': lut(() => (x) => x * hardSigmoid(x, 1 / 6, 0.5)),
  'top.Exp': lut(() => Math.exp),
};
