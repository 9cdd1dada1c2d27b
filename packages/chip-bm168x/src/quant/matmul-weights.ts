// MatMul / fully-connected weight and bias quantization for the BM1684X family (spec deploy.md
// §3.10 MatMul; lib/Conversion/TopToTpu/BM1684X/MatMul.cpp), per tensor (no --matmul_perchannel).
//
// Deliberate differences from TPU-MLIR: the `to_all_int8` shortcut for integer weights and the
// int16-output trick for detection heads are not applied. The input zero point (asymmetric) is
// folded into the bias over each output column's own weights also when the weight is stored
// transposed (upstream indexes the weights as [K, N] either way).
import { findMinMax } from './conv-weights.js';
import { getScaleAndShift } from './multiplier.js';
import { clampInt32, roundHalfAwayFromZero, toInt8 } from './rounding.js';

export interface MatMulQuantBM1684X {
  /** Wq = to_int8(W / Sw), same layout as the float weight. */
  readonly weight: Int8Array;
  /** Sw = max|W| / 127 (at least 1e-5, as Conv). */
  readonly weightScale: number;
  /** round(b / (Sw · Si) − Σ_k Wq[k, n]·ZPi), when there is a bias or an input zero point. */
  readonly bias: Int32Array | undefined;
  /** Requant: acc · multiplier >> rshift (HalfUp); (m, r) = get_scale_and_shift(Si·Sw/So, 32). */
  readonly multiplier: number;
  readonly rshift: number;
}

export interface MatMulQuantInput {
  readonly weight: ArrayLike<number>;
  /** The weight's 2-D shape ([K, N], or [N, K] when `rightTranspose`); needed with a zero point. */
  readonly shape?: readonly [number, number];
  readonly rightTranspose?: boolean;
  readonly bias?: ArrayLike<number>;
  readonly inScale: number;
  /** The input zero point (asymmetric): −Σ_k Wq[k, n]·ZPi goes into the int32 bias. */
  readonly inZeroPoint?: number;
  readonly outScale: number;
}

export function quantizeMatMulBM1684X(p: MatMulQuantInput): MatMulQuantBM1684X {
  const { absMax } = findMinMax(p.weight);
  const sw = Math.max(Math.fround(absMax / 127), Math.fround(1e-5));
  const weight = new Int8Array(p.weight.length);
  for (let i = 0; i < weight.length; i++) weight[i] = toInt8(p.weight[i]! / sw);
  const zp = p.inZeroPoint ?? 0;
  let bias: Int32Array | undefined;
  if (p.bias || zp !== 0) {
    if (zp !== 0 && !p.shape) throw new RangeError('quantizeMatMulBM1684X: an input zero point needs the weight shape');
    const [r0, r1] = p.shape ?? [p.weight.length, 1];
    const [k, n] = p.rightTranspose ? [r1, r0] : [r0, r1];
    bias = new Int32Array(p.bias ? p.bias.length : n);
    for (let j = 0; j < bias.length; j++) {
      let wzp = 0;
      if (zp !== 0) for (let t = 0; t < k; t++) wzp += weight[p.rightTranspose ? j * k + t : t * n + j]! * zp;
      bias[j] = p.bias ? clampInt32(roundHalfAwayFromZero(p.bias[j]! / (sw * p.inScale) - wzp)) : clampInt32(-wzp);
    }
  }
  const ms = getScaleAndShift((p.inScale * sw) / p.outScale, 32);
  return { weight, weightScale: sw, bias, multiplier: ms.multiplier, rshift: ms.shift };
}
