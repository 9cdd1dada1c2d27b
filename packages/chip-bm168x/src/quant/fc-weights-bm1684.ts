// BM1684 fully connected (MatMul with a weight on the right) INT8 weights (spec deploy.md §3.11;
// lib/Conversion/TopToTpu/BM1684/MatMul.cpp, "refer quantize_convlike_layer_int8"): the conv
// scheme of quantizeConvBM1684 — one right shift for the layer, int8 weights that absorb Si/So,
// int16 bias — except that a negative shift is clamped to 0 instead of sending the layer to F32.
import { findMinMax } from './conv-weights.js';
import { calRightShiftNum, quantizeToInt16, quantizeToInt8 } from './multiplier.js';

export interface FcQuantBM1684 {
  /** Per-layer right shift (`rshifts = [r]`, multiplier 1). */
  readonly rshift: number;
  /** Wq = to_int8(W · 2^r · Si / So). */
  readonly weight: Int8Array;
  /** int16 bias round(b · 2^r / So), when there is a bias. */
  readonly bias: Int16Array | undefined;
}

/**
 * r = max(0, calRightShiftNum(max|W|, Si, So, 8)); while more than 3 % of the int16 bias
 * overflows, r is decremented (not below 0). Output: y = saturate_i8((Σ Wq·q_in + bias) >> r).
 */
export function quantizeFcBM1684(p: { weight: ArrayLike<number>; bias?: ArrayLike<number>; inScale: number; outScale: number }): FcQuantBM1684 {
  let rshift = Math.max(0, calRightShiftNum(findMinMax(p.weight).absMax, p.inScale, p.outScale, 8));
  let bias: Int16Array | undefined;
  if (p.bias !== undefined) {
    let q = quantizeToInt16(p.bias, 2 ** rshift / p.outScale);
    while (q.overflowRatio > 0.03 && rshift > 0) {
      rshift -= 1;
      q = quantizeToInt16(p.bias, 2 ** rshift / p.outScale);
    }
    bias = q.data;
  }
  return { rshift, weight: quantizeToInt8(p.weight, (2 ** rshift * p.inScale) / p.outScale), bias };
}
