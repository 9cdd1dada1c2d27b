// Gathers, scatters and ops that produce shapes or ranges. Index tensors arrive as f32 (the js
// backend's only storage type); negative indices count from the end, as ONNX allows.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { input0, jsKernel, outShape } from '../../registry.js';
import { aroundAxis, f32, normAxis, size, stridesOf } from '../../tensor.js';

jsKernel('Gather', (ctx) => {
  const x = input0(ctx);
  const ind = ctx.inputs[1]!.data as Float32Array;
  const xd = x.data as Float32Array;
  const [outer, dim, inner] = aroundAxis(x.shape, normAxis(top.gatherAttrs(ctx.op).axis, x.shape.length));
  const out = new Float32Array(outer * ind.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < ind.length; k++) {
      const j = ind[k]! < 0 ? ind[k]! + dim : ind[k]!;
      if (j < 0 || j >= dim) throw new Error(`top.Gather "${ctx.op.name ?? '?'}": index ${ind[k]} is out of range for a dim of ${dim}`);
      out.set(xd.subarray((o * dim + j) * inner, (o * dim + j + 1) * inner), (o * ind.length + k) * inner);
    }
  }
  return f32(outShape(ctx), out);
});

jsKernel('GatherElements', (ctx) => {
  const x = input0(ctx);
  const ind = ctx.inputs[1]!;
  const axis = normAxis(top.gatherElementsAttrs(ctx.op).axis, x.shape.length);
  const xs = stridesOf(x.shape);
  const is = stridesOf(ind.shape);
  const id = ind.data as Float32Array;
  const xd = x.data as Float32Array;
  const out = new Float32Array(id.length);
  for (let i = 0; i < id.length; i++) {
    let off = 0;
    let rem = i;
    for (let d = 0; d < ind.shape.length; d++) {
      let c = Math.floor(rem / is[d]!);
      rem -= c * is[d]!;
      if (d === axis) c = id[i]! < 0 ? id[i]! + x.shape[d]! : id[i]!;
      off += c * xs[d]!;
    }
    out[i] = xd[off]!;
  }
  return f32(outShape(ctx), out);
});

jsKernel('ScatterND', (ctx) => {
  const [x, ind, upd] = ctx.inputs as NdArray[];
  const reduction = top.scatterNDAttrs(ctx.op).reduction;
  const out = new Float32Array(x!.data as Float32Array);
  const k = ind!.shape[ind!.shape.length - 1]!;
  const xs = stridesOf(x!.shape);
  const sliceLen = size(x!.shape.slice(k));
  const id = ind!.data as Float32Array;
  const ud = upd!.data as Float32Array;
  const combine = [(_: number, u: number) => u, (a: number, u: number) => a + u, (a: number, u: number) => a * u,
    (a: number, u: number) => Math.max(a, u), (a: number, u: number) => Math.min(a, u)][reduction]!;
  for (let r = 0; r < id.length / k; r++) {
    let off = 0;
    for (let d = 0; d < k; d++) {
      const v = id[r * k + d]!;
      off += (v < 0 ? v + x!.shape[d]! : v) * xs[d]!;
    }
    for (let e = 0; e < sliceLen; e++) out[off + e] = combine(out[off + e]!, ud[r * sliceLen + e]!);
  }
  return f32(outShape(ctx), out);
});

jsKernel('Shape', (ctx) => {
  const a = top.shapeAttrs(ctx.op);
  const dims = input0(ctx).shape;
  const r = dims.length;
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const step = a.step ?? 1;
  const start = a.start === undefined ? 0 : norm(a.start);
  const end = a.end === undefined ? r : norm(a.end);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(dims[i]!);
  return f32(outShape(ctx), Float32Array.from(out));
});

jsKernel('ConstantFill', (ctx) => {
  const shape = outShape(ctx);
  return f32(shape, new Float32Array(size(shape)).fill(top.constantFillAttrs(ctx.op).value));
});

jsKernel('Range', (ctx) => {
  const scalar = (i: number, dflt: number): number => (ctx.inputs[i] ? (ctx.inputs[i]!.data as Float32Array)[0]! : dflt);
  const start = scalar(0, 0);
  const delta = scalar(2, 1);
  const shape = outShape(ctx);
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = start + i * delta;
  return f32(shape, out);
});

jsKernel('Trilu', (ctx) => {
  const a = top.triluAttrs(ctx.op);
  const x = input0(ctx);
  const [h, w] = x.shape.slice(-2) as [number, number];
  const xd = x.data as Float32Array;
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const col = i % w;
    const row = Math.floor(i / w) % h;
    const keep = a.upper ? col - row >= a.diagonal : col - row <= a.diagonal;
    out[i] = keep ? xd[i]! : 0;
  }
  return f32(outShape(ctx), out);
});
