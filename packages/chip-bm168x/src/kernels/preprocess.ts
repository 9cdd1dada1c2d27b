// Kernels of the fused preprocessing's own tpu ops (lowering/lower-preprocess.ts): tpu.ScaleLut,
// a 256-entry table per channel indexed by the uint8 pixel, and tpu.SwapChannel, a reorder of
// axis 1. Both move exact codes (or float values) without arithmetic.
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { swapChannelAttrs } from '../dialect/generated/attrs.js';
import { floatIn, floatOut, operandData, outShapeOf } from './common.js';

/** tpu.ScaleLut: out[n, c, ...] = table[c][raw byte of in[n, c, ...]] (table [1, C, 16, 16]). */
export function scaleLutKernel(ctx: KernelContext): NdArray {
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const table = operandData(ctx, 1).data as Float32Array;
  const [n, c] = [x.shape[0] ?? 1, x.shape[1] ?? 1];
  if (table.length !== c * 256) throw new Error(`tpu.ScaleLut "${ctx.op.name ?? '?'}": the table has ${table.length} entries, ${c} channels need ${c * 256}`);
  const plane = xd.length / (n * c);
  const out = new Float32Array(xd.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const at = (b * c + ch) * plane;
      const t = ch * 256;
      for (let i = 0; i < plane; i++) out[at + i] = table[t + (xd[at + i]! & 255)]!;
    }
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}

/** tpu.SwapChannel: output channel i is input channel channel_order[i]. */
export function swapChannelKernel(ctx: KernelContext): NdArray {
  const order = swapChannelAttrs(ctx.op).channel_order;
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const [n, c] = [x.shape[0] ?? 1, x.shape[1] ?? 1];
  if (order.length !== c || order.some((o) => o < 0 || o >= c)) throw new Error(`tpu.SwapChannel "${ctx.op.name ?? '?'}": channel_order [${order.join(',')}] does not fit ${c} channels`);
  const plane = xd.length / (n * c);
  const out = new Float32Array(xd.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) out.set(xd.subarray((b * c + order[ch]!) * plane, (b * c + order[ch]! + 1) * plane), (b * c + ch) * plane);
  return floatOut(ctx, outShapeOf(ctx), out);
}
