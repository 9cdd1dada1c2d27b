// Reductions over axes, arg-max/min, cumulative sums. Sums run in f64.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { input0, jsKernel, outShape, registerKernel } from '../../registry.js';
import { aroundAxis, f32, normAxis, permute, size } from '../../tensor.js';

/** Moves `axes` last and returns the data as [rest, reduced] rows. */
function rows(x: NdArray, axes: readonly number[]): { data: Float32Array; len: number } {
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = permute(x, [...rest, ...axes]);
  return { data: moved.data, len: size(axes.map((a) => x.shape[a]!)) };
}

const REDUCERS: Record<string, (d: Float32Array, start: number, len: number) => number> = {
  ReduceSum: (d, s, n) => sum(d, s, n, (v) => v),
  ReduceMean: (d, s, n) => sum(d, s, n, (v) => v) / n,
  ReduceL1: (d, s, n) => sum(d, s, n, Math.abs),
  ReduceL2: (d, s, n) => Math.sqrt(sum(d, s, n, (v) => v * v)),
  ReduceMax: (d, s, n) => fold(d, s, n, Math.max, Number.NEGATIVE_INFINITY),
  ReduceMin: (d, s, n) => fold(d, s, n, Math.min, Number.POSITIVE_INFINITY),
  ReduceProd: (d, s, n) => fold(d, s, n, (p, v) => p * v, 1),
};

function sum(d: Float32Array, s: number, n: number, f: (v: number) => number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += f(d[s + i]!);
  return acc;
}

function fold(d: Float32Array, s: number, n: number, f: (a: number, v: number) => number, init: number): number {
  let acc = init;
  for (let i = 0; i < n; i++) acc = f(acc, d[s + i]!);
  return acc;
}

jsKernel('Reduce', (ctx) => {
  const a = top.reduceAttrs(ctx.op);
  const x = input0(ctx);
  const r = x.shape.length;
  const axes = [...new Set(a.axes.map((ax) => normAxis(ax, r)))].sort((p, q) => p - q);
  const { data, len } = rows(x, axes);
  const f = REDUCERS[a.mode]!;
  const out = new Float32Array(data.length / len);
  for (let i = 0; i < out.length; i++) out[i] = f(data, i * len, len);
  return f32(outShape(ctx), out);
});

/** Arg: the index of the max (or min) along axis; ties pick the last index when select_last_index. */
registerKernel({
  op: 'top.Arg',
  backend: 'js',
  run: (ctx) => {
    const a = top.argAttrs(ctx.op);
    const x = input0(ctx);
    const xd = x.data as Float32Array;
    const [outer, dim, inner] = aroundAxis(x.shape, normAxis(a.axis, x.shape.length));
    const idx = new Float32Array(outer * inner);
    const val = new Float32Array(outer * inner);
    const better = a.mode === 'ArgMax'
      ? (v: number, b: number) => v > b || (a.select_last_index && v === b)
      : (v: number, b: number) => v < b || (a.select_last_index && v === b);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = xd[o * dim * inner + i]!;
        let at = 0;
        for (let d = 1; d < dim; d++) {
          const v = xd[(o * dim + d) * inner + i]!;
          if (better(v, best)) [best, at] = [v, d];
        }
        idx[o * inner + i] = at;
        val[o * inner + i] = best;
      }
    }
    const types = ctx.outputTypes;
    return [f32(types[0]!.shape, idx), types[1] ? f32(types[1].shape, val) : undefined];
  },
});

jsKernel('CumSum', (ctx) => {
  const x = input0(ctx);
  const xd = x.data as Float32Array;
  const [outer, dim, inner] = aroundAxis(x.shape, normAxis(top.cumSumAttrs(ctx.op).axis, x.shape.length));
  const out = new Float32Array(xd.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let d = 0; d < dim; d++) {
        const k = (o * dim + d) * inner + i;
        acc += xd[k]!;
        out[k] = acc;
      }
    }
  }
  return f32(outShape(ctx), out);
});
