// Value transforms for overrides: what a tensor looks like after a trip through a narrower type.
// The searches apply them to one tensor at a time (RunOptions.overrides, session.setOverride)
// instead of rebuilding the graph with cast or quantize ops.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { F32 } from './tensor.js';
import { f32, stridesOf, toF32 } from './tensor.js';

/** Replaces a tensor's value in flight; must return a new array of the same shape (never modify `value`: it may be a weight or a cached tensor). */
export type OverrideFn = (value: NdArray, op: Op) => NdArray;

/** f32 values rounded to the nearest f16 (ties to even), returned as f32. */
export function roundToF16(a: NdArray): F32 {
  const out = toF32(a).data.slice();
  roundF16InPlace(out);
  return f32(a.shape, out);
}

/** f32 values rounded to the nearest bf16 (ties to even, NaN kept), returned as f32. */
export function roundToBF16(a: NdArray): F32 {
  const out = toF32(a).data.slice();
  roundBF16InPlace(out);
  return f32(a.shape, out);
}

// In place, on the bits, so that float kernels can round millions of results without a new array
// or a log2 per element.
const F16_MIN_NORMAL = 0x38800000; // 2^-14 as f32 bits
const F16_ROUNDS_TO_INF = 0x477ff000; // 65520: from here up f16 rounds to infinity
const F16_SUBNORMAL_STEP = 2 ** -24;

/** Rounds every element of `d` to f16 (ties to even; NaN kept, overflow to ±Infinity). */
export function roundF16InPlace(d: Float32Array): void {
  const u = new Uint32Array(d.buffer, d.byteOffset, d.length);
  for (let i = 0; i < u.length; i++) {
    const bits = u[i]!;
    const a = bits & 0x7fffffff;
    if (a >= 0x7f800000) continue; // NaN, ±Infinity
    const sign = bits & 0x80000000;
    if (a >= F16_ROUNDS_TO_INF) u[i] = (sign | 0x7f800000) >>> 0;
    else if (a >= F16_MIN_NORMAL) u[i] = (sign | ((a + 0x0fff + ((a >>> 13) & 1)) & ~0x1fff)) >>> 0;
    else {
      // below 2^-14 f16 steps by 2^-24: round |x| / 2^-24 half to even (exact in f64)
      const q = Math.abs(d[i]!) / F16_SUBNORMAL_STEP;
      const f = Math.floor(q);
      const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
      d[i] = (sign ? -r : r) * F16_SUBNORMAL_STEP;
    }
  }
}

/** Rounds every element of `d` to bf16 (ties to even; NaN kept quiet). */
export function roundBF16InPlace(d: Float32Array): void {
  const u = new Uint32Array(d.buffer, d.byteOffset, d.length);
  for (let i = 0; i < u.length; i++) {
    const b = u[i]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) u[i] = (b | 0x400000) & 0xffff0000;
    else u[i] = ((b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
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
