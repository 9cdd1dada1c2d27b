import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kldThreshold } from '../src/thresholds/index.js';
import { firstMinIndex, kldCurve } from '../src/thresholds/kld.js';
import { histogram, XorShift32, type HistogramRecipe } from './fixtures/thresholds/recipes.js';

/**
 * The spec's pseudo-code (§4.1) written plainly in float64: an independent reading of the
 * algorithm to compare the float32-faithful implementation with.
 */
function referenceKld(counts: readonly number[], width: number, B: number): { index: number; threshold: number; kl: number[] } {
  const N = Math.ceil(counts.length / B) * B;
  const H = [...counts, ...new Array<number>(N - counts.length).fill(0)];
  const total = H.reduce((a, b) => a + b, 0);
  const kl: number[] = [];
  for (let i = B; i <= N; i += B) {
    // P: the first i bins, everything from bin i-1 on folded into bin i-1, over the total count.
    const P = H.slice(0, i).map((h) => h / total);
    P[i - 1] = H.slice(i - 1).reduce((a, b) => a + b, 0) / total;
    // Q: B levels of e = i/B bins; each non-empty bin gets its level's mean over non-empty bins,
    // over the in-range sum S.
    const S = H.slice(0, i).reduce((a, b) => a + b, 0);
    const e = i / B;
    const Q = new Array<number>(i).fill(0);
    for (let level = 0; level < B; level++) {
      const block = H.slice(level * e, (level + 1) * e);
      const nonEmpty = Math.max(1, block.filter((h) => h > 0).length);
      const q = block.reduce((a, b) => a + b, 0) / nonEmpty / S;
      block.forEach((h, k) => (Q[level * e + k] = h > 0 ? q : 0));
    }
    let sum = 0;
    for (let j = 0; j < i; j++) sum += P[j] * (Math.log10(P[j] + 1e-30) - Math.log10(Q[j] + 1e-30));
    kl.push(sum);
  }
  let index = 0;
  kl.forEach((v, m) => {
    if (v < kl[index]) index = m;
  });
  return { index, threshold: width * (index + 1) * B, kl };
}

function randomHistogram(rng: XorShift32): number[] {
  const kinds = ['gauss', 'square', 'uniform'] as const;
  const n = 128 + (rng.next() % 3000);
  const recipe: HistogramRecipe = {
    kind: kinds[rng.next() % kinds.length],
    n,
    seed: rng.next(),
    m: 200 + (rng.next() % 40000),
    k: 20 + (rng.next() % (2 * n)),
    outlierEvery: rng.next() % 3 === 0 ? 0 : 50 + (rng.next() % 5000),
  };
  const counts = histogram(recipe);
  // Sometimes empty a few runs of bins (ReLU-like gaps, quantised inputs).
  if (rng.next() % 2 === 0) {
    for (let g = 0; g < 5; g++) {
      const start = rng.next() % n;
      counts.fill(0, start, Math.min(n, start + (rng.next() % 50)));
    }
  }
  return counts;
}

describe('kldThreshold agrees with a plain float64 reading of the spec', () => {
  for (const B of [128, 8]) {
    test(`random histograms, dstBins ${B}`, () => {
      const rng = new XorShift32(B === 128 ? 2024 : 77);
      const cases = B === 128 ? 150 : 25;
      let nearTies = 0;
      for (let c = 0; c < cases; c++) {
        const counts = randomHistogram(rng);
        const width = Math.fround(0.5 + rng.uniform()) / 1000;
        const ref = referenceKld(counts, width, B);
        const kl = kldCurve(counts, B);
        const index = firstMinIndex(kl);
        if (index !== ref.index) {
          // float32 accumulation may only swap candidates whose float64 KL are within rounding.
          const gap = Math.abs(ref.kl[index] - ref.kl[ref.index]);
          expect(gap, `case ${c}: picked ${index}, reference ${ref.index}`).toBeLessThanOrEqual(1e-6 * Math.abs(ref.kl[ref.index]) + 1e-9);
          nearTies++;
          continue;
        }
        const th = kldThreshold(counts, width, B);
        expect(Math.abs(th - ref.threshold)).toBeLessThanOrEqual(1e-6 * ref.threshold);
        // The float32 KL curve stays close to the float64 one.
        kl.forEach((v, m) => expect(Math.abs(v - ref.kl[m])).toBeLessThanOrEqual(1e-4 * Math.abs(ref.kl[m]) + 1e-6));
      }
      expect(nearTies).toBeLessThanOrEqual(Math.ceil(cases * 0.02));
    });
  }
});

interface FixtureCase {
  name: string;
  recipe: HistogramRecipe;
  width: number;
  dstBins: number;
  countSum: number;
  countMoment: number;
  index: number;
  threshold: number;
  kl: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/thresholds/kld_cases.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };

describe('kldThreshold equals the float32 numpy re-statement of calibration_math.cpp (gen_kld.py)', () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const counts = histogram(c.recipe);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(c.countSum);
      expect(counts.reduce((a, b, j) => a + b * j, 0)).toBe(c.countMoment);
      const kl = kldCurve(counts, c.dstBins);
      expect(firstMinIndex(kl)).toBe(c.index);
      expect(kldThreshold(counts, c.width, c.dstBins)).toBe(c.threshold);
      // Every candidate's float32 KL, not just the winner, is bit-identical.
      expect(Array.from(kl)).toEqual(c.kl);
    });
  }
});

describe('kldThreshold: cases with a known answer', () => {
  const width = Math.fround(0.001);

  test('all mass in one bin: the first candidate that contains it', () => {
    const counts = new Array<number>(2048).fill(0);
    counts[700] = 1000;
    // Candidates below 768 bins fold the mass into an empty last bin (Q = 0): huge KL. From 768 on
    // P = Q exactly (KL 0) and the first minimum wins.
    expect(kldThreshold(counts, width)).toBe(Math.fround(Math.fround(width * 6) * 128));
    counts[700] = 0;
    counts[100] = 5;
    expect(kldThreshold(counts, width)).toBe(Math.fround(width * 128));
  });

  test('a uniform histogram keeps the full range', () => {
    const counts = new Array<number>(2048).fill(37);
    expect(kldThreshold(counts, width)).toBe(Math.fround(width * 2048));
    expect(kldThreshold(counts, width, 8)).toBe(Math.fround(width * 2048));
  });

  test('a bell with a few far outliers is clipped well inside the range', () => {
    const counts = histogram({ kind: 'gauss', n: 2048, seed: 11, m: 20000, k: 300, outlierEvery: 2000 });
    let last = 0;
    counts.forEach((c, j) => c > 0 && (last = j));
    expect(last).toBeGreaterThan(1792); // outliers sit in the top eighth
    const th = kldThreshold(counts, width);
    expect(th).toBeLessThan(0.3 * width * 2048);
    expect(th).toBeGreaterThanOrEqual(width * 384); // but not inside the bell (|g| ≤ 2 → bins < 600)
  });

  test('length not a multiple of dstBins is zero-padded: the threshold may pass the last bin', () => {
    const counts = new Array<number>(130).fill(1);
    // Padded to 256; candidate 128 folds 3 bins into its last; candidate 256 keeps everything.
    expect(kldThreshold(counts, 1)).toBe(256);
  });

  test('an empty histogram gives the first candidate (NaN KL never wins), and bad dstBins throw', () => {
    expect(kldThreshold(new Array<number>(2048).fill(0), width)).toBe(Math.fround(width * 128));
    expect(kldThreshold([], width, 8)).toBe(Math.fround(width * 8));
    expect(() => kldThreshold([1, 2, 3], width, 16)).toThrow(/128 or 8/);
  });
});
