// MatMul / fully-connected weight and bias quantization for the BM1684X family (spec deploy.md
// §3.10 MatMul; lib/Conversion/TopToTpu/BM1684X/MatMul.cpp), per tensor (no --matmul_perchannel).
//
// Deliberate differences from TPU-MLIR: the `to_all_int8` shortcut for integer weights and the
// int16-output trick for detection heads are not applied; an input zero point (asymmetric) is not
// folded into the bias (the lowering keeps asymmetric MatMuls float).
import { findMinMax } from './conv-weights.js';
import { getScaleAndShift } from './multiplier.js';
import { clampInt32, roundHalfAwayFromZero, toInt8 } from './rounding.js';

export interface MatMulQuantBM1684X {
  /** Wq = to_int8(W / Sw), same layout as the float weight. */
  readonly weight: Int8Array;
  /** Sw = max|W| / 127 (at least 1e-5, as Conv). */
  readonly weightScale: number;
  /** round(b / (Sw · Si)), when there is a bias. */
  readonly bias: Int32Array | undefined;
  /** Requant: acc · multiplier >> rshift (HalfUp); (m, r) = get_scale_and_shift(Si·Sw/So, 32). */
  readonly multiplier: number;
  readonly rshift: number;
}

export function quantizeMatMulBM1684X(p: { weight: ArrayLike<number>; bias?: ArrayLike<number>; inScale: number; outScale: number }): MatMulQuantBM1684X {
  const { absMax } = findMinMax(p.weight);
  const sw = Math.max(Math.fround(absMax / 127), Math.fround(1e-5));
  const weight = new Int8Array(p.weight.length);
  for (let i = 0; i < weight.length; i++) weight[i] = toInt8(p.weight[i]! / sw);
  let bias: Int32Array | undefined;
  if (p.bias) {
    bias = new Int32Array(p.bias.length);
    for (let i = 0; i < bias.length; i++) bias[i] = clampInt32(roundHalfAwayFromZero(p.bias[i]! / (sw * p.inScale)));
  }
  const ms = getScaleAndShift((p.inScale * sw) / p.outScale, 32);
  return { weight, weightScale: sw, bias, multiplier: ms.multiplier, rshift: ms.shift };
}
