// MLIR's float spelling (AsmPrinter's printFloatValue over LLVM's APFloat::toString), reproduced
// digit for digit so that our files read like TPU-MLIR's:
//   1. try the `%e`-like form with 6 significant digits ("-1.000000e+00", "1.700000e-02") and keep
//      it if it reads back as the very same value at the type's width;
//   2. else APFloat's shortest-safe default form ("0.0039215686274509803", "1.2345678901234567E-5");
//   3. else (inf, nan, or a default form without a '.') the bit pattern in hex ("0x7FC00000").
import type { FloatTypeName } from '../core/types.js';
import { decimalToFloat, decomposeDouble, floatPrecision, floatToBits, roundToFloat } from './float-bits.js';

const cache: Record<FloatTypeName, Map<number, string>> = { f64: new Map(), f32: new Map(), f16: new Map(), bf16: new Map() };
const CACHE_LIMIT = 50_000;

/** How MLIR prints a float of type `type` (`value` is first rounded to that type). */
export function formatMlirFloat(value: number, type: FloatTypeName = 'f64'): string {
  // Map keys treat 0 and -0 alike, so zeros bypass the cache.
  if (value === 0) return Object.is(value, -0) ? '-0.000000e+00' : '0.000000e+00';
  const memo = cache[type];
  const hit = memo.get(value);
  if (hit !== undefined) return hit;
  const text = formatUncached(value, type);
  if (memo.size >= CACHE_LIMIT) memo.clear();
  memo.set(value, text);
  return text;
}

function formatUncached(value: number, type: FloatTypeName): string {
  const v = roundToFloat(value, type);
  if (Number.isFinite(v)) {
    const short = apFloatToString(v, type, 6, 0, false);
    if (sameFloat(decimalToFloat(short, type), v)) return short;
    const full = apFloatToString(v, type, 0, 3, true);
    if (full.includes('.')) return full;
  }
  return `0x${floatToBits(v, type).toString(16).toUpperCase()}`;
}

/** Bitwise equality of two floats as MLIR compares them (-0 differs from 0, NaN equals NaN). */
export function sameFloat(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * LLVM's `APFloat::toString(Str, FormatPrecision, FormatMaxPadding, TruncateZero)` for a finite
 * value of format `type`. Precision 0 means "enough digits to read back" (2 + bits * 59/196).
 */
export function apFloatToString(
  value: number,
  type: FloatTypeName,
  formatPrecision: number,
  maxPadding: number,
  truncateZero: boolean,
): string {
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) {
    if (maxPadding !== 0) return `${sign}0`;
    if (truncateZero) return `${sign}0.0E+0`;
    return `${sign}0.0${'0'.repeat(Math.max(0, formatPrecision - 1))}e+00`;
  }
  const bits = floatPrecision(type);
  const precision = formatPrecision === 0 ? 2 + Math.floor((bits * 59) / 196) : formatPrecision;

  // value = mant * 2^exp exactly; turn it into an integer times a power of ten.
  let { mant, exp } = decomposeDouble(value);
  while ((mant & 1n) === 0n) {
    mant >>= 1n;
    exp += 1;
  }
  if (exp > 0) {
    mant <<= BigInt(exp);
    exp = 0;
  } else if (exp < 0) {
    mant *= 5n ** BigInt(-exp);
  }
  // Drop decimal digits far beyond the precision by truncation (APFloat does not round here).
  const active = mant.toString(2).length;
  const required = Math.floor((precision * 196 + 58) / 59);
  if (active > required) {
    const tens = Math.floor(((active - required) * 59) / 196);
    if (tens > 0) {
      exp += tens;
      mant /= 10n ** BigInt(tens);
    }
  }
  let digits = mant.toString();
  const zeros = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - zeros);
  exp += zeros;
  [digits, exp] = roundDigits(digits, exp, precision);
  return sign + layoutDigits(digits, exp, precision, maxPadding, truncateZero);
}

/** Rounds a digit string (most significant first, last digit worth 10^exp) half-up to `precision`. */
function roundDigits(digits: string, exp: number, precision: number): [string, number] {
  const n = digits.length;
  if (n <= precision) return [digits, exp];
  const drop = n - precision;
  if (digits.charCodeAt(precision) < 0x35 /* '5' */) {
    const kept = digits.slice(0, precision).replace(/0+$/, '');
    return [kept, exp + n - kept.length];
  }
  let i = precision - 1;
  while (i >= 0 && digits[i] === '9') i--;
  if (i < 0) return ['1', exp + n];
  const kept = digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
  return [kept, exp + drop + (precision - 1 - i)];
}

function layoutDigits(digits: string, exp: number, precision: number, maxPadding: number, truncateZero: boolean): string {
  const n = digits.length;
  let scientific: boolean;
  if (maxPadding === 0) scientific = true;
  else if (exp >= 0) scientific = exp > maxPadding || n + exp > precision;
  else {
    const msd = exp + n - 1;
    scientific = msd >= 0 ? false : -msd > maxPadding;
  }
  if (scientific) {
    const e10 = exp + n - 1;
    let s = `${digits[0]}.${n === 1 && truncateZero ? '0' : digits.slice(1)}`;
    if (!truncateZero && precision > n - 1) s += '0'.repeat(precision - n + 1);
    let e = String(Math.abs(e10));
    if (!truncateZero && e.length < 2) e = `0${e}`;
    return `${s}${truncateZero ? 'E' : 'e'}${e10 >= 0 ? '+' : '-'}${e}`;
  }
  if (exp >= 0) return digits + '0'.repeat(exp);
  const whole = exp + n;
  if (whole > 0) return `${digits.slice(0, whole)}.${digits.slice(whole)}`;
  return `0.${'0'.repeat(-whole)}${digits}`;
}
