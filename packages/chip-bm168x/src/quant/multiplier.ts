// Fixed-point multipliers and shifts: how TPU-MLIR turns a real scale into integers
// (spec deploy.md §3.9; lib/Support/MathUtils.cpp). `float` arguments of the C functions are
// rounded with Math.fround where the C code converts them.
import { roundHalfAwayFromZero, roundToInt, toInt8, type RoundingMode } from './rounding.js';

const FLT_MAX = 3.4028234663852886e38;

/** An integer multiplier and a right shift: real ≈ multiplier / 2^shift. */
export interface MultiplierShift {
  readonly multiplier: number;
  readonly shift: number;
}

/**
 * The shared loop of `get_scale_and_shift*`: for n in [from, to) take m = round(f·2^n) and keep
 * the n with the smallest error |m/2^n − f| (computed in double, stored in a C float, so close
 * errors tie and the smaller n wins), among those with |m| < limit (INT32_MAX for 32 bits, 127
 * for 8). When no n qualifies the C code leaves the caller's shift alone: `initialShift`.
 */
function searchScaleAndShift(scale: number, bitwidth: number, from: number, to: number, initialShift: number): MultiplierShift {
  const f = Math.fround(scale);
  const limit = bitwidth === 32 ? 2147483647 : 127;
  let minErr = FLT_MAX;
  let shift = initialShift;
  for (let n = from; n < to; n++) {
    const p = 2 ** n;
    const m = roundHalfAwayFromZero(f * p);
    if (!(Math.abs(m) < limit)) continue;
    const err = Math.fround(Math.abs(m / p - f));
    if (err < minErr) {
      minErr = err;
      shift = n;
    }
  }
  return { multiplier: roundHalfAwayFromZero(f * 2 ** shift), shift };
}

/**
 * `get_scale_and_shift(f, m, s, bitwidth)`: n from −32 to 30 (a negative shift is a left shift).
 * Used for BM1684X-family Conv/MatMul requant (32 bits) and Mul/AvgPool (8 bits).
 */
export function getScaleAndShift(scale: number, bitwidth: 8 | 32 = 32, initialShift = 0): MultiplierShift {
  return searchScaleAndShift(scale, bitwidth, -32, 31, initialShift);
}

/** `get_scale_and_shift_positive`: only right shifts, n from 0 to 30 (BM1684X Add, Concat). */
export function getScaleAndShiftPositive(scale: number, bitwidth: 8 | 32 = 32, initialShift = 0): MultiplierShift {
  return searchScaleAndShift(scale, bitwidth, 0, 31, initialShift);
}

/** `get_scale_and_shift_positive_maxshift`: n from 0 to maxShift − 1 (int16 ops to 8-bit output). */
export function getScaleAndShiftPositiveMaxShift(scale: number, bitwidth: 8 | 32, maxShift = 8, initialShift = 0): MultiplierShift {
  return searchScaleAndShift(scale, bitwidth, 0, maxShift, initialShift);
}

/** C's `frexp`: x = frac · 2^exp with |frac| in [0.5, 1) (x ≠ 0, finite). */
export function frexp(x: number): { frac: number; exp: number } {
  if (x === 0 || !Number.isFinite(x)) return { frac: x, exp: 0 };
  let exp = Math.max(-1022, Math.ceil(Math.log2(Math.abs(x)))) | 0;
  let frac = x / 2 ** exp;
  while (Math.abs(frac) >= 1) {
    frac /= 2;
    exp += 1;
  }
  while (Math.abs(frac) < 0.5) {
    frac *= 2;
    exp -= 1;
  }
  return { frac, exp };
}

/**
 * TFLite's `QuantizeMultiplier(q)`: q = m · 2^(shift − 31) with m a 31-bit fraction (≥ 2^30 for
 * q ≠ 0). `shift` is positive for a left shift. Tiny q (shift < −31) flushes to 0; shift > 30
 * saturates to m = 2^31 − 1, shift 30.
 */
export function quantizeMultiplier(q: number): MultiplierShift {
  if (q === 0) return { multiplier: 0, shift: 0 };
  const { frac, exp } = frexp(q);
  let shift = exp;
  let m = roundHalfAwayFromZero(frac * 2 ** 31);
  if (m === 2 ** 31) {
    m /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) return { multiplier: 2 ** 31 - 1, shift: 30 };
  return { multiplier: m, shift };
}

export interface QScaleOptions {
  /** TFLite-style 31-bit multiplier (CV18xx per-channel conv). */
  readonly qdm?: boolean;
  /** Largest multiplier when not qdm (127 or 255). */
  readonly maxMultiplier?: number;
}

/**
 * `getRShiftAndMultiplierFromQScale(q, &m, &rshift, qdm, max_multiplier = 127)`, returned as
 * {multiplier, shift = rshift}. qdm: q ≥ 1 is clamped to 0.999999, then `quantizeMultiplier`
 * with rshift = −shift. Otherwise: q > max → (max, 0); else the smallest rshift with
 * q·2^(rshift+1) ≥ max and m = trunc(q·2^rshift); none below 63 → (0, 0).
 */
export function getRShiftAndMultiplierFromQScale(qscale: number, opts: QScaleOptions = {}): MultiplierShift {
  const max = opts.maxMultiplier ?? 127;
  if (opts.qdm) {
    const q = quantizeMultiplier(qscale >= 1 ? 0.999999 : qscale);
    return { multiplier: q.multiplier, shift: q.shift === 0 ? 0 : -q.shift };
  }
  if (qscale > max) return { multiplier: max, shift: 0 };
  for (let rshift = 0; rshift < 63; rshift++) {
    if (qscale * 2 ** (rshift + 1) >= max) return { multiplier: Math.trunc(qscale * 2 ** rshift), shift: rshift };
  }
  return { multiplier: 0, shift: 0 };
}

/**
 * BM1684's `calRightShiftNum(fmax, thBottom, thTop, bits)`: double fmax·thBottom/thTop until it
 * reaches 2^(bits−1) − 1, count the doublings n, return n − 1 (31 when n > 32). A result < 0
 * (the ratio is already ≥ 127) makes BM1684 lower the layer in F32. fmax is a C float.
 */
export function calRightShiftNum(fmax: number, thBottom: number, thTop: number, bits = 8): number {
  let t = (Math.fround(fmax) * thBottom) / thTop;
  if (t <= 0) return 0;
  const limit = 2 ** (bits - 1) - 1;
  let m = 0;
  while (t < limit) {
    t *= 2;
    m += 1;
  }
  return m > 32 ? 31 : m - 1;
}

/**
 * BM1684's `calRightShiftNumUseCblas(fmax, thBottom, thTop, bits)`:
 * floor(log2((2^(bits−1) − 1) / (|fmax|·thBottom/thTop))), at most 31. log2 is computed as
 * ln(x)/ln(2), as the C code does, so exact powers of two floor the same way.
 */
export function calRightShiftNumUseCblas(fmax: number, thBottom: number, thTop: number, bits = 8): number {
  const f = Math.abs(Math.fround(fmax));
  const t = (2 ** (bits - 1) - 1) / ((f * thBottom) / thTop);
  const m = Math.floor(Math.log(t) / Math.log(2));
  return m > 31 ? 31 : m;
}

/** `quantizeToInt8(src, dst, len, scale, mode)`: to_int8(src·scale) with the product in C float. */
export function quantizeToInt8(src: ArrayLike<number>, scale: number, mode: RoundingMode = 'HalfAwayFromZero'): Int8Array {
  const s = Math.fround(scale);
  const out = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = toInt8(Math.fround(src[i]! * s), mode);
  return out;
}

/**
 * `quantizeToInt16(src, dst, len, scale, rshift)`: round(src·scale) (float product), then
 * `(v + half) >> rshift`, saturated to int16; also returns the fraction of values that
 * overflowed (a C float), which BM1684's bias quantization checks against 3 %.
 */
export function quantizeToInt16(src: ArrayLike<number>, scale: number, rshift = 0): { data: Int16Array; overflowRatio: number } {
  const s = Math.fround(scale);
  const half = rshift === 0 ? 0 : 2 ** (rshift - 1);
  const data = new Int16Array(src.length);
  let overflow = 0;
  for (let i = 0; i < src.length; i++) {
    const t = Math.floor((roundToInt(Math.fround(src[i]! * s)) + half) / 2 ** rshift);
    data[i] = t > 32767 ? 32767 : t < -32768 ? -32768 : t;
    if (t > 32767 || t < -32768) overflow++;
  }
  return { data, overflowRatio: Math.fround(Math.fround(overflow) / Math.fround(src.length)) };
}
