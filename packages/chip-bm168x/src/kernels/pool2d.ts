// tpu.Pool2D (spec deploy.md §3.10 AvgPool / MaxPool). INT8 Max: the maximum code (input and
// output share one scale after threshold propagation). INT8 Avg: the window's integer sum
// (padding counted as zeros, i.e. the multiplier was computed for the full kh·kw window) times
// multiplier >> rshift with HalfUp rounding, as applyMultiplierAndRShift's default; a float
// scale/offset pool (the asymmetric path) is not lowered yet. Float pools follow
// count_include_pad and round their result to its element type (f32/f16/bf16).
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { pool2DAttrs } from '../dialect/generated/attrs.js';
import { clamp, floatIn, floatOut, mulShiftHalfUp, nchw, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

export function pool2dKernel(ctx: KernelContext): NdArray {
  const a = pool2DAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const [n, c, ih, iw] = nchw(x.shape);
  const shape = outShapeOf(ctx);
  const [, , oh, ow] = nchw(shape);
  const [kh, kw] = (a.kernel_shape.length === 2 ? a.kernel_shape : [ih, iw]) as [number, number];
  const [sh, sw] = (a.strides.length === 2 ? a.strides : [1, 1]) as [number, number];
  const [pt, pl] = (a.pads.length === 4 ? a.pads : [0, 0]) as [number, number];
  const outQ = quantOf(ctx.outputTypes[0]);
  const max = a.pool_mode === 'Max';
  const [lo, hi] = outQ ? reluBounds(outQ, a.do_relu, a.relu_limit) : [-Infinity, Infinity];
  const out = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) {
    const base = p * ih * iw;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y * sh - pt + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = xo * sw - pl + kx;
            const inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
            if (inside || a.count_include_pad) count++;
            if (!inside) continue;
            const v = xd[base + iy * iw + ix]!;
            acc = max ? Math.max(acc, v) : acc + v;
          }
        }
        const i = (p * oh + y) * ow + xo;
        if (max) out[i] = outQ ? clamp(acc, lo, hi) : a.do_relu ? floatRelu(acc, a.relu_limit) : acc;
        else if (outQ) out[i] = clamp(mulShiftHalfUp(acc, a.multiplier ?? 1, a.rshift ?? 0) + outQ.zeroPoint, lo, hi);
        else {
          const v = acc / (count || 1);
          out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
        }
      }
    }
  }
  return floatOut(ctx, shape, out);
}
