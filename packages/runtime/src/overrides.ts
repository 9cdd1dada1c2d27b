// Value transforms for overrides: what a tensor looks like after a trip through a narrower type.
// The searches apply them to one tensor at a time (RunOptions.overrides, session.setOverride)
// instead of rebuilding the graph with cast or quantize ops.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { F32 } from './tensor.js';
import { f32, stridesOf, toF32 } from './tensor.js';

/** Replaces a tensor's value in flight; must return a new array of the same shape (never modify `value`: it may be a weight or a cached tensor). */
export type OverrideFn = (value: NdArray, op: Op) => NdArray;

const HALF_MAX_ROUNDED = 65520; // f16 max is 65504; values from 65520 up round to infinity

/** f32 values rounded to the nearest f16 (ties to even), returned as f32. */
export function roundToF16(a: NdArray): F32 {
  const src = toF32(a).data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f16Round(src[i]!);
  return f32(a.shape, out);
}

function f16Round(x: number): number {
  const ax = Math.abs(x);
  if (!Number.isFinite(ax) || ax === 0) return x;
  if (ax >= HALF_MAX_ROUNDED) return Math.sign(x) * Infinity;
  // the spacing of f16 values around x: 2^(e-10) for normals, 2^-24 below 2^-14
  let e = Math.floor(Math.log2(ax));
  if (2 ** e > ax) e--;
  else if (2 ** (e + 1) <= ax) e++;
  const quantum = 2 ** (Math.max(e, -14) - 10);
  return Math.sign(x) * roundHalfEven(ax / quantum) * quantum;
}

/** Round half to even for non-negative numbers. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** f32 values rounded to the nearest bf16 (ties to even, NaN kept), returned as f32. */
export function roundToBF16(a: NdArray): F32 {
  const src = toF32(a).data;
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  const inBits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const u = inBits[i]!;
    if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) bits[i] = (u | 0x400000) & 0xffff0000;
    else bits[i] = ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
  return f32(a.shape, out);
}

/**
 * Quantize-dequantize: q = clamp(round(x / scale) + zeroPoint, qmin, qmax), x' = (q - zeroPoint)
 * · scale, rounding half away from zero as TPU-MLIR's lowering does. `scale` is one number, or one
 * per index of `axis` (per-channel weights: axis 0).
 */
export function fakeQuantize(
  a: NdArray,
  scale: number | ArrayLike<number>,
  zeroPoint = 0,
  qmin = -128,
  qmax = 127,
  axis = 0,
): F32 {
  const src = toF32(a).data;
  const out = new Float32Array(src.length);
  const perChannel = typeof scale !== 'number';
  const stride = perChannel ? (stridesOf(a.shape)[axis] ?? 1) : 1;
  const channels = perChannel ? (a.shape[axis] ?? 1) : 1;
  if (perChannel && scale.length !== channels) {
    throw new RangeError(`fakeQuantize: ${scale.length} scales for ${channels} channels on axis ${axis}`);
  }
  for (let i = 0; i < src.length; i++) {
    const s = perChannel ? scale[Math.floor(i / stride) % channels]! : scale;
    const v = src[i]! / s;
    const r = v < 0 ? -Math.round(-v) : Math.round(v); // Math.round alone rounds -2.5 to -2
    const q = Math.min(qmax, Math.max(qmin, r + zeroPoint));
    out[i] = (q - zeroPoint) * s;
  }
  return f32(a.shape, out);
}
