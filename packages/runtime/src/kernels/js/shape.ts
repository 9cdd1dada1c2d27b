// Ops that move data without arithmetic. Reshape-like ops share the input's buffer (tensors are
// never written after they are made), the rest copy with index arithmetic.
import type { NdArray } from '@tpu-quant/ir';
import { top, UserError } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape, registerKernel } from '../../registry.js';
import { applyRelu, aroundAxis, broadcastTo, f32, normAxis, padData, permute, reshaped, stridedGather, stridesOf, size } from '../../tensor.js';

const sameData = (ctx: KernelContext): NdArray => reshaped(input0(ctx), outShape(ctx));
for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']) jsKernel(op, sameData);

jsKernel('Permute', (ctx) => permute(input0(ctx), top.permuteAttrs(ctx.op).order));
jsKernel('Transpose', (ctx) => {
  const a = top.transposeAttrs(ctx.op);
  const x = input0(ctx);
  const order = x.shape.map((_, i) => i);
  const [d0, d1] = [normAxis(a.dim0, order.length), normAxis(a.dim1, order.length)];
  [order[d0], order[d1]] = [order[d1]!, order[d0]!];
  return permute(x, order);
});

jsKernel('Concat', (ctx) => {
  const a = top.concatAttrs(ctx.op);
  const shape = outShape(ctx);
  const xs = ctx.inputs.filter((x): x is NdArray => x !== undefined);
  const axis = normAxis(a.axis, shape.length);
  const [outer, dim, inner] = aroundAxis(shape, axis);
  const out = new Float32Array(size(shape));
  let at = 0;
  for (const x of xs) {
    const xd = x.data as Float32Array;
    const chunk = x.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) out.set(xd.subarray(o * chunk, (o + 1) * chunk), o * dim * inner + at * inner);
    at += x.shape[axis]!;
  }
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
});

registerKernel({
  op: 'top.Split',
  backend: 'js',
  run: (ctx) => {
    const x = input0(ctx);
    const xd = x.data as Float32Array;
    const axis = normAxis(top.splitAttrs(ctx.op).axis, x.shape.length);
    const [outer, dim, inner] = aroundAxis(x.shape, axis);
    let at = 0;
    return ctx.outputTypes.map((t) => {
      const len = t!.shape[axis]!;
      const out = new Float32Array(outer * len * inner);
      for (let o = 0; o < outer; o++) out.set(xd.subarray((o * dim + at) * inner, (o * dim + at + len) * inner), o * len * inner);
      at += len;
      return f32(t!.shape, out);
    });
  },
});

/** Gathers output[i] = input[Σ (start[d] + i[d]·step[d])·stride[d]] over every axis. */
function strided(x: NdArray, shape: readonly number[], start: readonly number[], step: readonly number[]): NdArray<'f32'> {
  const st = stridesOf(x.shape);
  const off = start.reduce((acc, s, d) => acc + s * st[d]!, 0);
  return f32(shape, stridedGather(x.data as Float32Array, shape, st.map((v, d) => v * step[d]!), off));
}

/** First index of a Python-style slice, clamped as TPU-MLIR does (see ir's sliceLen). */
function sliceStart(d: number, start: number, step: number): number {
  const b = start < 0 ? start + d : start;
  return step > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
}

const numbers = (x: NdArray | undefined): number[] | undefined => (x ? Array.from(x.data as Float32Array) : undefined);

/**
 * top.Slice's first index and step on every axis of `x`, from its attributes or (where given)
 * its offset / steps operands. Shared with the wasm kernel.
 */
export function sliceWindow(ctx: KernelContext, x: NdArray): { start: number[]; step: number[] } {
  const a = top.sliceAttrs(ctx.op);
  const r = x.shape.length;
  const offset = numbers(ctx.inputs[1]) ?? a.offset;
  const steps = numbers(ctx.inputs[3]) ?? a.steps;
  const axes = a.axes.length > 0 ? a.axes.map((ax) => normAxis(ax, r)) : offset.map((_, i) => i);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  axes.forEach((ax, i) => {
    step[ax] = steps[i]!;
    start[ax] = sliceStart(x.shape[ax]!, offset[i]!, steps[i]!);
  });
  return { start, step };
}

jsKernel('Slice', (ctx) => {
  const x = input0(ctx);
  const { start, step } = sliceWindow(ctx, x);
  return strided(x, outShape(ctx), start, step);
});

jsKernel('StridedSlice', (ctx) => {
  const a = top.stridedSliceAttrs(ctx.op);
  if (a.ellipsis_mask !== 0 || a.new_axis_mask !== 0) {
    throw new UserError('E_UNSUPPORTED_OP', `top.StridedSlice "${ctx.op.name ?? '?'}" with ellipsis or new-axis masks`);
  }
  const x = input0(ctx);
  const [starts, , strides] = [1, 2, 3].map((i) => numbers(ctx.inputs[i])!);
  const r = x.shape.length;
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const full: number[] = [];
  for (let i = 0; i < r; i++) {
    if (i < starts!.length) {
      step[i] = strides![i]!;
      const b = a.begin_mask & (1 << i) ? (step[i]! > 0 ? 0 : x.shape[i]! - 1) : starts![i]!;
      start[i] = sliceStart(x.shape[i]!, b, step[i]!);
    }
    full.push(a.shrink_axis_mask & (1 << i) ? 1 : -1);
  }
  // output dims without shrunk axes; compute the kept dims from the IR shape
  const out = outShape(ctx);
  let k = 0;
  const shape = full.map((f) => (f === 1 ? 1 : out[k++] ?? 1));
  return reshaped(strided(x, shape, start, step), out);
});

jsKernel('Tile', (ctx) => {
  const x = input0(ctx);
  const shape = outShape(ctx);
  const r = shape.length;
  const xs = [...new Array<number>(r - x.shape.length).fill(1), ...x.shape];
  const xd = x.data as Float32Array;
  const st = stridesOf(xs);
  const out = new Float32Array(size(shape));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += (idx[d]! % xs[d]!) * st[d]!;
    out[i] = xd[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return f32(shape, out);
});

jsKernel('Expand', (ctx) => {
  const shape = outShape(ctx);
  const data = broadcastTo(input0(ctx), shape);
  return f32(shape, data === input0(ctx).data ? new Float32Array(data) : data);
});

jsKernel('Pad', (ctx) => {
  const a = top.padAttrs(ctx.op);
  const p = a.paddings.length > 0 ? a.paddings : numbers(ctx.inputs[1])!;
  const shape = outShape(ctx);
  return f32(shape, padData(input0(ctx), p, a.mode, a.val, shape));
});

/**
 * Depth2Space. DCR (ONNX default): output channel c at block offset (i, j) reads input channel
 * (i·bw + j)·C + c; CRD reads c·bh·bw + i·bw + j. is_inversed runs the same map backwards
 * (space-to-depth).
 */
jsKernel('Depth2Space', (ctx) => {
  const a = top.depth2SpaceAttrs(ctx.op);
  if (a.swap_cr) throw new UserError('E_UNSUPPORTED_OP', `top.Depth2Space "${ctx.op.name ?? '?'}" with swap_cr`);
  let x = input0(ctx);
  if (!a.in_is_NCHW) x = permute(x, [0, 3, 1, 2]);
  const { block_h: bh, block_w: bw } = a;
  const xd = x.data as Float32Array;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  // (small = the deep side's spatial size, C = channels of the shallow side)
  const [sh, sw, C] = a.is_inversed ? [h / bh, w / bw, c] : [h, w, c / (bh * bw)];
  const deepCh = (cc: number, i: number, j: number): number => (a.is_CRD ? cc * bh * bw + i * bw + j : (i * bw + j) * C + cc);
  const out = new Float32Array(xd.length);
  const deep = (b: number, ch: number, y: number, xx: number): number => ((b * C * bh * bw + ch) * sh + y) * sw + xx;
  const wide = (b: number, ch: number, y: number, xx: number): number => ((b * C + ch) * sh * bh + y) * sw * bw + xx;
  for (let b = 0; b < n; b++) for (let cc = 0; cc < C; cc++) for (let i = 0; i < bh; i++) for (let j = 0; j < bw; j++) {
    for (let y = 0; y < sh; y++) for (let xx = 0; xx < sw; xx++) {
      const d = deep(b, deepCh(cc, i, j), y, xx);
      const s = wide(b, cc, y * bh + i, xx * bw + j);
      if (a.is_inversed) out[d] = xd[s]!;
      else out[s] = xd[d]!;
    }
  }
  const nchwShape = a.is_inversed ? [n, C * bh * bw, sh, sw] : [n, C, sh * bh, sw * bw];
  const res = f32(nchwShape, out);
  return a.out_is_NCHW ? res : permute(res, [0, 2, 3, 1]);
});

jsKernel('ShuffleChannel', (ctx) => {
  const x = input0(ctx);
  const g = top.shuffleChannelAttrs(ctx.op).group;
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const rest = x.shape.slice(2);
  const t = permute(reshaped(x, [n, g, c / g, size(rest)]), [0, 2, 1, 3]);
  return reshaped(t, x.shape);
});

jsKernel('Reverse', (ctx) => {
  const x = input0(ctx);
  const axis = normAxis(top.reverseAttrs(ctx.op).axis, x.shape.length);
  const start = x.shape.map((d, i) => (i === axis ? d - 1 : 0));
  const step = x.shape.map((_, i) => (i === axis ? -1 : 1));
  return strided(x, x.shape, start, step);
});
