// KL-divergence threshold search (spec §4.1), bit-faithful to TPU-MLIR's
// `bindings/kld/calibration_math.cpp::kl_diversity_hist` as called by `find_threshold`.
//
// The C code keeps every accumulator in `float`; each KL term is computed in double and then added
// into the float accumulator. `f` (Math.fround) marks every place where C rounds to float, so the
// chosen candidate — and therefore the threshold — comes out identical.

const f = Math.fround;

/**
 * KL divergence of every clipping candidate i = B, 2B, …, N (N = histogram length padded with
 * zero bins to a multiple of B), as the float32 values the C code compares.
 *
 * For candidate i: P = the first i bins with everything from bin i-1 on folded into bin i-1,
 * normalised by the total count; Q = the first i bins merged into B levels of i/B bins, each
 * non-empty bin of a level getting the level's mean over its non-empty bins, normalised by the
 * in-range sum S = Σ_{j<i} H[j]; KL = Σ_{j<i} P[j]·(log10(P[j]+1e-30) − log10(Q[j]+1e-30)).
 */
export function kldCurve(counts: ArrayLike<number>, dstBins = 128): Float32Array {
  const B = dstBins;
  if (B !== 128 && B !== 8) throw new Error(`kldCurve: dstBins must be 128 or 8 (got ${B})`);
  // Python pads to a multiple of B; an empty histogram would leave the C code with no candidate
  // (undefined behaviour there), so pad it to one level of empty bins instead.
  const n = Math.max(B, Math.ceil(counts.length / B) * B);
  const hf = new Float32Array(n); // (float)hist[j]
  let count = 0; // long long
  for (let j = 0; j < counts.length; j++) {
    hf[j] = counts[j];
    count += counts[j];
  }
  const countF = f(count);

  // P[j] for j < i-1 is hist[j]/count whatever the candidate, and so is its log.
  const p = new Float32Array(n);
  const logP = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    p[j] = f(hf[j] / countF);
    logP[j] = Math.log10(p[j] + 1e-30);
  }

  const candidates = n / B;
  const kl = new Float32Array(candidates);
  const levelBase = new Float32Array(B);
  const levelLog = new Float64Array(B);
  for (let m = 0; m < candidates; m++) {
    const i = (m + 1) * B;

    // Outliers folded into bin i-1: float sum of hist[i-1 .. N-1], in that order.
    let fold = 0;
    for (let j = i - 1; j < n; j++) fold = f(fold + hf[j]);
    const pLast = f(fold / countF);

    // In-range sum S, then each level's Q value.
    let s = 0;
    for (let j = 0; j < i; j++) s = f(s + hf[j]);
    const e = i / B;
    for (let l = 0; l < B; l++) {
      let sumBin = 0;
      let positive = 0;
      for (let j = l * e; j < (l + 1) * e; j++) {
        sumBin = f(sumBin + hf[j]);
        if (hf[j] > 0) positive++;
      }
      if (positive === 0) positive = 1;
      levelBase[l] = f(f(sumBin / positive) / s);
      levelLog[l] = Math.log10(levelBase[l] + 1e-30);
    }

    // Bins with P = 0 add 0·(finite) = 0 to the sum, so skipping them changes nothing.
    let acc = 0;
    for (let j = 0; j < i; j++) {
      const pj = j === i - 1 ? pLast : p[j];
      if (pj === 0) continue;
      const lp = j === i - 1 ? Math.log10(pLast + 1e-30) : logP[j];
      const lq = hf[j] !== 0 ? levelLog[Math.floor(j / e)] : Math.log10(1e-30);
      acc = f(acc + pj * (lp - lq));
    }
    kl[m] = acc;
  }
  return kl;
}

/** Index of the first strict minimum (`the_min_index`: NaN entries never win). */
export function firstMinIndex(values: ArrayLike<number>): number {
  let best = values[0];
  let index = 0;
  for (let i = 1; i < values.length; i++) {
    if (best > values[i]) {
      best = values[i];
      index = i;
    }
  }
  return index;
}

/**
 * Most bins the KLD search takes. TPU-MLIR's [S] release searches whatever the growing histogram
 * reached (up to 8,000,000 bins: O(N²/B), hours for one tensor); newer releases halve the resolution
 * until it fits this bound (spec §4.1), which we follow: a histogram this long only arises when the
 * first sample's range was tiny next to later ones, and it keeps the search bounded.
 */
export const KLD_MAX_BINS = 64 * 2048;

/**
 * `counts` padded to a multiple of `dstBins`, then halved (pairwise bin sums, padded again, width
 * doubled) while longer than {@link KLD_MAX_BINS}. Shorter histograms come back unchanged.
 */
export function boundHistogram(counts: ArrayLike<number>, width: number, dstBins = 128): { counts: ArrayLike<number>; width: number } {
  let h = counts;
  let w = width;
  let n = Math.ceil(h.length / dstBins) * dstBins;
  while (n > KLD_MAX_BINS) {
    const half = n / 2;
    const next = new Float64Array(Math.ceil(half / dstBins) * dstBins);
    for (let j = 0; j < half; j++) next[j] = (h[2 * j] ?? 0) + (h[2 * j + 1] ?? 0);
    h = next;
    w *= 2;
    n = next.length;
  }
  return { counts: h, width: w };
}

/**
 * KLD threshold of a |x| histogram with bin width `width`: `width·(m*+1)·B` evaluated in float32
 * left to right, m* = first minimum of {@link kldCurve}. `dstBins` is 128 for int8 and 8 for the
 * int4 table. Not clipped here: the caller clips at absmax (spec §4.6). Histograms longer than
 * {@link KLD_MAX_BINS} are first halved ({@link boundHistogram}).
 *
 * Cost is O(N²/B) for N bins (as in TPU-MLIR, which starts one thread per candidate).
 */
export function kldThreshold(counts: ArrayLike<number>, width: number, dstBins = 128): number {
  const bounded = boundHistogram(counts, width, dstBins);
  const m = firstMinIndex(kldCurve(bounded.counts, dstBins));
  return f(f(f(bounded.width) * f(m + 1)) * dstBins);
}
