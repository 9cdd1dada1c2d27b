// tpu.Deconv (spec deploy.md §3.10, upstream BM1684X/Deconv.cpp): a transposed convolution as a
// scatter. INT8: int8/uint8 input codes, int8/uint8 per-channel filter, optional int32 bias; the
// result is the int32 accumulator (typed i32: a tpu.RequantIntAxis requantizes it). Float forms
// accumulate in f64 and round to their element type. The filter is [oc, ic/g, kh, kw] (the layout
// TPU-MLIR's importer gives a top.Weight filter).
import type { NdArray } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { deconvAttrs } from '../dialect/generated/attrs.js';
import { exactWeight, floatIn, floatOut, operandData, operandQuant } from './common.js';
import { convGeometry, floatRelu } from './conv2d.js';

export function deconvKernel(ctx: KernelContext): NdArray {
  const a = deconvAttrs(ctx.op);
  if (a.kernel_shape.length !== 2) throw new Error(`tpu.Deconv "${ctx.op.name ?? '?'}": only 2-D kernels`);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const w = exactWeight(ctx, 1) ?? (operandData(ctx, 1).data as Float32Array);
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const { n, ic, ih, iw, shape, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, icg, ocg } = convGeometry(ctx, a);
  const acc = new Float64Array(n * oc * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < ic; c++) {
      const grp = Math.floor(c / icg);
      for (let oo = 0; oo < ocg; oo++) {
        const o = grp * ocg + oo;
        const wb = (o * icg + (c % icg)) * kh * kw;
        const outBase = (b * oc + o) * oh * ow;
        for (let y = 0; y < ih; y++) {
          for (let xi = 0; xi < iw; xi++) {
            const v = xd[((b * ic + c) * ih + y) * iw + xi]! - zx;
            if (v === 0) continue;
            for (let ky = 0; ky < kh; ky++) {
              const oy = y * sh - pt + ky * dh;
              if (oy < 0 || oy >= oh) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ox = xi * sw - pl + kx * dw;
                if (ox < 0 || ox >= ow) continue;
                acc[outBase + oy * ow + ox]! += v * w[wb + ky * kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  const plane = oh * ow;
  const el = ctx.outputTypes[0]?.element;
  if (el?.kind === 'int') {
    // the int32 accumulator (exact: int8 products summed stay far below 2^53)
    const out = new Int32Array(acc.length);
    for (let i = 0; i < out.length; i++) out[i] = acc[i]! + (bias ? bias[Math.floor(i / plane) % oc]! : 0);
    return ndarray('i32', shape, out);
  }
  const out = new Float32Array(acc.length);
  for (let i = 0; i < out.length; i++) {
    const v = acc[i]! + (bias ? bias[Math.floor(i / plane) % oc]! : 0);
    out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
  }
  return floatOut(ctx, shape, out);
}
