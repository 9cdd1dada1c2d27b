// tpu.Conv2D with quant_mode = OnlyShift: BM1684's INT8 convolution (spec deploy.md §3.11; TPU-MLIR's
// Conv2D inference with OnlyShift): acc = Σ Wq·q_in + bias_i16, exact;
// y = saturate(RightShiftRound(acc, r, HalfUp)), a fused ReLU clamping at 0. One right shift for
// the layer (`rshift = [r]`, or one per output channel), no multiplier. As in TPU-MLIR's
// inference, relu_limit plays no part in an integer result (the lowering sets it to -1).
//
// Symmetric only: zero points are 0, so padding adds nothing and is skipped. The loops run over
// output rows so the innermost loop is a contiguous multiply-add. This is the reference: the
// `wasm` backend runs these convs on wasm-conv2d.ts's integer kernels, code for code the same.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { conv2DAttrs } from '../dialect/generated/attrs.js';
import { storageRange } from '../quant/rounding.js';
import type { QuantParams } from '../quant/scales.js';
import { clamp, exactWeight, f32Out, operandData, operandQuant, quantOf } from './common.js';
import { convGeometry } from './conv2d.js';

/** Whether a tpu.Conv2D requantizes by shift only (BM1684 INT8). */
export function isOnlyShift(op: Op): boolean {
  return conv2DAttrs(op).quant_mode === 'OnlyShift';
}

/** The [lo, hi] codes of an OnlyShift result: the storage range, a fused ReLU clamping at 0 (relu_limit plays no part). */
export function onlyShiftBounds(outQ: QuantParams, doRelu: boolean): [number, number] {
  const [lo, hi] = storageRange(outQ);
  return [doRelu ? Math.max(lo, 0) : lo, hi];
}

/**
 * A shift r as the multiplier and right shift of mulShiftHalfUp (the wasm kernels' requant):
 * r ≥ 0 is (1, r), floor((v + 2^(r−1)) / 2^r) either way; r < 0 shifts left, v·2^−r, i.e. (2^−r, 0).
 */
export function onlyShiftAsMultiplier(r: number): [number, number] {
  return r >= 0 ? [1, r] : [2 ** -r, 0];
}

/** The first and one-past-last output index o with 0 ≤ o·stride + off < len. */
function span(off: number, stride: number, len: number, outLen: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-off / stride));
  const hi = Math.min(outLen, Math.floor((len - 1 - off) / stride) + 1);
  return [lo, hi];
}

export function conv2dOnlyShiftKernel(ctx: KernelContext): NdArray {
  const op = ctx.op;
  const a = conv2DAttrs(op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ || outQ.zeroPoint !== 0 || (operandQuant(op, 0)?.zeroPoint ?? 0) !== 0 || !a.rshift || a.kernel_shape.length !== 2) {
    throw new Error(`tpu.Conv2D "${op.name ?? '?'}": OnlyShift needs a 2-D kernel, symmetric int8/uint8 input and result, and rshift`);
  }
  const x = operandData(ctx, 0).data as Float32Array;
  const w = operandData(ctx, 1).data as Float32Array;
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const { n, ic, ih, iw, shape, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, icg, ocg } = convGeometry(ctx, a);
  const rshift = a.rshift;
  const [lo, hi] = onlyShiftBounds(outQ, a.do_relu);
  const plane = oh * ow;
  const acc = new Float64Array(plane);
  const out = new Float32Array(n * oc * plane);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < oc; o++) {
      acc.fill(bias ? bias[o]! : 0);
      const grp = Math.floor(o / ocg);
      for (let c = 0; c < icg; c++) {
        const xBase = (b * ic + grp * icg + c) * ih * iw;
        const wBase = (o * icg + c) * kh * kw;
        for (let ky = 0; ky < kh; ky++) {
          const [y0, y1] = span(ky * dh - pt, sh, ih, oh);
          for (let kx = 0; kx < kw; kx++) {
            const wv = w[wBase + ky * kw + kx]!;
            const off = kx * dw - pl;
            const [x0, x1] = span(off, sw, iw, ow);
            if (wv === 0 || x0 >= x1) continue;
            for (let y = y0; y < y1; y++) {
              const row = xBase + (y * sh + ky * dh - pt) * iw + off;
              const at = y * ow;
              if (sw === 1) for (let xo = x0; xo < x1; xo++) acc[at + xo]! += wv * x[row + xo]!;
              else for (let xo = x0; xo < x1; xo++) acc[at + xo]! += wv * x[row + xo * sw]!;
            }
          }
        }
      }
      const r = rshift[rshift.length === oc ? o : 0]!;
      // RightShiftRound(acc, r, HalfUp) = floor((acc + 2^(r−1)) / 2^r); |acc| < 2^31 stays exact
      // (r ≤ 0 shifts left)
      const half = r > 0 ? 2 ** (r - 1) : 0;
      const div = 2 ** r;
      const base = (b * oc + o) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = clamp(r > 0 ? Math.floor((acc[i]! + half) / div) : acc[i]! / div, lo, hi);
    }
  }
  return f32Out(shape, out);
}
