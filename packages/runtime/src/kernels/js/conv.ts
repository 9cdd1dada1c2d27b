// Conv and Deconv (1-D and 2-D; a 1-D op runs as 2-D with H = 1). Sums accumulate in f64 (JS
// numbers) and round to f32 once per output, so results are at least as accurate as ORT's f32
// accumulation; tests compare with tolerances because the summation order differs.
import type { NdArray } from '@tpu-quant/ir';
import { top, UserError } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, f32 } from '../../tensor.js';

/** Window parameters as 2-D: [h, w] pairs, pads [top, left, bottom, right]. */
export interface Window2d {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
}

/** Lifts 1-D window attributes to 2-D (H = 1); 3-D and beyond are not supported here. */
export function window2d(
  op: string, kernel: readonly number[], strides: readonly number[], dilations: readonly number[], pads: readonly number[],
): Window2d {
  if (kernel.length === 1) {
    return { kh: 1, kw: kernel[0]!, sh: 1, sw: strides[0]!, dh: 1, dw: dilations[0]!, pt: 0, pl: pads[0]!, pb: 0, pr: pads[1]! };
  }
  if (kernel.length !== 2) throw new UserError('E_UNSUPPORTED_OP', `${op} with a ${kernel.length}-D kernel`, 'the js backend runs 1-D and 2-D windows');
  return {
    kh: kernel[0]!, kw: kernel[1]!, sh: strides[0]!, sw: strides[1]!, dh: dilations[0]!, dw: dilations[1]!,
    pt: pads[0]!, pl: pads[1]!, pb: pads[2]!, pr: pads[3]!,
  };
}

/** Pads after ONNX's auto_pad (SAME_UPPER puts the odd pad after, SAME_LOWER before). */
export function resolveAutoPad(
  mode: string | undefined, spatial: readonly number[], kernel: readonly number[], strides: readonly number[],
  dilations: readonly number[], pads: readonly number[],
): number[] {
  const r = kernel.length;
  if (mode === 'VALID') return new Array<number>(2 * r).fill(0);
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') return [...pads];
  const out = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const o = Math.ceil(spatial[i]! / strides[i]!);
    const total = Math.max((o - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!, 0);
    const small = Math.floor(total / 2);
    out[i] = mode === 'SAME_UPPER' ? small : total - small;
    out[i + r] = total - out[i]!;
  }
  return out;
}

/** [n, c, h, w] view of a rank-3 (1-D) or rank-4 tensor. */
export function nchw(shape: readonly number[]): [number, number, number, number] {
  return shape.length === 3 ? [shape[0]!, shape[1]!, 1, shape[2]!] : [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}

function conv(ctx: KernelContext): NdArray {
  const a = top.convAttrs(ctx.op);
  if (a.inserts?.some((v) => v !== 0)) throw new UserError('E_UNSUPPORTED_OP', `top.Conv "${ctx.op.name ?? '?'}" with inserts`, 'run it as a Deconv');
  const x = input0(ctx);
  const w = ctx.inputs[1]!;
  const bias = ctx.inputs[2]?.data as Float32Array | undefined;
  const pads = resolveAutoPad(a.auto_pad, x.shape.slice(2), a.kernel_shape, a.strides, a.dilations, a.pads);
  const win = window2d('top.Conv', a.kernel_shape, a.strides, a.dilations, pads);
  const [n, ic, ih, iw] = nchw(x.shape);
  const shape = outShape(ctx);
  const [, oc, oh, ow] = nchw(shape);
  const g = a.group;
  const icg = ic / g;
  const ocg = oc / g;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const out = new Float32Array(n * oc * oh * ow);
  const { kh, kw, sh, sw, dh, dw, pt, pl } = win;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < oc; o++) {
      const grp = Math.floor(o / ocg);
      const wBase = o * icg * kh * kw;
      const bv = bias ? bias[o]! : 0;
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let acc = 0;
          for (let c = 0; c < icg; c++) {
            const xBase = (b * ic + grp * icg + c) * ih * iw;
            const wc = wBase + c * kh * kw;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - pt + ky * dh;
              if (iy < 0 || iy >= ih) continue;
              const row = xBase + iy * iw;
              const wr = wc + ky * kw;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xo * sw - pl + kx * dw;
                if (ix < 0 || ix >= iw) continue;
                acc += xd[row + ix]! * wd[wr + kx]!;
              }
            }
          }
          out[((b * oc + o) * oh + y) * ow + xo] = acc + bv;
        }
      }
    }
  }
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
}

/**
 * Transposed convolution as a scatter: each input pixel adds weight·x into the window it maps
 * to. Filter layout: a top.Weight filter holds [oc, ic/g, k...] data (TPU-MLIR's importer
 * reorders ONNX's [ic, oc/g, k...] and labels it [oc/g, ic, k...]); a computed filter keeps
 * ONNX's [ic, oc/g, k...].
 */
function deconv(ctx: KernelContext): NdArray {
  const a = top.deconvAttrs(ctx.op);
  const x = input0(ctx);
  const w = ctx.inputs[1]!;
  const bias = ctx.inputs[2]?.data as Float32Array | undefined;
  const win = window2d('top.Deconv', a.kernel_shape, a.strides, a.dilations, a.pads);
  const [n, ic, ih, iw] = nchw(x.shape);
  const shape = outShape(ctx);
  const [, oc, oh, ow] = nchw(shape);
  const g = a.group;
  const icg = ic / g;
  const ocg = oc / g;
  const { kh, kw, sh, sw, dh, dw, pt, pl } = win;
  const fromWeight = ctx.op.operand(1).producer?.type === 'top.Weight';
  // flat filter offset of (input channel c, output channel o) for kernel position 0
  const wOff = fromWeight
    ? (c: number, o: number): number => (o * icg + (c % icg)) * kh * kw
    : (c: number, o: number): number => (c * ocg + (o % ocg)) * kh * kw;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const acc = new Float64Array(n * oc * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < ic; c++) {
      const grp = Math.floor(c / icg);
      for (let oo = 0; oo < ocg; oo++) {
        const o = grp * ocg + oo;
        const wb = wOff(c, o);
        const outBase = (b * oc + o) * oh * ow;
        for (let y = 0; y < ih; y++) {
          for (let xi = 0; xi < iw; xi++) {
            const v = xd[((b * ic + c) * ih + y) * iw + xi]!;
            if (v === 0) continue;
            for (let ky = 0; ky < kh; ky++) {
              const oy = y * sh - pt + ky * dh;
              if (oy < 0 || oy >= oh) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ox = xi * sw - pl + kx * dw;
                if (ox < 0 || ox >= ow) continue;
                acc[outBase + oy * ow + ox]! += v * wd[wb + ky * kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(acc.length);
  for (let i = 0; i < out.length; i++) out[i] = acc[i]! + (bias ? bias[Math.floor(i / (oh * ow)) % oc]! : 0);
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
}

jsKernel('Conv', conv);
jsKernel('Deconv', deconv);
