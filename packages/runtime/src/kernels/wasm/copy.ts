// Slice, Permute and nearest Upsample on wasm: each is one strided gather (assembly/copy.ts)
// described here as (output dims, input strides in floats, start offset), collapsed to ≤ 6 dims.
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { getKernel, input0, outShape } from '../../registry.js';
import { size, stridesOf } from '../../tensor.js';
import { sliceWindow } from '../js/shape.js';
import { heap, takeOut, wasm, wasmKernel } from './backend.js';

const RANK = 6;

/**
 * Drops size-1 dims and merges an outer dim into its inner neighbour when the walk stays regular
 * (stride_outer = stride_inner · dim_inner), then pads to six dims in front. Undefined when more
 * than six remain.
 */
export function collapseGather(dims: readonly number[], strides: readonly number[]): [number[], number[]] | undefined {
  const d: number[] = []; // innermost first
  const s: number[] = [];
  for (let i = dims.length - 1; i >= 0; i--) {
    if (dims[i] === 1) continue;
    const k = d.length - 1;
    if (k >= 0 && strides[i] === s[k]! * d[k]!) d[k]! *= dims[i]!;
    else {
      d.push(dims[i]!);
      s.push(strides[i]!);
    }
  }
  if (d.length > RANK) return undefined;
  while (d.length < RANK) {
    d.push(1);
    s.push(0);
  }
  return [d.reverse(), s.reverse()];
}

/** y = the gather of x (from float `start`) over `dims` with `strides`; js `fallback` past six dims. */
function gather(ctx: KernelContext, dims: readonly number[], strides: readonly number[], start: number, fallback: string): NdArray {
  const c = collapseGather(dims, strides);
  if (!c) return getKernel(fallback, 'js')!.run(ctx)[0]!;
  const [d, s] = c;
  const x = input0(ctx);
  const n = size(dims);
  const xp = heap.put(x.data as Float32Array);
  const yp = heap.scratch(n * 4);
  wasm.gatherNd(xp + start * 4, yp, d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!);
  return takeOut(ctx, outShape(ctx), yp, n);
}

wasmKernel('Permute', (ctx) => {
  const x = input0(ctx);
  const order = top.permuteAttrs(ctx.op).order;
  const st = stridesOf(x.shape);
  return gather(ctx, order.map((o) => x.shape[o]!), order.map((o) => st[o]!), 0, 'top.Permute');
});

wasmKernel('Slice', (ctx) => {
  const x = input0(ctx);
  const shape = outShape(ctx);
  if (size(shape) === 0) return getKernel('top.Slice', 'js')!.run(ctx)[0]!;
  const { start, step } = sliceWindow(ctx, x);
  const st = stridesOf(x.shape);
  const offset = start.reduce((acc, s, d) => acc + s * st[d]!, 0);
  return gather(ctx, shape, st.map((v, i) => v * step[i]!), offset, 'top.Slice');
});

/** Integer factors on the last two axes, no fused relu (the js kernel does those). */
const upsampleSupports = (op: Op): boolean => !top.upsampleAttrs(op).do_relu;

wasmKernel('Upsample', (ctx) => {
  const a = top.upsampleAttrs(ctx.op);
  const x = input0(ctx);
  const r = x.shape.length;
  const [ih, iw] = [x.shape[r - 2]!, x.shape[r - 1]!];
  const planes = size(x.shape) / (ih * iw);
  // [plane, iy, repeat h, ix, repeat w]
  return gather(ctx, [planes, ih, a.scale_h, iw, a.scale_w], [ih * iw, iw, 0, 1, 0], 0, 'top.Upsample');
}, upsampleSupports);
