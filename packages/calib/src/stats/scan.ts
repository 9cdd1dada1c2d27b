// The per-sample passes over one tensor, written for V8: this is the hot path of calibration
// (mobilenet_v2 has 7 M activation floats per sample). What was measured to matter:
// * unrolling by 4 with separate accumulators (min/max compares and float64 sums are chains);
// * no data-dependent branches: ReLU outputs are about one third zeros, at random, so
//   `if (v !== 0)` mispredicts; counts come from the float bits instead (`(-(bits & 0x7fffffff))
//   >>> 31` is 1 for a non-zero value), and the OCTAV step's "|x| > s" from an integer compare
//   of the bits (non-negative floats order like their bit patterns);
// * Math.min / Math.max are slow with many equal values (signed-zero handling): plain compares.
// Sums are float64 (numpy: float32 pairwise); they differ only in rounding.
// These loops are the reference; wasm/ has the same passes as SIMD kernels (the default).
import { addHistogram } from './histogram.js';
import { keepAbove, type StepResult } from './octav.js';
import type { TopK } from './top-k.js';

/** The per-sample passes over one tensor, as the collector uses them (js here, or wasm/). */
export interface SampleScan {
  /** Makes x the tensor the other calls read (until the next load; the wasm kernels copy it). */
  load(x: Float32Array): void;
  /**
   * min, max, sums and the non-zero count; with hi and lo also what tails(hi, lo) does, in the
   * same pass. `guess`: the histogram (range and bin number) the next histogram() call will most
   * likely ask for; an implementation may bin x for it in this pass (histogram() then only adds
   * the counts when the call matches).
   */
  moments(hi?: TopK, lo?: TopK, guess?: { readonly th: number; readonly bins: number }): Moments;
  /** Adds the |x| histogram with range th to counts (zeros: the exact zeros of x, from moments). */
  histogram(th: number, counts: Float64Array, zeros: number): void;
  /** Offers the values to `hi` and their negations to `lo`, within the bounds hc, lc (see scanTails). */
  tails(hi: TopK, lo: TopK, hc?: number, lc?: number): void;
  /** Offers every |x| to `top`. */
  absTail(top: TopK): void;
  /** Central sums around mean, and OCTAV's first step at s (the |x| > s are kept). */
  central(mean: number, s: number): CentralSums;
  /** An OCTAV step at s: keeps the kept values above s, or (rescan) the |x| above s. */
  octavStep(s: number, rescan: boolean): StepResult;
  /** Drops the reference to x (the caller reuses its buffer; a large one should not stay reachable). */
  unload(): void;
}

/** The reference implementation of SampleScan. */
export class JsScan implements SampleScan {
  private x: Float32Array = new Float32Array(0);
  private scratch = new Float32Array(0);
  private kept = 0;

  load(x: Float32Array): void {
    this.x = x;
    if (this.scratch.length < x.length) this.scratch = new Float32Array(x.length);
  }

  moments(hi?: TopK, lo?: TopK): Moments {
    if (hi && lo) scanTails(this.x, hi, lo);
    return scanMoments(this.x);
  }

  histogram(th: number, counts: Float64Array, zeros: number): void {
    addHistogram(this.x, th, counts, zeros);
  }

  tails(hi: TopK, lo: TopK, hc?: number, lc?: number): void {
    scanTails(this.x, hi, lo, hc, lc);
  }

  absTail(top: TopK): void {
    scanAbsTail(this.x, top);
  }

  central(mean: number, s: number): CentralSums {
    const c = scanCentral(this.x, mean, s, this.scratch);
    this.kept = c.count;
    return c;
  }

  unload(): void {
    this.x = new Float32Array(0);
  }

  octavStep(s: number, rescan: boolean): StepResult {
    const r = rescan ? keepAbove(this.x, this.x.length, s, this.scratch) : keepAbove(this.scratch, this.kept, s, this.scratch);
    this.kept = r.count;
    return r;
  }
}

export interface Moments {
  readonly min: number;
  readonly max: number;
  /** Σx, Σ|x| and #(x != 0). */
  readonly sum: number;
  readonly sumAbs: number;
  readonly nonZero: number;
}

const bitsOf = (x: Float32Array): Int32Array => new Int32Array(x.buffer, x.byteOffset, x.length);

/** min, max, Σx, Σ|x| and #(x != 0) in one pass (NaN values are ignored by min/max). */
export function scanMoments(x: Float32Array): Moments {
  const xi = bitsOf(x);
  const n = x.length;
  let a0 = Infinity, a1 = Infinity, a2 = Infinity, a3 = Infinity;
  let b0 = -Infinity, b1 = -Infinity, b2 = -Infinity, b3 = -Infinity;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  let nz = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v0 = x[i]!, v1 = x[i + 1]!, v2 = x[i + 2]!, v3 = x[i + 3]!;
    if (v0 < a0) a0 = v0;
    if (v1 < a1) a1 = v1;
    if (v2 < a2) a2 = v2;
    if (v3 < a3) a3 = v3;
    if (v0 > b0) b0 = v0;
    if (v1 > b1) b1 = v1;
    if (v2 > b2) b2 = v2;
    if (v3 > b3) b3 = v3;
    s0 += v0; s1 += v1; s2 += v2; s3 += v3;
    t0 += Math.abs(v0); t1 += Math.abs(v1); t2 += Math.abs(v2); t3 += Math.abs(v3);
    nz += ((-(xi[i]! & 0x7fffffff)) >>> 31) + ((-(xi[i + 1]! & 0x7fffffff)) >>> 31) +
      ((-(xi[i + 2]! & 0x7fffffff)) >>> 31) + ((-(xi[i + 3]! & 0x7fffffff)) >>> 31);
  }
  for (; i < n; i++) {
    const v = x[i]!;
    if (v < a0) a0 = v;
    if (v > b0) b0 = v;
    s0 += v;
    t0 += Math.abs(v);
    nz += (-(xi[i]! & 0x7fffffff)) >>> 31;
  }
  const min2 = (p: number, q: number) => (q < p ? q : p);
  const max2 = (p: number, q: number) => (q > p ? q : p);
  return {
    min: min2(min2(a0, a1), min2(a2, a3)),
    max: max2(max2(b0, b1), max2(b2, b3)),
    sum: s0 + s1 + s2 + s3,
    sumAbs: t0 + t1 + t2 + t3,
    nonZero: nz,
  };
}

/**
 * Offers every value to `hi` (the k largest) and its negation to `lo` (the k smallest). Only
 * values beyond the current cuts are pushed, so after the first sample this is a compare pass.
 * `hc` / `lc` are further bounds the caller knows: values <= hc are not offered to hi, values
 * >= lc not to lo.
 */
export function scanTails(x: Float32Array, hi: TopK, lo: TopK, hc = -Infinity, lc = Infinity): void {
  const n = x.length;
  let h = Math.max(hc, hi.cut);
  let l = Math.min(lc, -lo.cut);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v0 = x[i]!, v1 = x[i + 1]!, v2 = x[i + 2]!, v3 = x[i + 3]!;
    if (v0 > h || v1 > h || v2 > h || v3 > h || v0 < l || v1 < l || v2 < l || v3 < l) {
      offer(hi, lo, v0, h, l);
      offer(hi, lo, v1, h, l);
      offer(hi, lo, v2, h, l);
      offer(hi, lo, v3, h, l);
      h = Math.max(hc, hi.cut);
      l = Math.min(lc, -lo.cut);
    }
  }
  for (; i < n; i++) offer(hi, lo, x[i]!, h, l);
}

function offer(hi: TopK, lo: TopK, v: number, h: number, l: number): void {
  if (v > h && v > hi.cut) hi.push(v);
  if (v < l && -v > lo.cut) lo.push(-v);
}

/** Offers every |x| to `top`. */
export function scanAbsTail(x: Float32Array, top: TopK): void {
  let cut = top.cut;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > cut) {
      top.push(a);
      cut = top.cut;
    }
  }
}

export interface CentralSums {
  /** Σ|x - m|, Σ(x - m)², Σ(x - m)⁴. */
  readonly absDev: number;
  readonly m2: number;
  readonly m4: number;
  /** OCTAV's first step: #(|x| > s) and their sum; scratch[0..count) holds them. */
  readonly count: number;
  readonly above: number;
}

/**
 * The central sums around `mean` (ACIQ laplace, kurtosis) and OCTAV's first step at `s` (a
 * float32 value >= 0): the |x| > s are gathered into `scratch` without branching (each value is
 * written, the write position advances only for those above s).
 */
export function scanCentral(x: Float32Array, mean: number, s: number, scratch: Float32Array): CentralSums {
  const xi = bitsOf(x);
  const sBits = new Int32Array(new Float32Array([s]).buffer)[0]!;
  let absDev = 0, m2 = 0, m4 = 0;
  let count = 0;
  let above = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const a = Math.abs(v);
    const m = (sBits - (xi[i]! & 0x7fffffff)) >> 31; // -1 when |x| > s, else 0
    scratch[count] = a;
    count -= m;
    above += a * (m & 1);
    const d = v - mean;
    const d2 = d * d;
    absDev += Math.abs(d);
    m2 += d2;
    m4 += d2 * d2;
  }
  return { absDev, m2, m4, count, above };
}
