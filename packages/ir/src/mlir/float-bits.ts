// IEEE formats of MLIR's float types, as JS numbers: rounding a double to a narrower format, bit
// patterns (for MLIR's hex float spelling), and decimal text to a float of a given width.
import type { FloatTypeName } from '../core/types.js';

interface FloatFormat {
  /** Explicitly stored fraction bits. */
  readonly mant: number;
  readonly expBits: number;
  readonly bias: number;
  readonly width: number;
}

const FORMATS: Record<FloatTypeName, FloatFormat> = {
  f64: { mant: 52, expBits: 11, bias: 1023, width: 64 },
  f32: { mant: 23, expBits: 8, bias: 127, width: 32 },
  f16: { mant: 10, expBits: 5, bias: 15, width: 16 },
  bf16: { mant: 7, expBits: 8, bias: 127, width: 16 },
};

/** Significand bits including the implicit one (APFloat's `precision`). */
export function floatPrecision(w: FloatTypeName): number {
  return FORMATS[w].mant + 1;
}

export function floatBitWidth(w: FloatTypeName): number {
  return FORMATS[w].width;
}

const scratch = new DataView(new ArrayBuffer(8));

/** `|x| = mant * 2^exp` exactly, for a finite non-zero double. */
export function decomposeDouble(x: number): { neg: boolean; mant: bigint; exp: number } {
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const neg = hi >>> 31 === 1;
  const e = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0) return { neg, mant: frac, exp: -1074 };
  return { neg, mant: frac | (1n << 52n), exp: e - 1075 };
}

/**
 * Rounds a double to the nearest value of format `w` (ties to even), overflowing to infinity.
 * `tie` decides an exact tie when the double stands for a longer decimal (see decimalToFloat).
 */
export function roundToFloat(x: number, w: FloatTypeName, tie?: () => number): number {
  if (w === 'f64' || x === 0 || !Number.isFinite(x)) return x;
  if (w === 'f32' && tie === undefined) return Math.fround(x);
  const fmt = FORMATS[w];
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  // log2 may be off by one near powers of two; the quantum only needs e within the binade.
  const binade = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e;
  const q = Math.max(binade, 1 - fmt.bias) - fmt.mant;
  const scaled = a * 2 ** -q;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  let r: number;
  if (rest > 0.5) r = floor + 1;
  else if (rest < 0.5) r = floor;
  else {
    const dir = tie ? tie() : 0;
    r = dir > 0 ? floor + 1 : dir < 0 ? floor : floor % 2 === 0 ? floor : floor + 1;
  }
  const max = (2 - 2 ** -fmt.mant) * 2 ** fmt.bias;
  const v = r * 2 ** q;
  const out = v > max ? Infinity : v;
  return x < 0 ? -out : out;
}

/** The bit pattern of `x` in format `w` (NaN as the canonical quiet NaN). */
export function floatToBits(x: number, w: FloatTypeName): bigint {
  const fmt = FORMATS[w];
  if (w === 'f64') {
    if (Number.isNaN(x)) return 0x7ff8000000000000n;
    scratch.setFloat64(0, x);
    return scratch.getBigUint64(0);
  }
  if (w === 'f32' || w === 'bf16') {
    if (Number.isNaN(x)) return w === 'f32' ? 0x7fc00000n : 0x7fc0n;
    scratch.setFloat32(0, roundToFloat(x, w));
    const bits = scratch.getUint32(0);
    return BigInt(w === 'f32' ? bits : bits >>> 16);
  }
  // f16, from the exact value.
  if (Number.isNaN(x)) return 0x7e00n;
  const v = roundToFloat(x, w);
  const sign = v < 0 || Object.is(v, -0) ? 1n << 15n : 0n;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00n;
  if (a === 0) return sign;
  const { mant, exp } = decomposeDouble(a);
  // a = mant * 2^exp; normalise to a 11-bit significand.
  const len = mant.toString(2).length;
  const unbiased = exp + len - 1;
  if (unbiased < 1 - fmt.bias) {
    // Subnormal: a / 2^-24 is an integer below 2^10.
    return sign | BigInt(a * 2 ** 24);
  }
  const frac = BigInt(a * 2 ** (fmt.mant - unbiased)) - (1n << BigInt(fmt.mant));
  return sign | (BigInt(unbiased + fmt.bias) << BigInt(fmt.mant)) | frac;
}

/** The float of format `w` with bit pattern `bits`; undefined if the pattern is wider than `w`. */
export function bitsToFloat(bits: bigint, w: FloatTypeName): number | undefined {
  const fmt = FORMATS[w];
  if (bits < 0n || bits >> BigInt(fmt.width) !== 0n) return undefined;
  if (w === 'f64') {
    scratch.setBigUint64(0, bits);
    return scratch.getFloat64(0);
  }
  if (w === 'bf16') return bf16BitsToNumber(Number(bits));
  if (w === 'f32') {
    scratch.setUint32(0, Number(bits));
    return scratch.getFloat32(0);
  }
  return f16BitsToNumber(Number(bits));
}

/** The value of IEEE half-precision bits `h` (0..0xffff), e.g. one element of f16 data. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0x1f) return f === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * f * 2 ** -24;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** The value of bfloat16 bits `h` (0..0xffff): the top half of a float32. */
export function bf16BitsToNumber(h: number): number {
  scratch.setUint32(0, (h & 0xffff) << 16 >>> 0);
  return scratch.getFloat32(0);
}

/**
 * MLIR's parser reading a decimal float literal into type `w`: the literal is read as a double and
 * then converted with round-to-nearest-even (so a few literals round twice, as in MLIR).
 */
export function parseFloatLiteral(text: string, w: FloatTypeName): number {
  return roundToFloat(Number(text), w);
}

/**
 * APFloat's `convertFromString`: the decimal rounded once, exactly, to format `w`. MLIR's printer
 * uses this to check that a short spelling reads back as the same value.
 */
export function decimalToFloat(text: string, w: FloatTypeName): number {
  const x = Number(text);
  if (w === 'f64') return x;
  return roundToFloat(x, w, () => compareDecimalWithDouble(text, x));
}

/** Sign of |decimal text| - |x|, computed exactly. */
function compareDecimalWithDouble(text: string, x: number): number {
  const m = /^[-+]?(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m || !Number.isFinite(x) || x === 0) return 0;
  const digits = BigInt((m[1] ?? '') + (m[2] ?? '') || '0');
  const e10 = Number(m[3] ?? 0) - (m[2] ?? '').length;
  const { mant, exp: e2 } = decomposeDouble(x);
  let left = digits;
  let right = mant;
  if (e10 >= 0) left *= 10n ** BigInt(e10);
  else right *= 10n ** BigInt(-e10);
  if (e2 >= 0) right <<= BigInt(e2);
  else left <<= BigInt(-e2);
  return left > right ? 1 : left < right ? -1 : 0;
}

const f32Cell = new Float32Array(1);
const u32Cell = new Uint32Array(f32Cell.buffer);

/** IEEE binary16 bits of `x` (first rounded to float32), round to nearest even: fast, for whole arrays. */
export function f16BitsOf(x: number): number {
  f32Cell[0] = x;
  const b = u32Cell[0]!;
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m !== 0 ? 0x200 : 0);
  const ne = e - 112; // rebias 127 -> 15
  if (ne >= 0x1f) return sign | 0x7c00;
  if (ne <= 0) {
    if (ne < -10) return sign;
    const full = m | 0x800000;
    const shift = 14 - ne;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (ne << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry rolls into the exponent (up to inf)
  return sign | h;
}

/** bfloat16 bits of `x`, round to nearest even (NaN kept quiet). */
export function bf16BitsOf(x: number): number {
  f32Cell[0] = x;
  const b = u32Cell[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}
