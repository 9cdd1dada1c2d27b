// The KLD search on an over-long histogram (a first sample with a tiny range grows the histogram
// to millions of bins): halved to at most KLD_MAX_BINS bins as TPU-MLIR's newer releases do, so it
// finishes; histograms within the bound are searched exactly as before.
import { expect, test } from 'vitest';
import { boundHistogram, KLD_MAX_BINS, kldCurve, firstMinIndex, kldThreshold } from '../src/thresholds/kld.js';

const f = Math.fround;

function histogram(n: number, seed: number): Float64Array {
  const h = new Float64Array(n);
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  // a decaying bulk with sparse far outliers
  for (let j = 0; j < n; j++) h[j] = j < n / 64 ? Math.floor(1000 * Math.exp(-j / (n / 256)) * rnd()) : rnd() < 0.001 ? 1 : 0;
  return h;
}

test('within the bound: unchanged', () => {
  const h = histogram(KLD_MAX_BINS, 1);
  const b = boundHistogram(h, 0.5);
  expect(b.counts).toBe(h);
  expect(b.width).toBe(0.5);
});

test('past the bound: pairwise halving, padded to whole levels, width doubled, counts kept', () => {
  const n = 2 * KLD_MAX_BINS + 3000; // halves twice
  const h = histogram(n, 7);
  const b = boundHistogram(h, 0.001);
  expect(b.counts.length).toBeLessThanOrEqual(KLD_MAX_BINS);
  expect(b.counts.length % 128).toBe(0);
  expect(b.width).toBe(0.004);
  let total = 0;
  let kept = 0;
  for (let j = 0; j < n; j++) total += h[j]!;
  for (let j = 0; j < b.counts.length; j++) kept += b.counts[j]!;
  expect(kept).toBe(total);
  // bin j of the result holds input bins 4j .. 4j+3
  for (const j of [0, 1, 17, 5000]) expect(b.counts[j]).toBe(h[4 * j]! + h[4 * j + 1]! + h[4 * j + 2]! + h[4 * j + 3]!);
});

test('the threshold of an over-long histogram is the search on the halved one', () => {
  const h = histogram(KLD_MAX_BINS + 4096, 3);
  const b = boundHistogram(h, 0.01);
  const m = firstMinIndex(kldCurve(b.counts, 128));
  expect(kldThreshold(h, 0.01)).toBe(f(f(f(0.02) * f(m + 1)) * 128));
});
