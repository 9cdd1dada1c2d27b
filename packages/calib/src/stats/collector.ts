// The single statistics pass of run_calibration (spec §3): every sample's tensors are folded into
// per-tensor accumulators as they are produced, for every threshold method at once, so that a
// second method can be computed later from the summaries without running the model again.
//
// Differences from TPU-MLIR, on purpose:
// * multi-output ops are counted once per sample; TPU-MLIR visits them twice (a threaded pass over
//   the expanded tensor list, then a serial pass over multi-output ops, spec §3.1 / §18.13), which
//   doubles their histogram counts and per-sample lists and gives them a second percentile level
//   (their position among multi-output ops). Here every tensor's level is its op's position.
// * each method's per-sample values are gathered whatever the method (TPU-MLIR gathers only the
//   chosen method's), and the "last five" |x| tails for MSE/ACIQ are always kept.
// * only the k most extreme values of the pooled per-sample tails are kept (a running selection)
//   instead of the pool itself, which gives the same k-th and (k-1)-th values (see TensorStats).
import { growHistogram } from './histogram.js';
import { aciqGauss, aciqLaplace, interpolateTail, kurtosisOf, percentileLevel, percentileRatio, tailLength } from './methods.js';
import { octavIterate } from './octav.js';
import { JsScan, type SampleScan } from './scan.js';
import { TopK } from './top-k.js';
import type { Histogram, TensorInfo, TensorSummary } from './types.js';
import { sharedWasmScan, type WasmScan } from './wasm/wasm-scan.js';

/** Receives every sample of one tensor (e.g. the torch HistogramObserver port). */
export interface SampleSink {
  add(data: Float32Array): void;
}

export interface CollectorOptions {
  /** Initial histogram bins (--histogram_bin_num), default 2048. */
  binNum?: number;
  /** Samples that will be fed (for the percentile tail length k). */
  inputNum: number;
  /** Optional per-tensor plug-in, fed every sample of the tensor it is returned for. */
  extraSink?: (info: TensorInfo) => SampleSink | undefined;
  warn?: (msg: string) => void;
  /** 4 for `int4` in debug_cmd: OCTAV with B = 4 and the 4-bit ACIQ constants. Default 8. */
  bits?: 8 | 4;
  /**
   * The per-sample passes: 'wasm' (SIMD kernels, the default where WebAssembly SIMD runs) or 'js'
   * (the reference loops). Counts, bins, min/max and tails are the same; float64 sums may differ
   * in their last bits.
   */
  kernels?: 'wasm' | 'js';
  /**
   * Names of the tensors that keep the "last five" |x| tails: by default the last five of
   * `tensors`. A collector given only some of a model's tensors (one shard of several) is told.
   */
  lastTensors?: ReadonlySet<string>;
}

/** Tensors at the end of the list that keep a pool of their k largest |x| (spec §3.2). */
export const LAST_TENSORS = 5;

export class StatsCollector {
  private readonly states: TensorStats[];
  private readonly byName = new Map<string, TensorStats>();
  private readonly opts: Required<Omit<CollectorOptions, 'extraSink' | 'warn' | 'kernels' | 'lastTensors'>> & Pick<CollectorOptions, 'warn'>;
  private sample = 0;
  private readonly js = new JsScan();
  private readonly wasm: WasmScan | undefined;

  constructor(tensors: readonly TensorInfo[], opts: CollectorOptions) {
    if (!(opts.inputNum >= 1)) throw new RangeError(`StatsCollector: inputNum must be >= 1, got ${opts.inputNum}`);
    this.opts = { binNum: opts.binNum ?? 2048, inputNum: opts.inputNum, bits: opts.bits ?? 8, warn: opts.warn };
    if (!(this.opts.binNum >= 2)) throw new RangeError(`StatsCollector: binNum must be >= 2, got ${this.opts.binNum}`);
    this.wasm = opts.kernels === 'js' ? undefined : sharedWasmScan();
    this.states = tensors.map((info, i) => {
      const last = opts.lastTensors ? opts.lastTensors.has(info.name) : i >= tensors.length - LAST_TENSORS;
      const s = new TensorStats(info, this.opts.inputNum, last, opts.extraSink?.(info));
      if (this.byName.has(info.name)) throw new Error(`StatsCollector: tensor "${info.name}" is listed twice`);
      this.byName.set(info.name, s);
      return s;
    });
  }

  /**
   * One sample's value of one tensor. Samples arrive in order; each tensor once per sample.
   * Does not keep a reference to `data` (the caller reuses it). Names not in the list are ignored
   * (e.g. a dropped result of a multi-output op).
   */
  add(name: string, data: Float32Array): void {
    const st = this.byName.get(name);
    if (!st) return;
    if (st.lastSample === this.sample) throw new Error(`StatsCollector: "${name}" added twice in sample ${this.sample}`);
    st.lastSample = this.sample;
    const scan = this.wasm?.fits(data.length) ? this.wasm : this.js;
    st.add(data, scan, this.opts.binNum, this.opts.bits, this.opts.warn);
  }

  /** Call after each sample's tensors were all added. */
  endSample(): void {
    this.sample++;
  }

  /** After all samples: the §3.4 post-processing for every method at once, in tensor order. */
  summarize(): TensorSummary[] {
    return this.states.map((s) => s.summary(this.opts.binNum));
  }
}

/**
 * One tensor's accumulators.
 *
 * Percentile tails: TPU-MLIR pools, per sample, the k smallest and k largest values (sorted) and
 * at the end reads the k-th and (k-1)-th of the pool from either end. When 2k <= size the two
 * tails of a sample are disjoint, and the k largest of the pool are the k largest of all values
 * (a value outside its sample's k largest has k larger values beside it), so a running TopK over
 * all values gives the same numbers. When 2k > size (k = 1, or thousands of samples) the tails
 * overlap and the pool holds duplicates, so we push both tails of the sorted sample, as the pool.
 */
class TensorStats {
  lastSample = -1;
  private samples = 0;
  private min = Infinity;
  private max = -Infinity;
  private maxAbs = -Infinity;
  private hist: Histogram | undefined;
  private readonly per: number;
  /** Elements per sample (the IR's, else the first sample's), the tail length and the tails. */
  private size = 0;
  private k = 1;
  private hi: TopK | undefined;
  /** The k largest of -x (the k smallest of x). */
  private lo: TopK | undefined;
  /** The k largest |x| (last five tensors only). */
  private absTop: TopK | undefined;
  private octavSum = 0;
  private gaussSum = 0;
  private laplaceSum = 0;
  private kurtosisSum = 0;

  constructor(
    readonly info: TensorInfo,
    private readonly inputNum: number,
    private readonly last: boolean,
    private readonly sink: SampleSink | undefined,
  ) {
    this.per = percentileLevel(info.opIndex, info.opCount);
  }

  private init(n: number): void {
    this.size = this.info.size > 0 ? this.info.size : n;
    this.k = tailLength(this.inputNum, this.size, this.per);
    this.hi = new TopK(this.k);
    this.lo = new TopK(this.k);
    if (this.last) this.absTop = new TopK(this.k);
  }

  add(x: Float32Array, scan: SampleScan, binNum: number, bits: 8 | 4, warn?: (msg: string) => void): void {
    this.sink?.add(x);
    const n = x.length;
    if (n === 0) return; // an empty tensor has no statistics
    if (this.samples++ === 0) this.init(n);
    scan.load(x);

    // tails are offered in the moments pass, except where a sample needs more care (see below)
    const overlapping = 2 * Math.min(this.k, n) > n;
    const tailsNow = this.samples > 1 && !overlapping;
    // the histogram most likely keeps its range (it grows only when |x| passes it): its bins can
    // be counted in the moments pass
    const guess = this.hist && { th: this.hist.th, bins: this.hist.counts.length };
    const { min, max, sum, sumAbs, nonZero } = tailsNow ? scan.moments(this.hi, this.lo, guess) : scan.moments(undefined, undefined, guess);
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.maxAbs = Math.max(this.maxAbs, Math.abs(min), Math.abs(max));

    // the histogram's range is the running absmax after this sample (a float32 value)
    const th = Math.max(Math.abs(this.min), Math.abs(this.max));
    const h = this.hist === undefined
      ? { counts: new Float64Array(binNum), width: th / (binNum - 1), th }
      : growHistogram(this.hist, th, binNum, warn && ((m) => warn(`${this.info.name}: ${m}`)), false);
    scan.histogram(h.th, h.counts as Float64Array, n - nonZero);
    this.hist = h;

    if (overlapping) this.addOverlappingTails(x);
    else if (!tailsNow) this.firstTails(scan, h, min, max, n - nonZero);
    if (this.absTop) scan.absTail(this.absTop);

    // numpy's mean is float32; OCTAV's first step compares at fround(s0)
    const mean = Math.fround(sum / n);
    const c = scan.central(mean, nonZero > 0 ? Math.fround(sumAbs / nonZero) : 0);
    this.laplaceSum += aciqLaplace(c.absDev / n, bits);
    this.kurtosisSum += kurtosisOf(n, c.m2, c.m4);
    this.gaussSum += aciqGauss(min, max, n, bits);
    const first = { count: c.count, sum: c.above };
    this.octavSum += octavIterate(n, { sumAbs, nonZero, min, first }, bits, (s, rescan) => scan.octavStep(s, rescan));
    scan.unload();
  }

  /**
   * The first sample's tails. With empty tails every value would be offered, and when values
   * rise along the tensor (channel after channel) most of them would be pushed; the sample's
   * histogram (nothing else is in it yet) gives bounds that about 4k values pass instead. A bound
   * that leaves fewer than k (the histogram is of |x|, the tails are signed) is dropped again.
   */
  private firstTails(scan: SampleScan, h: Histogram, min: number, max: number, zeros: number): void {
    const want = 4 * this.k;
    const { counts, width } = h;
    let hc = -Infinity;
    let lc = Infinity;
    let above = 0;
    let b = counts.length;
    while (b > 1 && above < want) above += counts[--b]!;
    // bins >= b hold >= want values, all |x| >= (b - 0.5) * width; one bin lower for rounding
    const level = Math.max(0, (b - 1) * width);
    if (above >= want && max > level) hc = level;
    if (above >= want && min < -level) lc = -level;
    else if (min >= 0) {
      let below = zeros;
      let t = 0;
      while (t < counts.length && below < want) below += counts[t++]!;
      if (below >= want) lc = (t + 1) * width; // bins < t and the zeros: all x < (t - 0.5) * width
    }
    scan.tails(this.hi!, this.lo!, hc, lc);
    const hiShort = this.hi!.size < this.k;
    const loShort = this.lo!.size < this.k;
    if (hiShort) this.hi = new TopK(this.k);
    if (loShort) this.lo = new TopK(this.k);
    if (hiShort || loShort) scan.tails(this.hi!, this.lo!, hiShort ? -Infinity : Infinity, loShort ? Infinity : -Infinity);
    // the next samples compare against the cuts: raise them now
    this.hi!.tighten();
    this.lo!.tighten();
  }

  /** 2k > size: push the sorted sample's k smallest and k largest to both ends, as TPU-MLIR pools them. */
  private addOverlappingTails(x: Float32Array): void {
    const n = x.length;
    const k = Math.min(this.k, n);
    const sorted = Float32Array.from(x).sort();
    for (const part of [sorted.subarray(0, k), sorted.subarray(n - k)]) {
      for (const v of part) {
        this.hi!.push(v);
        this.lo!.push(-v);
      }
    }
  }

  summary(binNum: number): TensorSummary {
    const { samples, k } = this;
    const ratio = percentileRatio(this.inputNum, this.size, this.per);
    const [h0, h1] = this.hi?.ranks() ?? [NaN, NaN];
    const [l0, l1] = this.lo?.ranks() ?? [NaN, NaN];
    const last5 = this.absTop ? interpolateTail(...this.absTop.ranks(), ratio, k) : undefined;
    const mean = (s: number) => (samples > 0 ? s / samples : NaN);
    return {
      info: this.info,
      samples,
      min: this.min,
      max: this.max,
      hist: this.hist ? { ...this.hist, counts: this.hist.counts.slice() } : { counts: new Float64Array(binNum), width: 0, th: 0 },
      maxAbs: this.maxAbs,
      pctMin: interpolateTail(-l0, -l1, ratio, k),
      pctMax: interpolateTail(h0, h1, ratio, k),
      octav: mean(this.octavSum),
      aciqGauss: mean(this.gaussSum),
      aciqLaplace: mean(this.laplaceSum),
      ...(last5 === undefined ? {} : { last5 }),
      kurtosis: mean(this.kurtosisSum),
    };
  }
}
