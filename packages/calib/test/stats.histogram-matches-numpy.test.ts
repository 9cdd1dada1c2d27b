// The growing |x| histogram (spec §3.3) bin for bin against numpy (fixtures/stats/gen_stats.py),
// and the float tricks its loop relies on.
import { describe, expect, test } from 'vitest';
import { combineHistogram, histogramOf, MAX_HISTOGRAM_BINS, type Histogram } from '../src/stats/index.js';
import { pyFloorDiv } from '../src/stats/histogram.js';
import { cases, sample, sparse } from './fixtures/stats/samples.js';

describe('histogramOf matches numpy', () => {
  test.each(cases.histogram.map((c) => [`${c.gen.kind} n=${c.gen.n} bins=${c.bins}`, c] as const))('%s', (_, c) => {
    const counts = histogramOf(sample(c.gen), c.th, c.bins);
    expect(counts.length).toBe(c.bins);
    expect(sparse(counts)).toEqual(c.counts);
  });

  test('zeros are not counted; all zeros give an empty histogram', () => {
    expect(sparse(histogramOf(new Float32Array([0, -0, 0, 1]), 1, 8))).toEqual([[7, 1]]);
    expect(sparse(histogramOf(new Float32Array(10), 0, 8))).toEqual([]);
  });

  test('values past the last bin are dropped, the rest rounds half up', () => {
    // width 1: 0.49 -> 0, 0.5 -> 1, 2.5 -> 3, 3.49 -> 3, 3.5 and 7 -> dropped
    const counts = histogramOf(new Float32Array([0.49, -0.5, 2.5, 3.49, 3.5, -7]), 3, 4);
    expect([...counts]).toEqual([1, 1, 0, 2]);
  });
});

function combineAll(gens: (typeof cases.combine)[number]['gens'], binNum: number, warnings: string[]) {
  let h: Histogram | undefined;
  let min = Infinity;
  let max = -Infinity;
  const steps: { th: number; width: number; bins: number; total: number }[] = [];
  for (const g of gens) {
    const x = sample(g);
    for (const v of x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const th = Math.max(Math.abs(min), Math.abs(max));
    h = h === undefined
      ? { counts: histogramOf(x, th, binNum), width: th / (binNum - 1), th }
      : combineHistogram(h, x, th, binNum, (m) => warnings.push(m));
    steps.push({ th: h.th, width: h.width, bins: h.counts.length, total: h.counts.reduce((a, b) => a + b, 0) });
  }
  return { h: h!, steps };
}

describe('combineHistogram matches numpy', () => {
  test.each(cases.combine.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const warnings: string[] = [];
    const { h, steps } = combineAll(c.gens, c.binNum, warnings);
    expect(steps).toEqual(c.steps);
    expect(sparse(h.counts)).toEqual(c.counts);
    expect(warnings.length).toBe(c.events.length);
  });

  test('the 8,000,000-bin reset warns and restarts from the sample', () => {
    const c = cases.combine.find((x) => x.name === '8M reset')!;
    const warnings: string[] = [];
    const { steps } = combineAll(c.gens.slice(0, 2), c.binNum, warnings);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/8000000/);
    expect(steps[1]!.bins).toBe(c.binNum);
    expect(steps[1]!.total).toBe(300); // the first sample's counts are gone
    expect(MAX_HISTOGRAM_BINS).toBe(8_000_000);
  });

  test('does not modify its input; no growth keeps th, width and length', () => {
    const x = new Float32Array([1, -2, 3]);
    const h = { counts: histogramOf(x, 3, 16), width: 3 / 15, th: 3 };
    const before = [...h.counts];
    const same = combineHistogram(h, new Float32Array([0.5, -2.9]), 3, 16);
    expect([...h.counts]).toEqual(before);
    expect(same.th).toBe(3);
    expect(same.width).toBe(3 / 15);
    expect(same.counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  test('growth: step th/len, old bins kept by index, th becomes float64', () => {
    const h = { counts: histogramOf(new Float32Array([1]), 1, 4), width: 1 / 3, th: 1 };
    // step = 1/4, extra = int((2 - 1) // 0.25 + 1) = 5, th' = 5 * 0.25 + 1 = 2.25, 9 bins
    const g = combineHistogram(h, new Float32Array([2]), 2, 4);
    expect(g.counts.length).toBe(9);
    expect(g.th).toBe(2.25);
    expect(g.width).toBe(2.25 / 8);
    // 1 stays in old bin 3; 2 / fround(0.28125) = 7.11 -> bin 7
    expect(sparse(g.counts)).toEqual([[3, 1], [7, 1]]);
  });

  test('a first sample of zeros (th = 0) starts afresh instead of failing', () => {
    const h = { counts: histogramOf(new Float32Array(4), 0, 8), width: 0, th: 0 };
    const g = combineHistogram(h, new Float32Array([0, 7]), 7, 8);
    expect(g.th).toBe(7);
    expect(g.counts.length).toBe(8);
    expect(sparse(g.counts)).toEqual([[7, 1]]);
  });
});

describe('float details', () => {
  test('pyFloorDiv is Python\'s // on floats', () => {
    expect(pyFloorDiv(7, 2)).toBe(3);
    expect(pyFloorDiv(-7, 2)).toBe(-4);
    expect(pyFloorDiv(1, 0.1)).toBe(9); // Python: 1 // 0.1 == 9.0
    expect(pyFloorDiv(0.3, 0.1)).toBe(2); // 0.3 // 0.1 == 2.0
    expect(pyFloorDiv(5e-324, 1)).toBe(0);
  });

  test('fround(a * (1 / w)) is the float32 quotient fround(a / w)', () => {
    const f = Math.fround;
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const bits = new Uint32Array(1);
    const fl = new Float32Array(bits.buffer);
    const randomF32 = () => {
      bits[0] = (rnd() * 2 ** 31) >>> 0; // any finite positive float32 (and some inf/nan, skipped)
      return fl[0]!;
    };
    let checked = 0;
    for (let i = 0; i < 200_000; i++) {
      const a = i % 2 ? randomF32() : f(rnd() * 100);
      const w = i % 3 ? f(rnd() * 0.01 + 1e-7) : randomF32();
      if (!Number.isFinite(a) || !Number.isFinite(w) || w === 0) continue;
      const q = f(a * (1 / w));
      if (q !== f(a / w)) throw new Error(`a=${a} w=${w}: ${q} vs ${f(a / w)}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(100_000);
  });

  test('floor(q + 0.5 + 2^-25) is floor(fround(q + 0.5)) for float32 q', () => {
    const f = Math.fround;
    const HALF = 0.5 + 2 ** -25;
    const qs = [f(0.5 - 2 ** -25), f(0.5 - 2 ** -24), 0.5, f(1.5 - 2 ** -23), 2 ** 22 - 0.5, f(2 ** 23 - 1)];
    for (let m = 1; m < 5000; m++) for (const d of [-2, -1, 0, 1, 2]) {
      const c = m - 0.5;
      const ulp = 2 ** (Math.floor(Math.log2(c)) - 23);
      qs.push(f(c + d * ulp));
    }
    expect(qs.filter((q) => Math.floor(q + HALF) !== Math.floor(f(q + 0.5)))).toEqual([]);
    expect(Math.floor(f(f(0.5 - 2 ** -25) + 0.5))).toBe(1); // the one case where float32 rounds up
  });
});
