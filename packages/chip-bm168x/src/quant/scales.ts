// Calibrated range → scale and zero point (spec deploy.md §3.3; lib/Support/Module.cpp:
// getScale, getScaleAndZeroPoint; LoweringBM1684X.cpp: getQuantInt8Type).
import type { CalibratedQuantType, UniformQuantType } from '@tpu-quant/ir';
import { i16, i8, intType, ui16, ui8, uniformType } from '@tpu-quant/ir';
import { roundHalfAwayFromZero, roundToInt, storageRange, type RoundingMode } from './rounding.js';

/** Bit widths TPU-MLIR quantizes activations to. */
export type QuantBits = 4 | 8 | 16;

/** How real values map to integers: r = scale · (q − zeroPoint), q in the storage range. */
export interface QuantParams {
  readonly scale: number;
  readonly zeroPoint: number;
  /** int8 (true) or uint8 (false), and likewise for other widths. */
  readonly signed: boolean;
  readonly bits: QuantBits;
}

/** A calibrated range, as `!quant.calibrated<f32<min:max>>` holds it. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * `getScale(threshold, sign, bitwidth)`: symmetric scale th/127 (signed int8) or th/255
 * (unsigned); th/7, th/15 for 4 bits; th/32767, th/65535 for 16. The developer manual says
 * th/128; the code (followed here) divides by 127.
 */
export function getScale(threshold: number, signed: boolean, bits: QuantBits = 8): number {
  const qmax = 2 ** (signed ? bits - 1 : bits) - 1;
  return threshold / qmax;
}

/**
 * `getScaleAndZeroPoint(rmin, rmax, scale, zp, bitwidth)`: asymmetric. qmin..qmax is
 * −128..127 when rmin < 0, else 0..255 (likewise for 4 and 16 bits); scale = (rmax − rmin) /
 * (qmax − qmin); zp = round(qmin − rmin/scale), and when that falls outside [qmin, qmax] it is
 * pinned to the bound and the scale recomputed from the other end (TFLite's nudging).
 */
export function getScaleAndZeroPoint(rmin: number, rmax: number, bits: QuantBits = 8): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = storageRange({ bits, signed: rmin < 0 });
  let scale = (rmax - rmin) / (qmax - qmin);
  const zpFromMin = qmin - rmin / scale;
  let zeroPoint = roundHalfAwayFromZero(zpFromMin);
  if (zpFromMin < qmin) {
    zeroPoint = qmin;
    scale = rmax / (qmax - zeroPoint);
  } else if (zpFromMin > qmax) {
    zeroPoint = qmax;
    scale = rmin / (qmin - zeroPoint);
  }
  return { scale, zeroPoint };
}

/**
 * `module::getScaleAndZeroPoint(value, ..., asymmetric, bitwidth)` for a calibrated tensor:
 * signed when min < 0; symmetric: zp 0 and scale = getScale(max(|min|, |max|)); asymmetric:
 * `getScaleAndZeroPoint(min, max)`.
 */
export function quantParams(range: Range, asymmetric: boolean, bits: QuantBits = 8): QuantParams {
  const signed = range.min < 0;
  if (asymmetric) {
    const { scale, zeroPoint } = getScaleAndZeroPoint(range.min, range.max, bits);
    return { scale, zeroPoint, signed, bits };
  }
  const th = Math.max(Math.abs(range.max), Math.abs(range.min));
  return { scale: getScale(th, signed, bits), zeroPoint: 0, signed, bits };
}

/** `quantParams` of a `!quant.calibrated` element type. */
export function quantParamsOfCalibrated(t: CalibratedQuantType, asymmetric: boolean, bits: QuantBits = 8): QuantParams {
  return quantParams({ min: t.min, max: t.max }, asymmetric, bits);
}

/** The params a `!quant.uniform` element type (per tensor) stands for. */
export function quantParamsOfUniform(t: UniformQuantType): QuantParams {
  const bits = t.storage.width;
  if (bits !== 4 && bits !== 8 && bits !== 16) throw new RangeError(`unsupported quantized storage width ${bits}`);
  if (t.scales.length !== 1) throw new RangeError('per-axis quantized type where one scale was expected');
  return { scale: t.scales[0]!, zeroPoint: t.zeroPoints[0] ?? 0, signed: t.storage.signedness !== 'unsigned', bits };
}

/**
 * `getQuantInt8Type(value, asymmetric)` (and its 16-bit sibling): `!quant.uniform<i8:f32, S>`
 * for a signed range, `<u8:f32, S:ZP>` when the calibrated min is ≥ 0.
 */
export function uniformTypeFor(range: CalibratedQuantType, asymmetric: boolean, bits: 8 | 16 = 8): UniformQuantType {
  const p = quantParams(range, asymmetric, bits);
  const storage = bits === 8 ? (p.signed ? i8 : ui8) : p.signed ? i16 : ui16;
  return uniformType(storage, p.scale, p.zeroPoint, range.expressed);
}

/** `uniformTypeFor` from explicit params (e.g. a weight's own scale). */
export function uniformTypeOf(p: QuantParams): UniformQuantType {
  return uniformType(intType(p.bits, p.signed ? 'signless' : 'unsigned'), p.scale, p.zeroPoint);
}

/** Real → integer: saturate(round(r / S) + ZP), HalfAwayFromZero unless told (spec §3.3). */
export function quantize(r: number, p: QuantParams, mode: RoundingMode = 'HalfAwayFromZero'): number {
  const [lo, hi] = storageRange(p);
  const q = roundToInt(r / p.scale, mode) + p.zeroPoint;
  // NaN becomes the lowest code, as x86's float -> int conversion (INT_MIN) then saturation gives
  // it in TPU-MLIR's C++; a NaN must not reach the integer kernels
  return q > hi ? hi : q >= lo ? q : lo;
}

/** Integer → real: S · (q − ZP). */
export function dequantize(q: number, p: QuantParams): number {
  return p.scale * (q - p.zeroPoint);
}

/** `quantize` over an array, into Int8Array/Uint8Array (8 bits) or Int16Array/Uint16Array. */
export function quantizeArray(src: ArrayLike<number>, p: QuantParams, mode: RoundingMode = 'HalfAwayFromZero'): Int8Array | Uint8Array | Int16Array | Uint16Array {
  const out = p.bits === 16 ? (p.signed ? new Int16Array(src.length) : new Uint16Array(src.length)) : p.signed ? new Int8Array(src.length) : new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = quantize(src[i]!, p, mode);
  return out;
}
