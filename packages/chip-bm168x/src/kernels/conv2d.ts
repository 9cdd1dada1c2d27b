// tpu.Conv2D, INT8 (spec deploy.md §3.10 Conv 5): acc = Σ Wq·q_in + bias_i32 (int32, exact),
// y = saturate(RightShiftRound(acc · m_c, r_c, HalfUp) + ZPo), a fused ReLU clamping at ZPo and
// at the quantized relu_limit. TPU-MLIR's Conv2D inference requants with HalfUp whatever the
// op's round_mode says; so does this kernel. A float Conv2D (f32/f16/bf16) accumulates in f64
// and rounds its result to its element type (f16/bf16 filters arrive decoded; the bias stays f32).
import type { NdArray } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { conv2DAttrs } from '../dialect/generated/attrs.js';
import { clamp, exactWeight, floatIn, floatOut, mulShiftHalfUp, nchw, operandData, operandQuant, outShapeOf, quantOf, reluBounds } from './common.js';

/** A 2-D conv's (or deconv's) geometry: NCHW input and result dims, kernel, strides, dilations, leading pads, channels per group. */
export interface ConvGeometry {
  readonly n: number; readonly ic: number; readonly ih: number; readonly iw: number;
  readonly shape: readonly number[]; readonly oc: number; readonly oh: number; readonly ow: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number; readonly pt: number; readonly pl: number;
  readonly icg: number; readonly ocg: number;
}

export function convGeometry(
  ctx: KernelContext,
  a: { kernel_shape: readonly number[]; strides: readonly number[]; dilations?: readonly number[]; pads: readonly number[]; group: number },
): ConvGeometry {
  const [n, ic, ih, iw] = nchw(operandData(ctx, 0).shape);
  const shape = outShapeOf(ctx);
  const [, oc, oh, ow] = nchw(shape);
  const [kh, kw] = a.kernel_shape as [number, number];
  const [sh, sw] = a.strides as [number, number];
  const [dh, dw] = (a.dilations?.length === 2 ? a.dilations : [1, 1]) as [number, number];
  const [pt, pl] = a.pads as [number, number];
  return { n, ic, ih, iw, shape, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, icg: ic / a.group, ocg: oc / a.group };
}

export function conv2dKernel(ctx: KernelContext): NdArray {
  const op = ctx.op;
  const a = conv2DAttrs(op);
  if (a.kernel_shape.length !== 2) throw new UserError('E_UNSUPPORTED_OP', `tpu.Conv2D "${op.name ?? '?'}" with a ${a.kernel_shape.length}-D kernel`);
  const x = floatIn(ctx, 0).data as Float32Array;
  const w = floatIn(ctx, 1).data as Float32Array;
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const { n, ic, ih, iw, shape, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, icg, ocg } = convGeometry(ctx, a);
  const outQ = quantOf(ctx.outputTypes[0]);
  const inZp = operandQuant(op, 0)?.zeroPoint ?? 0;
  const mult = a.multiplier;
  const shift = a.rshift;
  if (outQ && (!mult || !shift || mult.length !== oc && mult.length !== 1)) {
    throw new Error(`tpu.Conv2D "${op.name ?? '?'}": an int8 result needs one multiplier and rshift per output channel`);
  }
  const [lo, hi] = outQ ? reluBounds(outQ, a.do_relu, a.relu_limit) : [-Infinity, Infinity];
  const zpo = outQ?.zeroPoint ?? 0;
  const out = new Float32Array(n * oc * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < oc; o++) {
      const grp = Math.floor(o / ocg);
      const wBase = o * icg * kh * kw;
      const bv = bias ? bias[o]! : 0;
      const m = mult ? mult[mult.length === 1 ? 0 : o]! : 1;
      const r = shift ? shift[shift.length === 1 ? 0 : o]! : 0;
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let acc = 0;
          for (let c = 0; c < icg; c++) {
            const xBase = (b * ic + grp * icg + c) * ih * iw;
            const wc = wBase + c * kh * kw;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - pt + ky * dh;
              const wr = wc + ky * kw;
              const rowIn = iy >= 0 && iy < ih;
              const row = xBase + iy * iw;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xo * sw - pl + kx * dw;
                // padding holds the input zero point; the int32 bias already subtracts Σ Wq·ZPi
                const v = rowIn && ix >= 0 && ix < iw ? x[row + ix]! : inZp;
                acc += v * w[wr + kx]!;
              }
            }
          }
          const i = ((b * oc + o) * oh + y) * ow + xo;
          if (outQ) out[i] = clamp(mulShiftHalfUp(acc + bv, m, r) + zpo, lo, hi);
          else out[i] = a.do_relu ? floatRelu(acc + bv, a.relu_limit) : acc + bv;
        }
      }
    }
  }
  return floatOut(ctx, shape, out);
}

export function floatRelu(v: number, limit: number): number {
  const r = v < 0 ? 0 : v;
  return limit > 0 && r > limit ? limit : r;
}
