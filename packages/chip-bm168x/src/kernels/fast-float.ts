// Fast path of the float tpu.Softmax (elementwise.ts softmaxKernel stays the reference): the same
// f64 expressions in the same order per softmax row — max, Σ exp(β·(x − max)) from 0 over the axis
// in order, then exp(z) / Σ (or z − log Σ) — with each exp computed once and kept (Math.exp is
// deterministic, so the second evaluation the js kernel makes gives the same double), and the
// rows that share an outer index walked together along the contiguous inner axis.
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { softmaxAttrs } from '../dialect/generated/attrs.js';
import { floatIn, floatOut, outShapeOf } from './common.js';

let exps = new Float64Array(0);
let rowMax = new Float64Array(0);
let sums = new Float64Array(0);

export function softmaxFast(ctx: KernelContext): NdArray | undefined {
  const a = softmaxAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const rank = x.shape.length;
  const axis = a.axis < 0 ? a.axis + rank : a.axis;
  if (axis < 0 || axis >= rank) return undefined;
  const len = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  if (len === 0 || inner === 0) return undefined;
  const outer = xd.length / (len * inner);
  const block = len * inner;
  if (exps.length < block) exps = new Float64Array(block);
  if (rowMax.length < inner) {
    rowMax = new Float64Array(inner);
    sums = new Float64Array(inner);
  }
  const beta = a.beta;
  const out = new Float32Array(xd.length);
  for (let o = 0; o < outer; o++) {
    const base = o * block;
    rowMax.fill(-Infinity, 0, inner);
    sums.fill(0, 0, inner);
    for (let k = 0; k < len; k++) {
      const r = base + k * inner;
      for (let i = 0; i < inner; i++) rowMax[i] = Math.max(rowMax[i]!, xd[r + i]!);
    }
    for (let k = 0; k < len; k++) {
      const r = base + k * inner;
      const e0 = k * inner;
      for (let i = 0; i < inner; i++) {
        const z = beta * (xd[r + i]! - rowMax[i]!);
        if (a.log) exps[e0 + i] = z;
        else {
          const e = Math.exp(z);
          exps[e0 + i] = e;
          sums[i] = sums[i]! + e;
        }
        if (a.log) sums[i] = sums[i]! + Math.exp(z);
      }
    }
    if (a.log) for (let i = 0; i < inner; i++) sums[i] = Math.log(sums[i]!);
    for (let k = 0; k < len; k++) {
      const r = base + k * inner;
      const e0 = k * inner;
      if (a.log) for (let i = 0; i < inner; i++) out[r + i] = exps[e0 + i]! - sums[i]!;
      else for (let i = 0; i < inner; i++) out[r + i] = exps[e0 + i]! / sums[i]!;
    }
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}
