// Fast paths of the data-movement, pooling and float Scale tpu kernels for the runtime's `wasm`
// backend: Concat, Slice, Permute, Upsample, constant Pad, Pool2D (max, and the average forms
// without the asymmetric scale/offset) and tpu.Scale. Results are bit-identical to the js kernels
// (data-movement.ts, pool2d.ts, float-norm.ts), which stay the reference: the same values are
// moved (typed-array row copies instead of per-element index math), the same double expressions
// computed (a max pool is two separable passes: max is exact in any order; max pools and the INT8
// global average's plane sums run on wasm-eltwise8.ts's SIMD kernels first), the same rounding to
// the result's float type applied (skipped where the moved values already have it, finishMoved);
// results go to the session's pooled memory (`allocOut`).
import type { NdArray } from '@tpu-quant/ir';
import { shapeSize } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut, stridesOf } from '@tpu-quant/runtime';
import { concatAttrs, padAttrs, permuteAttrs, scaleAttrs, upsampleAttrs } from '../dialect/generated/attrs.js';
import { floatIn, floatNameOf, mulShiftHalfUp, outShapeOf, quantOf, roundFloatInPlace } from './common.js';
import { floatRelu } from './conv2d.js';
import { applyFusedRelu, concatInto, sliceGeometry } from './data-movement.js';
import { pool2dGeometry } from './pool2d.js';
import { maxAbs } from './fast-int8.js';
import { maxPoolWasm, planeSumsWasm, scaleWasm } from './wasm-eltwise8.js';

/** The result's rounding to its float type (nothing for int8 / f32), as floatOut does. */
function finish(ctx: KernelContext, out: NdArray): NdArray {
  roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), out.data as Float32Array);
  return out;
}

/**
 * `finish` for ops that only move their inputs' values (Concat, Slice, Permute, Upsample), with a
 * fused ReLU of limit `reluLimit` (≤ 0: none, or no limit). Rounding to f16 / bf16 is the identity
 * on values of that type, so it is skipped when every data operand already holds them: of the
 * result's float type and not a top.Weight (floatIn returns those unrounded; it rounds a block
 * argument, and a tpu op's kernel rounds its result), and no ReLU limit is written in.
 */
function finishMoved(ctx: KernelContext, out: NdArray, operands: number, reluLimit = 0): NdArray {
  const name = floatNameOf(ctx.outputTypes[0]);
  if (name !== 'f16' && name !== 'bf16') return out;
  let typed = reluLimit <= 0;
  for (let i = 0; i < operands && typed; i++) {
    const v = ctx.op.operands[i];
    typed = v !== undefined && v.type.kind === 'tensor' && floatNameOf(v.type) === name && v.producer?.type !== 'top.Weight';
  }
  return typed ? out : finish(ctx, out);
}

/**
 * dst[i] = src[start + Σ idx_d·strides_d] over `shape` in row-major order (the runtime's
 * stridedGather), one row of the last axis at a time (a block copy when its stride is 1).
 */
export function stridedCopy(src: Float32Array, shape: readonly number[], strides: readonly number[], start: number, dst: Float32Array): void {
  const r = shape.length;
  const n = shapeSize(shape);
  if (n === 0) return;
  if (r === 0) {
    dst[0] = src[start]!;
    return;
  }
  const inner = shape[r - 1]!;
  const st = strides[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let off = start;
  for (let o = 0; o < n; o += inner) {
    if (st === 1) dst.set(src.subarray(off, off + inner), o);
    else for (let j = 0, p = off; j < inner; j++, p += st) dst[o + j] = src[p]!;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function concatFast(ctx: KernelContext): NdArray {
  const shape = outShapeOf(ctx);
  const out = allocOut(ctx, shape);
  concatInto(ctx, shape, out.data as Float32Array);
  const a = concatAttrs(ctx.op);
  return finishMoved(ctx, out, ctx.op.operands.length, a.do_relu ? a.relu_limit : 0);
}

export function sliceFast(ctx: KernelContext): NdArray {
  const { x, step, st, offset, shape } = sliceGeometry(ctx);
  const out = allocOut(ctx, shape);
  stridedCopy(x.data as Float32Array, shape, st.map((v, d) => v * step[d]!), offset, out.data);
  return finishMoved(ctx, out, 1);
}

export function permuteFast(ctx: KernelContext): NdArray {
  const order = permuteAttrs(ctx.op).order;
  const x = floatIn(ctx, 0);
  const st = stridesOf(x.shape);
  const shape = order.map((o) => x.shape[o]!);
  const out = allocOut(ctx, shape);
  stridedCopy(x.data as Float32Array, shape, order.map((o) => st[o]!), 0, out.data);
  return finishMoved(ctx, out, 1);
}

export function upsampleFast(ctx: KernelContext): NdArray {
  const a = upsampleAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const [ih, iw] = [x.shape[x.shape.length - 2]!, x.shape[x.shape.length - 1]!];
  const [sh, sw] = [a.scale_h, a.scale_w];
  const [oh, ow] = [ih * sh, iw * sw];
  const planes = xd.length / (ih * iw);
  const out = allocOut(ctx, outShapeOf(ctx));
  const od = out.data;
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < ih; y++) {
      const src = (p * ih + y) * iw;
      const dst = (p * oh + y * sh) * ow;
      for (let xi = 0, o = dst; xi < iw; xi++) {
        const v = xd[src + xi]!;
        for (let k = 0; k < sw; k++) od[o++] = v;
      }
      for (let k = 1; k < sh; k++) od.copyWithin(dst + k * ow, dst, dst + ow);
    }
  }
  applyFusedRelu(ctx, od, a.do_relu, a.relu_limit);
  return finishMoved(ctx, out, 1, a.do_relu ? a.relu_limit : 0);
}

/** Constant padding with non-negative amounts (others: the js kernel). */
export function padFast(ctx: KernelContext): NdArray | undefined {
  const a = padAttrs(ctx.op);
  if (a.mode !== 'constant' || a.paddings.length === 0 || a.paddings.some((p) => p < 0)) return undefined;
  const x = floatIn(ctx, 0);
  const r = x.shape.length;
  const shape = outShapeOf(ctx);
  if (a.paddings.length !== 2 * r || shape.some((d, i) => d !== x.shape[i]! + a.paddings[i]! + a.paddings[r + i]!)) return undefined;
  const out = allocOut(ctx, shape);
  const od = out.data;
  od.fill(a.val);
  const ost = stridesOf(shape);
  const start = a.paddings.slice(0, r).reduce((acc, p, d) => acc + p * ost[d]!, 0);
  // the input, row by row, into the interior of the result: a strided scatter
  const xd = x.data as Float32Array;
  const inner = x.shape[r - 1] ?? 1;
  const idx = new Array<number>(r).fill(0);
  let off = start;
  for (let i = 0; i < xd.length; i += inner) {
    od.set(xd.subarray(i, i + inner), off);
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      off += ost[d]!;
      if (idx[d]! < x.shape[d]!) break;
      off -= ost[d]! * x.shape[d]!;
      idx[d] = 0;
    }
  }
  return finish(ctx, out);
}

// row maxima of a max pool, reused across calls
let rowMax = new Float64Array(0);

/**
 * tpu.Pool2D: Max window by window, or, where windows overlap enough to pay, in two separable
 * passes (each input row's window maxima over the clipped columns, then the maxima of those over
 * the clipped rows: Math.max is exact in any order);
 * Avg (integer multiplier / shift, or float) window by window in the js kernel's order. The
 * asymmetric scale/offset average: the js kernel.
 */
export function pool2dFast(ctx: KernelContext): NdArray | undefined {
  const { a, xd, n, c, ih, iw, shape, oh, ow, kh, kw, sh, sw, pt, pl, outQ, max, lo, hi, mult, rshift, zp } = pool2dGeometry(ctx);
  if (outQ && !max && a.scale !== undefined) return undefined;
  // the window's rows / columns inside the input, per output row / column
  const ky0 = new Int32Array(oh), ky1 = new Int32Array(oh), kx0 = new Int32Array(ow), kx1 = new Int32Array(ow);
  for (let y = 0; y < oh; y++) {
    const y0 = y * sh - pt;
    ky0[y] = y0 + Math.max(0, -y0);
    ky1[y] = y0 + Math.min(kh, ih - y0);
  }
  for (let xo = 0; xo < ow; xo++) {
    const x0 = xo * sw - pl;
    kx0[xo] = x0 + Math.max(0, -x0);
    kx1[xo] = x0 + Math.min(kw, iw - x0);
  }
  const out = allocOut(ctx, shape);
  const od = out.data;
  const relu = (m: number): number => (outQ ? (m < lo ? lo : m > hi ? hi : m) : a.do_relu ? floatRelu(m, a.relu_limit) : m);
  // max windows in wasm f32x4 lanes (the same IEEE maximum as Math.max), then the clamp / ReLU
  if (max && maxPoolWasm(xd, n * c, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, od)) {
    if (outQ || a.do_relu) for (let i = 0; i < od.length; i++) od[i] = relu(od[i]!);
    return finish(ctx, out);
  }
  // two separable passes pay where windows overlap a lot (SPP's 13x13 at stride 1), not at 3x3 / 2
  if (max && ih * ow * kw + oh * ow * kh >= oh * ow * kh * kw) {
    for (let p = 0; p < n * c; p++) {
      const base = p * ih * iw;
      for (let y = 0; y < oh; y++) {
        const o = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) {
          let m = -Infinity;
          for (let yy = ky0[y]!; yy < ky1[y]!; yy++) {
            const row = base + yy * iw;
            for (let k = kx0[xo]!; k < kx1[xo]!; k++) m = Math.max(m, xd[row + k]!);
          }
          od[o + xo] = relu(m);
        }
      }
    }
    return finish(ctx, out);
  }
  if (max) {
    if (rowMax.length < ih * ow) rowMax = new Float64Array(ih * ow);
    for (let p = 0; p < n * c; p++) {
      const base = p * ih * iw;
      for (let yi = 0; yi < ih; yi++) {
        const row = base + yi * iw;
        for (let xo = 0; xo < ow; xo++) {
          let m = -Infinity;
          for (let k = kx0[xo]!; k < kx1[xo]!; k++) m = Math.max(m, xd[row + k]!);
          rowMax[yi * ow + xo] = m;
        }
      }
      for (let y = 0; y < oh; y++) {
        const o = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) {
          let m = -Infinity;
          for (let k = ky0[y]!; k < ky1[y]!; k++) m = Math.max(m, rowMax[k * ow + xo]!);
          od[o + xo] = relu(m);
        }
      }
    }
    return finish(ctx, out);
  }
  const half = 2 ** (rshift - 1);
  const inv = 2 ** -rshift;
  // the INT8 global average: each plane's sum in wasm f64 lanes (exact integers, so the js loop's)
  if (outQ && oh === 1 && ow === 1 && kh === ih && kw === iw && pt === 0 && pl === 0) {
    const r = planeSumsWasm(xd, n * c, ih * iw);
    if (r && r.maxAbs * ih * iw < 2 ** 53) {
      const fast = r.maxAbs * kh * kw * Math.abs(mult) <= 2 ** 52 && rshift > 0;
      for (let p = 0; p < n * c; p++) {
        const acc = r.sums[p]!;
        const v = (fast ? Math.floor((acc * mult + half) * inv) : mulShiftHalfUp(acc, mult, rshift)) + zp;
        od[p] = v < lo ? lo : v > hi ? hi : v;
      }
      return finish(ctx, out);
    }
  }
  // the integer average's requant is mulShiftHalfUp's safe branch when |Σ·m| stays exact
  const fastInt = outQ !== undefined && maxAbs(xd) * kh * kw * Math.abs(mult) <= 2 ** 52 && rshift > 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * ih * iw;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let acc = 0;
        for (let yy = ky0[y]!; yy < ky1[y]!; yy++) {
          const row = base + yy * iw;
          for (let k = kx0[xo]!; k < kx1[xo]!; k++) acc = acc + xd[row + k]!;
        }
        const i = (p * oh + y) * ow + xo;
        if (outQ) {
          const v = (fastInt ? Math.floor((acc * mult + half) * inv) : mulShiftHalfUp(acc, mult, rshift)) + zp;
          od[i] = v < lo ? lo : v > hi ? hi : v;
        } else {
          const count = a.count_include_pad ? kh * kw : Math.max(0, ky1[y]! - ky0[y]!) * Math.max(0, kx1[xo]! - kx0[xo]!);
          const v = acc / (count || 1);
          od[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
        }
      }
    }
  }
  return finish(ctx, out);
}

/** Float tpu.Scale: y = x·s[c] + b[c] per channel of axis 1, the fused ReLU, rounded (float-norm.ts). */
export function scaleFast(ctx: KernelContext): NdArray | undefined {
  if (quantOf(ctx.outputTypes[0])) return undefined;
  const a = scaleAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const c = x.shape[1] ?? 1;
  const inner = shapeSize(x.shape.slice(2));
  const s = floatIn(ctx, 1).data as Float32Array;
  const bias = floatIn(ctx, 2).data as Float32Array;
  if (s.length !== c || bias.length !== c || inner === 0) return undefined;
  const out = allocOut(ctx, outShapeOf(ctx));
  const od = out.data;
  // the same f64 expression in wasm lanes, per channel plane
  if (scaleWasm(xd, inner, s, bias, a.do_relu, a.relu_limit, od)) return finish(ctx, out);
  for (let at = 0, ch = 0; at < xd.length; at += inner, ch = ch + 1 === c ? 0 : ch + 1) {
    const sc = s[ch]!;
    const b = bias[ch]!;
    if (a.do_relu) for (let i = at; i < at + inner; i++) od[i] = floatRelu(xd[i]! * sc + b, a.relu_limit);
    else for (let i = at; i < at + inner; i++) od[i] = xd[i]! * sc + b;
  }
  return finish(ctx, out);
}
