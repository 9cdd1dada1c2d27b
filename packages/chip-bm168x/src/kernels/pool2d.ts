// tpu.Pool2D (spec deploy.md §3.10 AvgPool / MaxPool). INT8 Max: the maximum code (input and
// output share one scale after threshold propagation). INT8 Avg: the window's integer sum
// (padding counted as zeros, i.e. the multiplier was computed for the full kh·kw window) times
// multiplier >> rshift with HalfUp rounding, as applyMultiplierAndRShift's default. INT8 Avg
// with `scale`/`offset` (asymmetric, RequantFp style; upstream Pool2D inference): pads hold the
// input zero point, the window average is a C float (oneDNN's f32 pooling), multiplied back by
// kh·kw in float, then y = saturate(round(avg·kh·kw·scale + offset)) with round_mode. Float pools
// follow count_include_pad and round their result to its element type (f32/f16/bf16).
import type { NdArray, TensorType } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { pool2DAttrs } from '../dialect/generated/attrs.js';
import { roundToInt } from '../quant/rounding.js';
import { clamp, floatIn, floatOut, mulShiftHalfUp, nchw, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

/** A tpu.Pool2D's input, window geometry and output quantization (shared with the fast path). */
export function pool2dGeometry(ctx: KernelContext) {
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
  return { a, xd, n, c, ih, iw, shape, oh, ow, kh, kw, sh, sw, pt, pl, outQ, max, lo, hi, mult: a.multiplier ?? 1, rshift: a.rshift ?? 0, zp: outQ?.zeroPoint ?? 0 };
}

export function pool2dKernel(ctx: KernelContext): NdArray {
  const { a, xd, n, c, ih, iw, shape, oh, ow, kh, kw, sh, sw, pt, pl, outQ, max, lo, hi, mult, rshift, zp } = pool2dGeometry(ctx);
  const out = new Float32Array(n * c * oh * ow);
  // asymmetric average: pads filled with the input zero point (counted in the window)
  const fp = outQ && !max && a.scale !== undefined ? { scale: a.scale, offset: a.offset ?? 0, izp: quantOf(ctx.op.operand(0).type as TensorType)?.zeroPoint ?? 0 } : undefined;
  for (let p = 0; p < n * c; p++) {
    const base = p * ih * iw;
    for (let y = 0; y < oh; y++) {
      // the window rows and columns inside the input (no per-element bounds tests)
      const y0 = y * sh - pt;
      const ky0 = Math.max(0, -y0), ky1 = Math.min(kh, ih - y0);
      for (let xo = 0; xo < ow; xo++) {
        const x0 = xo * sw - pl;
        const kx0 = Math.max(0, -x0), kx1 = Math.min(kw, iw - x0);
        let acc = max ? -Infinity : 0;
        for (let ky = ky0; ky < ky1; ky++) {
          const row = base + (y0 + ky) * iw + x0;
          for (let kx = kx0; kx < kx1; kx++) acc = max ? Math.max(acc, xd[row + kx]!) : acc + xd[row + kx]!;
        }
        const i = (p * oh + y) * ow + xo;
        if (max) out[i] = outQ ? clamp(acc, lo, hi) : a.do_relu ? floatRelu(acc, a.relu_limit) : acc;
        else if (fp) {
          const inside = Math.max(0, ky1 - ky0) * Math.max(0, kx1 - kx0);
          const padded = fp.izp !== 0 && a.pads.some((v) => v !== 0);
          const count = padded || a.count_include_pad ? kh * kw : inside;
          const sum = padded ? acc + (kh * kw - inside) * fp.izp : acc;
          const avg = Math.fround(Math.fround(Math.fround(sum / (count || 1)) * kh) * kw);
          out[i] = clamp(roundToInt(Math.fround(avg * fp.scale + fp.offset), a.round_mode), lo, hi);
        } else if (outQ) out[i] = clamp(mulShiftHalfUp(acc, mult, rshift) + zp, lo, hi);
        else {
          const count = a.count_include_pad ? kh * kw : Math.max(0, ky1 - ky0) * Math.max(0, kx1 - kx0);
          const v = acc / (count || 1);
          out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
        }
      }
    }
  }
  return floatOut(ctx, shape, out);
}
