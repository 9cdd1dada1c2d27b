// The data-movement tpu ops: Concat, Slice, Permute, Upsample and Pad (spec deploy.md §3.4, §3.10
// "Reshape/Permute/Slice/Squeeze/Upsample/Pad ... type-preserving"). They copy codes (INT8) or
// values (float) without arithmetic; the only integer detail is Pad's constant, which the lowering
// already quantized to a code (`val = round(v / S) + ZP`), and a fused ReLU, which clamps at the
// zero point. Float results are rounded to their element type like every float tpu op.
import { shapeSize, type NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { normAxis, padData, stridedGather, stridesOf } from '@tpu-quant/runtime';
import { concatAttrs, padAttrs, permuteAttrs, sliceAttrs, upsampleAttrs } from '../dialect/generated/attrs.js';
import { clamp, floatIn, floatOut, operandData, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

/** A fused ReLU on a result: clamp at the zero point (and the quantized limit), or float ReLU. */
export function applyFusedRelu(ctx: KernelContext, data: Float32Array, doRelu: boolean, limit: number): void {
  if (!doRelu) return;
  const q = quantOf(ctx.outputTypes[0]);
  if (q) {
    const [lo, hi] = reluBounds(q, true, limit);
    for (let i = 0; i < data.length; i++) data[i] = clamp(data[i]!, lo, hi);
  } else for (let i = 0; i < data.length; i++) data[i] = floatRelu(data[i]!, limit);
}

/** tpu.Concat: the inputs side by side along axis (their types equal the result's). */
export function concatKernel(ctx: KernelContext): NdArray {
  const shape = outShapeOf(ctx);
  const out = new Float32Array(shapeSize(shape));
  concatInto(ctx, shape, out);
  return floatOut(ctx, shape, out);
}

/** tpu.Concat's result (of `shape`) written into `out`, chunk by chunk, then its fused ReLU. */
export function concatInto(ctx: KernelContext, shape: readonly number[], out: Float32Array): void {
  const a = concatAttrs(ctx.op);
  const axis = normAxis(a.axis, shape.length);
  const outer = shapeSize(shape.slice(0, axis));
  const inner = shapeSize(shape.slice(axis + 1));
  const dim = shape[axis]!;
  let at = 0;
  ctx.inputs.forEach((_, i) => {
    const x = floatIn(ctx, i);
    const xd = x.data as Float32Array;
    const len = x.shape[axis]!;
    const chunk = len * inner;
    for (let o = 0; o < outer; o++) out.set(xd.subarray(o * chunk, (o + 1) * chunk), (o * dim + at) * inner);
    at += len;
  });
  applyFusedRelu(ctx, out, a.do_relu, a.relu_limit);
}

/** First index of a Python-style slice, clamped as TPU-MLIR does (the runtime's top.Slice agrees). */
export function sliceStart(d: number, start: number, step: number): number {
  const b = start < 0 ? start + d : start;
  return step > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
}

/**
 * A tpu.Slice's input and geometry: per-axis start and step (offset/steps on `axes`, every axis in
 * order when empty), the input strides, the flat offset of the first element, the declared shape.
 */
export function sliceGeometry(ctx: KernelContext): { x: NdArray; step: number[]; st: number[]; offset: number; shape: number[] } {
  const a = sliceAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const r = x.shape.length;
  const axes = a.axes.length > 0 ? a.axes.map((ax) => normAxis(ax, r)) : a.offset.map((_, i) => i);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  axes.forEach((ax, i) => {
    step[ax] = a.steps[i]!;
    start[ax] = sliceStart(x.shape[ax]!, a.offset[i]!, a.steps[i]!);
  });
  const st = stridesOf(x.shape);
  const offset = start.reduce((acc, s, d) => acc + s * st[d]!, 0);
  return { x, step, st, offset, shape: outShapeOf(ctx) };
}

/** tpu.Slice: offset/steps on `axes` (every axis in order when empty); the result shape is declared. */
export function sliceKernel(ctx: KernelContext): NdArray {
  const { x, step, st, offset, shape } = sliceGeometry(ctx);
  return floatOut(ctx, shape, stridedGather(x.data as Float32Array, shape, st.map((v, d) => v * step[d]!), offset));
}

/** tpu.Permute: out axis i is input axis order[i]. */
export function permuteKernel(ctx: KernelContext): NdArray {
  const order = permuteAttrs(ctx.op).order;
  const x = floatIn(ctx, 0);
  const st = stridesOf(x.shape);
  const shape = order.map((o) => x.shape[o]!);
  return floatOut(ctx, shape, stridedGather(x.data as Float32Array, shape, order.map((o) => st[o]!)));
}

/** tpu.Upsample: nearest-neighbour, every input pixel repeated scale_h × scale_w times. */
export function upsampleKernel(ctx: KernelContext): NdArray {
  const a = upsampleAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const shape = outShapeOf(ctx);
  const [ih, iw] = [x.shape[x.shape.length - 2]!, x.shape[x.shape.length - 1]!];
  const [oh, ow] = [ih * a.scale_h, iw * a.scale_w];
  const planes = xd.length / (ih * iw);
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      const src = p * ih * iw + Math.floor(y / a.scale_h) * iw;
      const dst = (p * oh + y) * ow;
      for (let xo = 0; xo < ow; xo++) out[dst + xo] = xd[src + Math.floor(xo / a.scale_w)]!;
    }
  }
  applyFusedRelu(ctx, out, a.do_relu, a.relu_limit);
  return floatOut(ctx, shape, out);
}

/** tpu.Pad: paddings = all "before" amounts, then all "after"; `val` is already a code in INT8. */
export function padKernel(ctx: KernelContext): NdArray {
  const a = padAttrs(ctx.op);
  const p = a.paddings.length > 0 ? a.paddings : Array.from(operandData(ctx, 1).data as Float32Array);
  const shape = outShapeOf(ctx);
  return floatOut(ctx, shape, padData(floatIn(ctx, 0), p, a.mode, a.val, shape));
}
