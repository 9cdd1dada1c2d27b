// Deconv (transposed convolution) weight, bias and requant quantization for the BM1684X family
// (spec deploy.md §3.10; lib/Conversion/TopToTpu/BM1684X/Deconv.cpp LoweringINT8). Differs from
// Conv's: the filter is signed when any weight is negative *or* there is a bias; no `to_all_int8`
// shortcut; the per-channel requant is not on the op but in a following tpu.RequantIntAxis, packed
// as [multiplier, −rshift, output zero point] per channel.
import { findMinMax, type ConvQuantInput } from './conv-weights.js';
import { getScaleAndShift } from './multiplier.js';
import { clampInt32, roundHalfAwayFromZero, toInt8, toUint8 } from './rounding.js';

/** A conv's quantization input (filter [oc, ic/g, kh, kw], oc outermost) without table weight scales, plus the output zero point. */
export interface DeconvQuantInput extends Omit<ConvQuantInput, 'weightScales'> {
  readonly outZeroPoint?: number;
}

export interface DeconvQuantBM1684X {
  readonly filter: Int8Array | Uint8Array;
  readonly filterSigned: boolean;
  readonly weightScales: number[];
  /** int32 bias per output channel, when there is a bias or an input zero point. */
  readonly bias: Int32Array | undefined;
  /** [m, −rshift, zp] per output channel, for tpu.RequantIntAxis (shape [1, oc, 1, 3]). */
  readonly quant: Int32Array;
}

export function quantizeDeconvBM1684X(p: DeconvQuantInput): DeconvQuantBM1684X {
  const { filter, oc } = p;
  const inner = filter.length / oc;
  const zpIn = p.inZeroPoint ?? 0;
  const signed = findMinMax(filter).min < 0 || p.bias !== undefined;
  const qmax = signed ? 127 : 255;
  const q = signed ? new Int8Array(filter.length) : new Uint8Array(filter.length);
  const bias = p.bias || zpIn !== 0 ? new Int32Array(oc) : undefined;
  const quant = new Int32Array(oc * 3);
  const weightScales: number[] = [];
  for (let c = 0; c < oc; c++) {
    let wMax = 0;
    for (let t = c * inner; t < (c + 1) * inner; t++) wMax = Math.max(wMax, Math.abs(filter[t]!));
    // std::max(w_max / fqmax, 1e-5f): a C float
    const sw = Math.max(Math.fround(wMax / qmax), Math.fround(1e-5));
    weightScales.push(sw);
    let zpSum = 0;
    for (let t = c * inner; t < (c + 1) * inner; t++) {
      const v = filter[t]! / sw;
      q[t] = signed ? toInt8(v) : toUint8(v);
      zpSum += q[t]! * zpIn;
    }
    if (bias) bias[c] = clampInt32(roundHalfAwayFromZero((p.bias ? p.bias[c]! / (sw * p.inScale) : 0) - zpSum));
    const ms = getScaleAndShift((sw * p.inScale) / p.outScale, 32);
    quant[3 * c] = ms.multiplier;
    quant[3 * c + 1] = -ms.shift;
    quant[3 * c + 2] = p.outZeroPoint ?? 0;
  }
  return { filter: q, filterSigned: signed, weightScales, bias, quant };
}
