// A port of PyTorch 1.13's `torch.ao.quantization.HistogramObserver` as TPU-MLIR configures it for
// `use_torch_observer_for_cali` (spec §4.7): bins = histogram_bin_num, upsample_rate 128,
// dtype qint8 (256 destination bins, qmin -128, qmax 127), per_tensor_affine, reduce_range false.
//
// Every tensor operation of the Python code runs in float32 there; `f` (Math.fround) marks each
// rounding so that the histogram, the L2 range search and the returned scale/zero point match.
// Reductions follow ATen's CPU kernels (torch-sum.ts), so the search's comparisons agree even on
// near-ties; a PyTorch that dispatches AVX-512 kernels sums with 16 lanes and may differ there.
//
// 1.13 behaviour kept on purpose (later PyTorch releases rework this code):
// * `torch.histc(x, bins, min=int(min), max=int(max))`: the range is truncated to integers, so
//   values outside [trunc(min), trunc(max)] are not counted, and when both truncate to the same
//   integer histc falls back to the sample's own min/max;
// * a previous state whose min equals its max is discarded by the next sample.

import { UserError } from '@tpu-quant/ir';
import type { ThresholdRow, TorchObserverState } from '../stats/types.js';
import { torchCumsumF32, torchSumF32 } from './torch-sum.js';

const f = Math.fround;

const UPSAMPLE_RATE = 128;
const DST_NBINS = 256;
const QMIN = -128;
const QMAX = 127;
/** torch.finfo(torch.float32).eps, the observer's lower bound on the scale. */
const F32_EPS = 2 ** -23;

/** torch.round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ATen's float floor division (`torch.div(a, b, rounding_mode='floor')`) in float32. */
function floorDivF32(a: number, b: number): number {
  if (b === 0) return f(a / b);
  const mod = a % b; // fmodf: exact
  let div = f(f(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f(div - 1);
  if (div === 0) return Math.sign(a / b) < 0 || Object.is(a / b, -0) ? -0 : 0; // copysign(0, a/b)
  let floorDiv = Math.floor(div);
  if (f(div - floorDiv) > 0.5) floorDiv = f(floorDiv + 1);
  return floorDiv;
}

function aminmax(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) {
      throw new UserError('E_NONFINITE', `the torch observer got a non-finite value (${v})`, 'check the model output for inf/nan before calibrating');
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * `torch.histc(x, bins, min, max)` on CPU (ATen histogramdd, linear-interpolation bin selection):
 * equal bounds mean "use the data's min/max" (and ±1 if those are equal too); values outside
 * [min, max] are dropped; bin = trunc((x - min)·bins / (max - min)) in float32, the top edge
 * belonging to the last bin.
 */
function histc(x: Float32Array, bins: number, min: number, max: number): Float32Array {
  let lo = min;
  let hi = max;
  if (lo === hi) [lo, hi] = aminmax(x);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const left = f(lo);
  const right = f(hi);
  const range = f(right - left);
  const out = new Float32Array(bins);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v >= left && v <= right)) continue;
    let pos = Math.trunc(f(f(f(v - left) * bins) / range));
    if (pos === bins) pos -= 1;
    out[pos] += 1;
  }
  return out;
}

export class TorchHistogramObserver {
  readonly bins: number;
  private minVal = Infinity;
  private maxVal = -Infinity;
  private histogram: Float32Array;

  constructor(bins = 2048) {
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`TorchHistogramObserver: bins must be a positive integer (got ${bins})`);
    this.bins = bins;
    this.histogram = new Float32Array(bins);
  }

  /** `forward(x)`: fold one sample into the histogram. */
  add(x: Float32Array): void {
    if (x.length === 0) return;
    const sameValues = this.minVal === this.maxVal;
    const uninitialized = this.minVal === Infinity && this.maxVal === -Infinity;
    if (uninitialized || sameValues) {
      const [lo, hi] = aminmax(x);
      this.minVal = lo;
      this.maxVal = hi;
      this.histogram = histc(x, this.bins, Math.trunc(lo), Math.trunc(hi));
      return;
    }

    const [newMin, newMax] = aminmax(x);
    const combinedMin = Math.min(newMin, this.minVal);
    let combinedMax = Math.max(newMax, this.maxVal);
    // _adjust_min_max: a common grid of width hist_bin_width = (max - min)/(bins·upsample_rate).
    const histBinWidth = f(f(this.maxVal - this.minVal) / (this.bins * UPSAMPLE_RATE));
    const oldSpan = f(this.bins * histBinWidth);
    const downsampleRate = Math.ceil(f(f(combinedMax - combinedMin) / oldSpan));
    const e = f(f(f(downsampleRate) * oldSpan) - f(combinedMax - combinedMin));
    combinedMax = f(combinedMax + e);
    const startIdx = roundHalfEven(f(f(this.minVal - combinedMin) / histBinWidth));

    let combined = histc(x, this.bins, Math.trunc(combinedMin), Math.trunc(combinedMax));
    if (combinedMin === this.minVal && combinedMax === this.maxVal) {
      for (let i = 0; i < this.bins; i++) combined[i] = f(combined[i] + this.histogram[i]);
    } else {
      combined = this.combineHistograms(combined, downsampleRate, startIdx);
    }
    this.histogram = combined;
    this.minVal = combinedMin;
    this.maxVal = combinedMax;
  }

  /**
   * `_combine_histograms`: the old histogram, up-sampled by repeating each bin upsample_rate times,
   * is placed at `startIdx` on a zero grid of bins·downsample_rate cells, integrated in double and
   * read back every downsample_rate cells. The grid is never materialised: only the cells the old
   * histogram covers change the running double sum, which is added cell by cell as ATen does.
   */
  private combineHistograms(orig: Float32Array, downsampleRate: number, startIdx: number): Float32Array {
    const bins = this.bins;
    const old = this.histogram;
    const gridLength = bins * downsampleRate;
    // PyTorch raises a size-mismatch error if rounding pushes the old histogram past the grid's
    // end; we drop the overflowing cells instead (deliberate deviation; not observed in practice).
    const regionEnd = Math.min(startIdx + bins * UPSAMPLE_RATE, gridLength);
    const out = new Float32Array(bins);
    let acc = 0;
    let next = startIdx; // next old-histogram cell to add
    let previous = 0; // integral at the previous read-out, as the float32 the shifted copy holds
    for (let i = 0; i < bins; i++) {
      const last = (i + 1) * downsampleRate - 1;
      for (; next <= last && next < regionEnd; next++) acc += old[Math.floor((next - startIdx) / UPSAMPLE_RATE)];
      out[i] = f(orig[i] + f((acc - previous) / UPSAMPLE_RATE));
      previous = f(acc);
    }
    return out;
  }

  state(): TorchObserverState {
    return { minVal: this.minVal, maxVal: this.maxVal, histogram: Float64Array.from(this.histogram) };
  }

  static fromState(s: TorchObserverState, bins: number = s.histogram.length): TorchHistogramObserver {
    if (s.histogram.length !== bins) {
      throw new Error(`TorchHistogramObserver.fromState: the state holds ${s.histogram.length} bins, expected ${bins}`);
    }
    const o = new TorchHistogramObserver(bins);
    o.minVal = s.minVal;
    o.maxVal = s.maxVal;
    o.histogram = Float32Array.from(s.histogram);
    return o;
  }

  /** `calculate_qparams()`: L2 range search, then the affine qint8 scale and zero point. */
  qparams(): { scale: number; zeroPoint: number } {
    if (this.minVal === Infinity && this.maxVal === -Infinity) return { scale: 1, zeroPoint: 0 }; // PyTorch warns and returns the defaults
    const [lo, hi] = this.nonLinearParamSearch();
    const minNeg = Math.min(lo, 0);
    const maxPos = Math.max(hi, 0);
    const scale = Math.max(f(f(maxPos - minNeg) / (QMAX - QMIN)), F32_EPS);
    const zeroPoint = QMIN - roundHalfEven(f(minNeg / scale));
    return { scale, zeroPoint: Math.min(QMAX, Math.max(QMIN, zeroPoint)) };
  }

  /**
   * `_non_linear_param_search`: move the start or end bin inwards by quantile steps of 1e-5,
   * whichever side moves more bins, and stop at the first step whose L2 quantisation error
   * exceeds the best so far.
   */
  private nonLinearParamSearch(): [number, number] {
    const bins = this.bins;
    const binWidth = f(f(this.maxVal - this.minVal) / bins);
    const total = torchSumF32(this.histogram);
    const cSum = torchCumsumF32(this.histogram);
    const stepsize = 1e-5;
    let alpha = 0;
    let beta = 1;
    let startBin = 0;
    let endBin = bins - 1;
    let normMin = Infinity;
    while (alpha < beta) {
      const nextAlpha = alpha + stepsize;
      const nextBeta = beta - stepsize;
      // A float32 tensor compared with a Python float compares in float32.
      const lowBound = f(nextAlpha * total);
      const highBound = f(nextBeta * total);
      let l = startBin;
      let r = endBin;
      while (l < endBin && cSum[l] < lowBound) l++;
      while (r > startBin && cSum[r] > highBound) r--;

      let nextStart = startBin;
      let nextEnd = endBin;
      if (l - startBin > endBin - r) {
        nextStart = l;
        alpha = nextAlpha;
      } else {
        nextEnd = r;
        beta = nextBeta;
      }
      if (nextStart === startBin && nextEnd === endBin) continue;

      const norm = this.quantizationError(nextStart, nextEnd);
      if (norm > normMin) break;
      normMin = norm;
      startBin = nextStart;
      endBin = nextEnd;
    }
    return [f(this.minVal + f(binWidth * startBin)), f(this.minVal + f(binWidth * (endBin + 1)))];
  }

  /**
   * `_compute_quantization_error`: L2 error of quantising the histogram, taken as piecewise
   * uniform, to 256 levels spanning bins [start, end]. Python scalars (bin widths, computed in
   * double from the float32 min/max) enter the float32 tensor arithmetic rounded to float32.
   */
  private quantizationError(start: number, end: number): number {
    const bins = this.bins;
    const binWidth = (this.maxVal - this.minVal) / bins;
    const dstBinWidth = (binWidth * (end - start + 1)) / DST_NBINS;
    if (dstBinWidth === 0) return 0;
    const bw = f(binWidth);
    const dw = f(dstBinWidth);
    const half = f(dstBinWidth / 2);
    const negHalf = f(-dstBinWidth / 2);
    // (end³ − begin³)/3 for a whole destination bin, as 0-d float32 tensors.
    const cube = (v: number): number => f(f(v * v) * v);
    const normOf = (begin: number, endDelta: number): number => f(f(cube(endDelta) - cube(begin)) / 3);
    const wholeBin = normOf(negHalf, half);
    const norm = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const srcBegin = f((k - start) * bw);
      const srcEnd = f(srcBegin + bw);
      const dstOfBegin = Math.min(DST_NBINS - 1, Math.max(0, floorDivF32(srcBegin, dw)));
      const dstOfEnd = Math.min(DST_NBINS - 1, Math.max(0, floorDivF32(srcEnd, dw)));
      const dstOfBeginCenter = f(f(dstOfBegin + 0.5) * dw);
      const density = f(this.histogram[k] / bw);

      let v = f(0 + f(density * normOf(f(srcBegin - dstOfBeginCenter), half)));
      v = f(v + f(f(f(dstOfEnd - dstOfBegin) - 1) * f(density * wholeBin)));
      const dstOfEndCenter = f(f(dstOfEnd * dw) + half);
      v = f(v + f(density * normOf(negHalf, f(srcEnd - dstOfEndCenter))));
      norm[k] = v;
    }
    return torchSumF32(norm);
  }
}

/**
 * The calibration-table row TPU-MLIR derives from the observer's qparams (spec §4.7):
 * th = scale·max(128+zp, 127−zp) (at least 1e-5), min = scale·(−128−zp), max = scale·(127−zp).
 * The products are taken in double, as the table writer does with numpy scalars.
 */
export function torchObserverRow(name: string, q: { scale: number; zeroPoint: number }): ThresholdRow {
  const th = q.scale * Math.max(q.zeroPoint - QMIN, QMAX - q.zeroPoint);
  return { name, threshold: th <= 1e-5 ? 1e-5 : th, min: q.scale * (QMIN - q.zeroPoint), max: q.scale * (QMAX - q.zeroPoint) };
}
