// The growing |x| histogram of run_calibration (spec §3.3), bin for bin.
//
// TPU-MLIR computes it with numpy 1.24 (legacy promotion rules), which fixes the arithmetic we
// replicate: t = |x| and t / width are float32 (the float64 width is rounded to float32 when it
// meets the float32 array), the bin is floor(t / width + 0.5) in float32, zeros are left out,
// and values past the last bin are dropped. The stored range th starts as a float32 value (the
// running absmax) and becomes float64 at the first growth.
import type { Histogram } from './types.js';

/** Bins above which a growth discards the histogram and starts again (TPU-MLIR's constant). */
export const MAX_HISTOGRAM_BINS = 8_000_000;

/** The counts of `histogram(x, th, bins)` (spec §3.3): bin width th / (bins - 1). */
export function histogramOf(x: Float32Array, th: number, bins: number): Float64Array {
  const counts = new Float64Array(bins);
  addHistogram(x, th, counts);
  return counts;
}

/** 0.5 + 2^-25: floor(q + HALF) in float64 is floor(fround(q + 0.5)) for every float32 q < 2^23. */
const HALF = 0.5 + 2 ** -25;
let binScratch = new Int32Array(0);

/**
 * Adds the histogram of `x` with range `th` to `counts` (its length is the bin number). `zeros`,
 * when the caller already counted the exact zeros of `x`, lets the loop run without a branch:
 * every zero lands in bin 0 and is taken out again at the end.
 *
 * The bin of a = |x| is floor(fround(fround(a / w) + 0.5)), w = fround(th / (bins - 1)), computed as
 * (fround(a * (1 / w)) + HALF) | 0:
 * - fround(a * (1 / w)) is the float32 quotient: the double product is within 2^-52 (relative) of
 *   a / w, and the quotient of two float32 numbers is never within about 2^-49 of a float32
 *   rounding boundary;
 * - adding 0.5 in float32 rounds up across an integer only for q = 0.5 - 2^-25 (to 1.0): adding
 *   HALF = 0.5 + 2^-25 in float64 gives the same floor for every q, and is exact for q < 2^23
 *   (larger q are past any bin: MAX_HISTOGRAM_BINS < 2^23).
 * Counting goes to an Int32Array first (an integer add is the short link in the chain of
 * increments of the same bin), merged into `counts` after.
 */
export function addHistogram(x: Float32Array, th: number, counts: Float64Array, zeros?: number): void {
  const n = counts.length;
  if (n > 2 ** 23) throw new RangeError(`addHistogram: ${n} bins (at most 2^23)`);
  const w = Math.fround(th / (n - 1));
  if (!(w > 0)) return; // th = 0: only zeros were seen, and zeros are not counted
  const r = 1 / w;
  const lim = n - HALF; // q < lim <=> bin < n
  const len = x.length;
  if (zeros === undefined) {
    for (let i = 0; i < len; i++) {
      const a = Math.abs(x[i]!);
      if (a === 0) continue;
      const q = Math.fround(a * r);
      if (q < lim) counts[(q + HALF) | 0]++;
    }
    return;
  }
  if (n > 2 * len) {
    // a histogram much longer than the tensor: filling and merging a scratch would cost more
    for (let i = 0; i < len; i++) {
      const q = Math.fround(Math.abs(x[i]!) * r);
      if (q < lim) counts[(q + HALF) | 0]++;
    }
    counts[0]! -= zeros;
    return;
  }
  if (binScratch.length < n) binScratch = new Int32Array(Math.max(n, 2 * binScratch.length));
  const c = binScratch;
  c.fill(0, 0, n);
  for (let i = 0; i < len; i++) {
    const q = Math.fround(Math.abs(x[i]!) * r);
    if (q < lim) c[(q + HALF) | 0]++;
  }
  c[0]! -= zeros;
  for (let b = 0; b < n; b++) counts[b]! += c[b]!;
}

/**
 * TPU-MLIR's combine_histogram (spec §3.3): adds `x` to `h`, whose range grows to `newTh` (the
 * running absmax after this sample) with about the same bin width; old bins keep their index
 * although the width changes slightly. Past MAX_HISTOGRAM_BINS the old counts are discarded and
 * the histogram restarts from `x` with `binNum` bins (`warn` is told). Does not modify `h`.
 */
export function combineHistogram(h: Histogram, x: Float32Array, newTh: number, binNum: number, warn?: (msg: string) => void): Histogram {
  const next = growHistogram(h, newTh, binNum, warn, true);
  addHistogram(x, next.th, next.counts as Float64Array);
  return next;
}

/**
 * The range step of combine_histogram without adding data: the histogram `x` must be added to
 * (with range `th` and `counts.length` bins). `copy` = false reuses h.counts when the range
 * does not grow (the collector's in-place update).
 * @internal
 */
export function growHistogram(h: Histogram, newTh: number, binNum: number, warn: ((msg: string) => void) | undefined, copy: boolean): Histogram {
  const old = h.counts;
  const len = old.length;
  if (newTh <= h.th) return { counts: copy ? old.slice() : old, width: h.width, th: h.th };
  const step = h.th / len; // "/ len", not "/ (len - 1)", as in TPU-MLIR
  // A first sample of all zeros stores th = 0, and numpy's int(x // 0.0 + 1) then raises
  // (OverflowError); we start afresh instead, which is what the zeros-only counts amount to.
  if (!(step > 0)) return fresh(newTh, binNum);
  // th is float32 until the first growth (the running absmax), float64 after it (numpy promotes
  // the float32 scalar when it adds the float64 step); a float64 th that happens to be float32-
  // representable (chance about 2^-29 per growth) would take the float32 subtraction here.
  const diff = Math.fround(h.th) === h.th ? Math.fround(newTh - h.th) : newTh - h.th;
  const extra = Math.trunc(pyFloorDiv(diff, step) + 1);
  const bins = len + extra;
  if (bins > MAX_HISTOGRAM_BINS) {
    warn?.(`the histogram would grow to ${bins} bins (> ${MAX_HISTOGRAM_BINS}): samples differ too much in range; ` +
      'the counts so far are discarded (reorder or replace the calibration samples if you can)');
    return fresh(newTh, binNum);
  }
  const th = extra * step + h.th;
  const counts = new Float64Array(bins);
  counts.set(old);
  return { counts, width: th / (bins - 1), th };
}

function fresh(th: number, bins: number): Histogram {
  return { counts: new Float64Array(bins), width: th / (bins - 1), th };
}

/** Python's / numpy's float floor division (`a // b`, the fmod-based npy_divmod). */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return a / b < 0 ? -0 : 0;
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return floor;
}
