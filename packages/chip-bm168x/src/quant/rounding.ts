// Rounding modes and fixed-point helpers of TPU-MLIR (spec deploy.md §3.9;
// include/tpu_mlir/Support/MathUtils.h, lib/Support/MathUtils.cpp).
//
// Numbers are JS doubles. Where TPU-MLIR computes in C `float` we round with Math.fround at the
// same places, so multipliers, shifts and quantized values come out identical. Integer right
// shifts are exact: products beyond 2^53 go through BigInt.
//
// Deliberate differences from TPU-MLIR (all in cases its code does not reach or leaves undefined):
// - `roundToInt` and `rightShiftRound` implement every mode. TPU-MLIR's `to_int` aborts on
//   HalfToOdd / HalfTowardsZero / AwayFromZero and its `RightShiftRound` silently floors them.
// - The multiplier searches skip shifts whose multiplier does not fit the integer it is
//   converted to (C converts first, which is undefined behaviour), as the spec says.

/**
 * TPU-MLIR's `RoundingMode`, named as the `round_mode` attributes spell them (`tpu::RoundMode`),
 * plus AwayFromZero which only the C enum has. Use names, not numbers: the backend's
 * `ROUND_MODE` enum (Param.h) numbers the same modes differently.
 */
export type RoundingMode =
  | 'HalfAwayFromZero'
  | 'HalfUp'
  | 'HalfDown'
  | 'HalfToEven'
  | 'HalfToOdd'
  | 'HalfTowardsZero'
  | 'TowardsZero'
  | 'AwayFromZero'
  | 'Up'
  | 'Down';

/** The numbers of MathUtils.h's `RoundingMode` enum (ROUNDING_HALF_AWAY_FROM_ZERO = 0, ...). */
export const ROUNDING_MODE_NUMBERS: Readonly<Record<RoundingMode, number>> = {
  HalfAwayFromZero: 0,
  HalfUp: 1,
  HalfDown: 2,
  HalfToEven: 3,
  HalfToOdd: 4,
  HalfTowardsZero: 5,
  TowardsZero: 6,
  AwayFromZero: 7,
  Up: 8,
  Down: 9,
};

/** -0 → 0, so results compare equal to integer literals. */
const z = (v: number): number => (v === 0 ? 0 : v);

/** C's `std::round`: halves away from zero (exact: `v - trunc(v)` never rounds). */
export function roundHalfAwayFromZero(v: number): number {
  const t = Math.trunc(v);
  const f = v - t;
  if (f >= 0.5) return t + 1;
  if (f <= -0.5) return z(t - 1);
  return z(t);
}

/**
 * TPU-MLIR's `to_int(v, round_mode)`: a float to an integer, no saturation.
 * HalfToEven works on `|v|` converted to C float, as TPU-MLIR does (so a double just above a
 * half can round like the half itself).
 */
export function roundToInt(v: number, mode: RoundingMode = 'HalfAwayFromZero'): number {
  switch (mode) {
    case 'HalfAwayFromZero':
      return roundHalfAwayFromZero(v);
    case 'Up':
      return z(Math.ceil(v));
    case 'Down':
      return Math.floor(v);
    case 'HalfToEven': {
      const a = Math.fround(Math.abs(v));
      let i = Math.trunc(a);
      const f = a - i;
      if (f > 0.5 || (f === 0.5 && i % 2 === 1)) i += 1;
      return z(v < 0 ? -i : i);
    }
    case 'HalfUp':
      return z(Math.floor(v + 0.5));
    case 'HalfDown':
      return z(Math.ceil(v - 0.5));
    case 'TowardsZero':
      return z(Math.trunc(v));
    case 'AwayFromZero':
      return z(v < 0 ? -Math.ceil(-v) : Math.ceil(v));
    case 'HalfTowardsZero':
      return z(v < 0 ? -Math.ceil(-v - 0.5) : Math.ceil(v - 0.5));
    case 'HalfToOdd': {
      const a = Math.abs(v);
      let i = Math.trunc(a);
      const f = a - i;
      if (f > 0.5 || (f === 0.5 && i % 2 === 0)) i += 1;
      return z(v < 0 ? -i : i);
    }
  }
}

// ---- saturation ---------------------------------------------------------------------------

/** Integer storage of a quantized tensor: bit width and signedness. */
export interface IntStorage {
  readonly bits: number;
  readonly signed: boolean;
}

/** [min, max] representable in `s` (int8: [-128, 127], uint8: [0, 255]). */
export function storageRange(s: IntStorage): [number, number] {
  return s.signed ? [-(2 ** (s.bits - 1)), 2 ** (s.bits - 1) - 1] : [0, 2 ** s.bits - 1];
}

/** TPU-MLIR's `saturate(v, type, round_mode)`: round, then clamp into the storage range. */
export function saturate(v: number, s: IntStorage, mode: RoundingMode = 'HalfAwayFromZero'): number {
  const [lo, hi] = storageRange(s);
  const r = roundToInt(v, mode);
  return r > hi ? hi : r >= lo ? r : lo; // NaN -> lo (see quantize)
}

const clampTo = (lo: number, hi: number) => (v: number, mode: RoundingMode = 'HalfAwayFromZero'): number => {
  const r = roundToInt(v, mode);
  return r > hi ? hi : r >= lo ? r : lo; // NaN -> lo (see quantize)
};

/** `to_int8`: round (HalfAwayFromZero unless told) and clamp to [-128, 127]. */
export const toInt8 = clampTo(-128, 127);
/** `to_uint8`: round and clamp to [0, 255]. */
export const toUint8 = clampTo(0, 255);
/** `to_int16`: round and clamp to [-32768, 32767]. */
export const toInt16 = clampTo(-32768, 32767);
/** `to_uint16`: round and clamp to [0, 65535]. */
export const toUint16 = clampTo(0, 65535);
/** `to_int4`: round and clamp to [-8, 7]. */
export const toInt4 = clampTo(-8, 7);
/** `to_uint4`: round and clamp to [0, 15]. */
export const toUint4 = clampTo(0, 15);

/** Clamp an integer to int32 (no rounding). */
export function clampInt32(v: number): number {
  return v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v;
}

// ---- integer right shifts -------------------------------------------------------------------

/**
 * `RightShiftRound(src, shift, mode)` on an integer |src| ≤ 2^53: `src >> shift` (floor), plus one
 * where the mode says so, judged from the bits shifted out (`mant`) against half of 2^shift.
 * shift ≤ 0 shifts left (0: unchanged); shift > 63 counts as 63. For larger integers use
 * `rightShiftRoundBig`.
 */
export function rightShiftRound(src: number, shift: number, mode: RoundingMode): number {
  if (shift === 0) return src;
  if (shift < 0) return src * 2 ** -shift;
  const p = 2 ** Math.min(shift, 63);
  const val = Math.floor(src / p);
  const mant = src - val * p;
  return z(val + roundUpBit(mant, p / 2, val, src < 0, mode));
}

/** `RightShiftRound` on a BigInt (the int64 products of requantization). */
export function rightShiftRoundBig(src: bigint, shift: number, mode: RoundingMode): bigint {
  if (shift === 0) return src;
  if (shift < 0) return src << BigInt(-shift);
  const s = BigInt(Math.min(shift, 63));
  const val = src >> s;
  const mant = src & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  const cmp = mant > half ? 1 : mant === half ? 0 : -1;
  return val + BigInt(roundUpBitCmp(cmp, mant !== 0n, (val & 1n) === 1n, src < 0n, mode));
}

function roundUpBit(mant: number, half: number, val: number, negative: boolean, mode: RoundingMode): number {
  const cmp = mant > half ? 1 : mant === half ? 0 : -1;
  return roundUpBitCmp(cmp, mant !== 0, Math.abs(val % 2) === 1, negative, mode);
}

/** 1 when the floor of src / 2^shift must be incremented. `cmp` compares the dropped bits with half. */
function roundUpBitCmp(cmp: number, inexact: boolean, valOdd: boolean, negative: boolean, mode: RoundingMode): number {
  switch (mode) {
    case 'HalfToEven':
      return cmp > 0 || (cmp === 0 && valOdd) ? 1 : 0;
    case 'HalfToOdd':
      return cmp > 0 || (cmp === 0 && !valOdd) ? 1 : 0;
    case 'HalfAwayFromZero':
      return (negative ? cmp > 0 : cmp >= 0) ? 1 : 0;
    case 'HalfTowardsZero':
      return (negative ? cmp >= 0 : cmp > 0) ? 1 : 0;
    case 'HalfUp':
      return cmp >= 0 ? 1 : 0;
    case 'HalfDown':
      return cmp > 0 ? 1 : 0;
    case 'TowardsZero':
      return negative && inexact ? 1 : 0;
    case 'AwayFromZero':
      return !negative && inexact ? 1 : 0;
    case 'Up':
      return inexact ? 1 : 0;
    case 'Down':
      return 0;
  }
}

/** `RightShiftRound(a * b, shift, mode)` with the exact product (BigInt when beyond 2^53). */
export function mulRightShiftRound(a: number, b: number, shift: number, mode: RoundingMode): number {
  if (Math.abs(a) * Math.abs(b) <= Number.MAX_SAFE_INTEGER) return rightShiftRound(a * b, shift, mode);
  return Number(rightShiftRoundBig(BigInt(a) * BigInt(b), shift, mode));
}

/** How `applyMultiplierAndRShift` interprets (multiplier, shift): TPU-MLIR's `tpu::RequantMode`. */
export type RequantMode = 'MultiplierShift' | 'OnlyShift' | 'QDM' | 'TFLite' | 'TFLite_LShift';

/**
 * TFLite's `MultiplyByQuantizedMultiplier(x, multiplier, shift)`: shift > 0 shifts x left first
 * (in 32 bits, wrapping, as the C code does), then `(x·m) >> 31` rounding half up, saturated to
 * int32, then a right shift by -shift when shift < 0 with `mode`.
 */
export function multiplyByQuantizedMultiplier(
  x: number,
  multiplier: number,
  shift: number,
  mode: RoundingMode = 'HalfAwayFromZero',
): number {
  const v = shift > 0 ? (x << shift) : x | 0;
  let t = clampInt32(mulRightShiftRound(v, multiplier, 31, 'HalfUp'));
  if (shift < 0) t = rightShiftRound(t, -shift, mode);
  return t;
}

export interface ApplyMultiplierOptions {
  readonly quantMode?: RequantMode;
  readonly roundingMode?: RoundingMode;
  /** CV18xx computes MultiplierShift in C float and stores QDM shifts negated. */
  readonly cv18xx?: boolean;
}

/**
 * `applyMultiplierAndRShift(v, multiplier, rshift, qmode = MultiplierShift, rmode = HalfUp)`:
 * BM168x MultiplierShift = `RightShiftRound(v·m, rshift)` on the exact 64-bit product;
 * OnlyShift = `RightShiftRound(v, rshift)`; QDM/TFLite = `multiplyByQuantizedMultiplier(v, m,
 * rshift)`; CV18xx MultiplierShift = `to_int(float(v)·m / 2^rshift)` in single precision.
 */
export function applyMultiplierAndRShift(v: number, multiplier: number, rshift: number, opts: ApplyMultiplierOptions = {}): number {
  const mode = opts.roundingMode ?? 'HalfUp';
  switch (opts.quantMode ?? 'MultiplierShift') {
    case 'MultiplierShift':
      if (opts.cv18xx) {
        const prod = Math.fround(Math.fround(v) * Math.fround(multiplier));
        return roundToInt(Math.fround(prod / 2 ** rshift), mode);
      }
      return mulRightShiftRound(v, multiplier, rshift, mode);
    case 'OnlyShift':
      return rightShiftRound(v, rshift, mode);
    case 'QDM':
    case 'TFLite':
    case 'TFLite_LShift':
      return multiplyByQuantizedMultiplier(v | 0, multiplier | 0, opts.cv18xx ? -rshift : rshift, mode);
  }
}
