// Conv / FC weight and bias quantization (spec deploy.md §3.10 Conv, §3.11 Conv;
// lib/Conversion/TopToTpu/BM1684X/Conv.cpp and BM1684/Conv.cpp). Weights are float32 data laid
// out [oc, ...] (oc outer). Where the C code computes in `float` we round with Math.fround.
//
// Deliberate differences from TPU-MLIR:
// - Bias values are saturated to int32 / int16 instead of overflowing (C's double → int32
//   conversion of an out-of-range value is undefined).
// - With an unsigned (uint8) filter and an input zero point, the bias correction Σ Wq·ZPi uses the
//   uint8 weights; TPU-MLIR reads its (all-zero) int8 buffer there and so drops the correction.
// - BM1684 Winograd weights (`--do_winograd`) are not produced here.
import { calRightShiftNum, getScaleAndShift, quantizeToInt16, quantizeToInt8 } from './multiplier.js';
import { clampInt32, roundHalfAwayFromZero, toInt8, toUint8 } from './rounding.js';

/** min, max and max |x| of float32 data (C float: exact in doubles). */
export function findMinMax(data: ArrayLike<number>): { min: number; max: number; absMax: number } {
  let min = data.length > 0 ? data[0]! : 0;
  let max = min;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)) };
}

function absMaxOf(data: ArrayLike<number>, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/**
 * `to_all_int8(data, scale, sign)`: the smallest power of two s in 1, 2, ..., 64 such that every
 * value · s (a C float product) is an integer of int8 (uint8 when !signed); undefined if none.
 * Such weights are stored exactly with scale 1/s.
 */
export function allIntScale(data: ArrayLike<number>, signed: boolean): number | undefined {
  const [lo, hi] = signed ? [-128, 127] : [0, 255];
  for (let i = 0; i < 7; i++) {
    const s = 2 ** i;
    let ok = true;
    for (let k = 0; k < data.length && ok; k++) {
      const d = Math.fround(data[k]! * s);
      ok = Number.isInteger(d) && d >= lo && d <= hi;
    }
    if (ok) return s;
  }
  return undefined;
}

export interface ConvQuantInput {
  /** Float32 filter, [oc, ic/g, kh, kw] or any shape with oc outermost. */
  readonly filter: ArrayLike<number>;
  /** Output channels (per-channel scales are taken along the outermost dim). */
  readonly oc: number;
  readonly bias?: ArrayLike<number>;
  /** Input scale and zero point (zero point only asymmetric). */
  readonly inScale: number;
  readonly inZeroPoint?: number;
  readonly outScale: number;
  /** Per-channel weight scales given by the table (`#weight_scale`, the Weight op's `scale`). */
  readonly weightScales?: readonly number[];
}

export interface ConvQuantBM1684X {
  /** Int8Array when signed, else Uint8Array (weights all ≥ 0 and no bias). */
  readonly filter: Int8Array | Uint8Array;
  readonly filterSigned: boolean;
  /** Scale of each output channel's weights. */
  readonly weightScales: number[];
  /** Whether every weight was an int8 (or uint8) number times a power of two. */
  readonly allInt: boolean;
  /** int32 bias, when there is a bias or an input zero point to fold in. */
  readonly bias: Int32Array | undefined;
  /** Requant per channel: acc · multiplier >> rshift (HalfUp), `quant_mode = MultiplierShift`. */
  readonly multipliers: number[];
  readonly rshifts: number[];
  /** The input scale actually used (an input scale ≤ 1e-5 is replaced, see below). */
  readonly inScale: number;
}

/**
 * BM1684X-family Conv INT8 (`ConvLowering::LoweringINT8`), per output channel c:
 * Sw_c = max|W_c| / 127 (/255 for an unsigned filter), at least 1e-5, or 1/s when all weights are
 * integers on a 2^-k grid, or the table's scale; Wq = to_int8(W / Sw_c);
 * bias_c = round(b_c / (Sw_c·Si) − Σ Wq·ZPi); (m_c, r_c) = get_scale_and_shift(Sw_c·Si/So, 32).
 * An input scale ≤ 1e-5 (an all-zero calibrated input) is replaced by max|b|/127, or by
 * max|W|/127 when the bias is tiny too, so the bias does not overflow.
 */
export function quantizeConvBM1684X(p: ConvQuantInput): ConvQuantBM1684X {
  const { filter, oc, bias } = p;
  const hasBias = bias !== undefined;
  const inZp = p.inZeroPoint ?? 0;
  const mm = findMinMax(filter);
  const signed = mm.min < 0 || hasBias;
  const fqmax = signed ? 127 : 255;
  const weightScalesGiven = p.weightScales !== undefined && p.weightScales.length > 0;
  // A `scale` attribute on the filter (even an empty one) turns the all-integer shortcut off.
  const times = p.weightScales !== undefined ? undefined : allIntScale(filter, signed);

  let inScale = p.inScale;
  const biasMax = hasBias ? absMaxOf(bias, 0, bias.length) : Math.fround(1e-6);
  if (inScale <= 1e-5) inScale = biasMax <= 1e-5 ? mm.absMax / 127 : biasMax / 127;

  const inner = filter.length / oc;
  const q = signed ? new Int8Array(filter.length) : new Uint8Array(filter.length);
  const biasQ = hasBias || inZp !== 0 ? new Int32Array(oc) : undefined;
  const weightScales: number[] = [];
  const multipliers: number[] = [];
  const rshifts: number[] = [];
  const floor = Math.fround(1e-5);
  for (let c = 0; c < oc; c++) {
    const from = c * inner;
    let sw: number;
    if (times !== undefined) sw = 1 / times;
    else if (weightScalesGiven) sw = p.weightScales![c]!;
    else sw = Math.max(Math.fround(absMaxOf(filter, from, from + inner) / fqmax), floor);
    weightScales.push(sw);
    const ms = getScaleAndShift((sw * inScale) / p.outScale, 32);
    multipliers.push(ms.multiplier);
    rshifts.push(ms.shift);
    let wzp = 0;
    for (let t = from; t < from + inner; t++) {
      q[t] = signed ? toInt8(filter[t]! / sw) : toUint8(filter[t]! / sw);
      if (inZp !== 0) wzp += q[t]! * inZp;
    }
    if (biasQ) biasQ[c] = clampInt32(roundHalfAwayFromZero((hasBias ? bias[c]! / (sw * inScale) : 0) - wzp));
  }
  return { filter: q, filterSigned: signed, weightScales, allInt: times !== undefined, bias: biasQ, multipliers, rshifts, inScale };
}

export interface ConvQuantBM1684 {
  /** Per-layer right shift (`quant_mode = OnlyShift`, multiplier 1). */
  readonly rshift: number;
  /** Wq = to_int8(W · 2^rshift · Si / So): the weights absorb the Si/So ratio. */
  readonly filter: Int8Array;
  /** int16 bias round(b · 2^rshift / So), when there is a bias. */
  readonly bias: Int16Array | undefined;
}

/**
 * BM1684 Conv INT8 (`bm1684::ConvLowering::LoweringINT8`): rshift = calRightShiftNum(max|W|,
 * Si, So, 8); undefined when it is < 0 (TPU-MLIR then lowers the conv in F32, as it does for
 * strides > 15, which the caller checks). The bias is quantized to int16 with scale 2^r/So; while
 * more than 3 % of it overflows, r is decremented (not below 0). Output:
 * y = saturate_i8((Σ Wq·q_in + bias) >> r).
 */
export function quantizeConvBM1684(p: { filter: ArrayLike<number>; bias?: ArrayLike<number>; inScale: number; outScale: number }): ConvQuantBM1684 | undefined {
  const { absMax } = findMinMax(p.filter);
  let rshift = calRightShiftNum(absMax, p.inScale, p.outScale, 8);
  if (rshift < 0) return undefined;
  let bias: Int16Array | undefined;
  if (p.bias !== undefined) {
    let r = quantizeToInt16(p.bias, 2 ** rshift / p.outScale);
    while (r.overflowRatio > 0.03 && rshift > 0) {
      rshift -= 1;
      r = quantizeToInt16(p.bias, 2 ** rshift / p.outScale);
    }
    bias = r.data;
  }
  const filter = quantizeToInt8(p.filter, (2 ** rshift * p.inScale) / p.outScale);
  return { rshift, filter, bias };
}
