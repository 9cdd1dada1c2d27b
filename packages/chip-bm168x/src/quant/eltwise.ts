// 8-bit multipliers of the elementwise and pooling ops (spec deploy.md §3.10 Add / Mul / MulConst /
// AvgPool, §3.11 Add / AvgPool; lib/Conversion/TopToTpu/BM1684X/{Add,Mul,MulConst,AvgPool}.cpp,
// BM1684/{Add,AvgPool}.cpp).
//
// Where the spec and the newest TPU-MLIR code disagree we follow the code, and say so:
// - BM1684X Add quantizes a constant input with its *own* scale max|c|/127 (/255 if c ≥ 0), not
//   with the output scale, and ignores that input's coeff.
// - BM1684X Mul takes a constant's scale from max |c| (older versions used max c).
import { findMinMax } from './conv-weights.js';
import { calRightShiftNumUseCblas, getScaleAndShift, getScaleAndShiftPositive, type MultiplierShift } from './multiplier.js';
import { toInt8, toUint8 } from './rounding.js';

/** An input of an elementwise op: an activation with its scale, or a constant (top.Weight). */
export type EltwiseInput = { readonly scale: number } | { readonly constant: ArrayLike<number> };

/** A constant input quantized to 8 bits (int8 if any value < 0, else uint8). */
export interface QuantizedConstant {
  readonly data: Int8Array | Uint8Array;
  readonly signed: boolean;
  readonly scale: number;
}

export interface EltwiseMultipliers {
  /** Per input (Add) or one entry (Mul): real ≈ multiplier / 2^rshift. */
  readonly multipliers: number[];
  readonly rshifts: number[];
  /** Quantized data of the constant inputs, by input index. */
  readonly constants: (QuantizedConstant | undefined)[];
}

function quantizeConstant(c: ArrayLike<number>, signed: boolean, divide: (v: number) => number): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(c.length) : new Uint8Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = signed ? toInt8(divide(c[i]!)) : toUint8(divide(c[i]!));
  return out;
}

/**
 * BM1684X-family Add INT8 (symmetric): input i gets (m_i, r_i) =
 * get_scale_and_shift_positive(coeff_i · S_i / So, 8); the op computes
 * y = saturate(Σ_i (q_i · m_i) >> r_i) (HalfUp). A constant input is stored as
 * to_int8(c · 127 / max|c|) with multiplier from (max|c|/127)/So (uint8 and 255 when c ≥ 0).
 */
export function addMultipliersBM1684X(inputs: readonly EltwiseInput[], outScale: number, coeffs?: readonly number[]): EltwiseMultipliers {
  const multipliers: number[] = [];
  const rshifts: number[] = [];
  const constants: (QuantizedConstant | undefined)[] = [];
  inputs.forEach((inp, i) => {
    let ms: MultiplierShift;
    if ('constant' in inp) {
      const { min, absMax } = findMinMax(inp.constant);
      const signed = min < 0;
      const qmax = signed ? 127 : 255;
      ms = getScaleAndShiftPositive(absMax / qmax / outScale, 8);
      const data = quantizeConstant(inp.constant, signed, (v) => (v * qmax) / absMax);
      constants.push({ data, signed, scale: absMax / qmax });
    } else {
      ms = getScaleAndShiftPositive((coeffs?.[i] ?? 1) * (inp.scale / outScale), 8);
      constants.push(undefined);
    }
    multipliers.push(ms.multiplier);
    rshifts.push(ms.shift);
  });
  return { multipliers, rshifts, constants };
}

/**
 * BM1684X-family Sub INT8 (symmetric; `BM1684X/Sub.cpp`): an activation input i gets (m_i, r_i) =
 * get_scale_and_shift_positive(coeff_i · S_i / So, 8); a constant input is quantized with the
 * *output* scale, to_int8(c / So) (uint8 when c ≥ 0), with m = 1, r = 0. The op computes
 * y = saturate((q_0 · m_0 >> r_0) − (q_1 · m_1 >> r_1)) (HalfUp).
 */
export function subMultipliersBM1684X(inputs: readonly EltwiseInput[], outScale: number, coeffs?: readonly number[]): EltwiseMultipliers {
  const multipliers: number[] = [];
  const rshifts: number[] = [];
  const constants: (QuantizedConstant | undefined)[] = [];
  inputs.forEach((inp, i) => {
    if ('constant' in inp) {
      const signed = findMinMax(inp.constant).min < 0;
      constants.push({ data: quantizeConstant(inp.constant, signed, (v) => v / outScale), signed, scale: outScale });
      multipliers.push(1);
      rshifts.push(0);
    } else {
      const ms = getScaleAndShiftPositive((coeffs?.[i] ?? 1) * (inp.scale / outScale), 8);
      constants.push(undefined);
      multipliers.push(ms.multiplier);
      rshifts.push(ms.shift);
    }
  });
  return { multipliers, rshifts, constants };
}

/**
 * BM1684 Add INT8: per input, r_i = max(0, calRightShiftNumUseCblas(coeff_i, S_i, So, 8)) and
 * m_i = to_int8(coeff_i · 2^r_i · S_i / So) (C float). A constant input is quantized with its own
 * scale max|c|/127 (/255 if c ≥ 0). Undefined when some m_i falls outside [0, 127]: TPU-MLIR then
 * lowers the Add in F32.
 */
export function addMultipliersBM1684(inputs: readonly EltwiseInput[], outScale: number, coeffs?: readonly number[]): EltwiseMultipliers | undefined {
  const multipliers: number[] = [];
  const rshifts: number[] = [];
  const constants: (QuantizedConstant | undefined)[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const inp = inputs[i]!;
    let inScale: number;
    if ('constant' in inp) {
      const { min, absMax } = findMinMax(inp.constant);
      const signed = min < 0;
      inScale = Math.fround(absMax / (signed ? 127 : 255));
      const s = inScale;
      constants.push({ data: quantizeConstant(inp.constant, signed, (v) => v / s), signed, scale: inScale });
    } else {
      inScale = inp.scale;
      constants.push(undefined);
    }
    const coeff = Math.fround(coeffs?.[i] ?? 1);
    const r = Math.max(0, calRightShiftNumUseCblas(coeff, inScale, outScale, 8));
    const m = toInt8(Math.fround(coeff * Math.fround((2 ** r * inScale) / outScale)));
    if (m < 0 || m > 127) return undefined;
    multipliers.push(m);
    rshifts.push(r);
  }
  return { multipliers, rshifts, constants };
}

/**
 * BM1684X-family Mul INT8: f = (Π_i S_i) / So, (m, r) = get_scale_and_shift(f, 8); the op
 * computes y = saturate((q_1 · q_2 · m) >> r). A constant input first gets its own scale
 * max|c| / 127 (/255 if c ≥ 0, a C float) and is stored as to_int8(c / scale).
 */
export function mulMultiplierBM1684X(inputs: readonly EltwiseInput[], outScale: number): EltwiseMultipliers {
  let scale = 1;
  const constants: (QuantizedConstant | undefined)[] = [];
  for (const inp of inputs) {
    if ('constant' in inp) {
      const { min, absMax } = findMinMax(inp.constant);
      const signed = min < 0;
      const s = Math.fround(absMax / (signed ? 127 : 255));
      constants.push({ data: quantizeConstant(inp.constant, signed, (v) => v / s), signed, scale: s });
      scale *= s;
    } else {
      constants.push(undefined);
      scale *= inp.scale;
    }
  }
  const ms = getScaleAndShift(scale / outScale, 8);
  return { multipliers: [ms.multiplier], rshifts: [ms.shift], constants };
}

/** BM1684X-family MulConst INT8 (`tpu.MulShift`): get_scale_and_shift(Si / So · const_val, 8). */
export function mulConstMultiplierBM1684X(inScale: number, outScale: number, constVal: number): MultiplierShift {
  return getScaleAndShift((inScale / outScale) * constVal, 8);
}

/** What an INT8 AvgPool carries: an 8-bit multiplier/shift, or a float scale and offset. */
export type AvgPoolQuant =
  | { readonly kind: 'multiplier'; readonly multiplier: number; readonly rshift: number }
  | { readonly kind: 'scale'; readonly scale: number; readonly offset: number };

/**
 * BM1684X-family AvgPool INT8 (not adaptive; the caller sends asymmetric pools whose windows do
 * not tile the padded input to F16 first). Symmetric 1-D/2-D: the hardware sums the window and
 * requants with get_scale_and_shift(Si / (So · kh · kw), 8). Asymmetric or 3-D: a float
 * scale = Si / (So · k) and offset = ZPo − Si/So · ZPi.
 */
export function avgPoolQuantBM1684X(p: {
  kernel: readonly number[];
  inScale: number;
  outScale: number;
  inZeroPoint?: number;
  outZeroPoint?: number;
  asymmetric: boolean;
}): AvgPoolQuant {
  const k = p.kernel.reduce((a, b) => a * b, 1);
  if (!p.asymmetric && p.kernel.length !== 3) {
    const ms = getScaleAndShift(p.inScale / (p.outScale * k), 8);
    return { kind: 'multiplier', multiplier: ms.multiplier, rshift: ms.shift };
  }
  const offset = (p.outZeroPoint ?? 0) - (p.inScale / p.outScale) * (p.inZeroPoint ?? 0);
  return { kind: 'scale', scale: p.inScale / (k * p.outScale), offset };
}

/**
 * BM1684 AvgPool INT8: 1/k for a window of k = kd·kh·kw ≤ 225 elements as an 8-bit fraction
 * m / 2^r (BM1684's `dev_table_i` / `dev_table_e`: k=3 → 171/2^9, k=9 → 57/2^9). Larger windows:
 * undefined (F32). Computed, not tabled: r is the largest shift with round(2^r / k) ≤ 255, then
 * even multipliers are halved with r (this reproduces all 225 entries of TPU-MLIR's tables).
 */
export function avgPoolMultiplierBM1684(k: number): MultiplierShift | undefined {
  if (!Number.isInteger(k) || k < 1 || k > 225) return undefined;
  let shift = 0;
  while (Math.round(2 ** (shift + 1) / k) <= 255) shift++;
  let multiplier = Math.round(2 ** shift / k);
  while (multiplier % 2 === 0 && shift > 0) {
    multiplier /= 2;
    shift--;
  }
  return { multiplier, shift };
}
