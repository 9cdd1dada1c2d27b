// Per-sample OCTAV (spec §4.3), ACIQ (§4.4) and kurtosis against numpy (fixtures/stats/gen_stats.py,
// which sums in float32 as TPU-MLIR did; we sum in float64, hence the tolerance).
import { describe, expect, test } from 'vitest';
import { aciqGauss, aciqLaplace, octavThreshold, percentileLevel, tailLength, percentileRatio, interpolateTail } from '../src/stats/index.js';
import { kurtosisOf } from '../src/stats/methods.js';
import { cases, sample } from './fixtures/stats/samples.js';

const close = (got: number, want: number, rel = 2e-6) => {
  if (want === Infinity || want === 0) expect(got).toBe(want);
  else expect(Math.abs(got - want) / Math.abs(want), `${got} vs ${want}`).toBeLessThan(rel);
};

function facts(x: Float32Array) {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of x) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const mean = Math.fround(sum / x.length);
  let absDev = 0, m2 = 0, m4 = 0;
  for (const v of x) {
    const d = v - mean;
    absDev += Math.abs(d);
    m2 += d * d;
    m4 += d ** 4;
  }
  return { min, max, absDev, m2, m4 };
}

describe('OCTAV', () => {
  test('a hand-checked case: min 0 (u = 4), one step then convergence keeps s1', () => {
    // s0 = 13/4; only 10 exceeds it: s1 = 10 / (c*4 + 1), c = 4^-8/3/4; s2 = s1 -> stop, keep s1
    const s = octavThreshold(new Float32Array([0, 1, 1, 1, 10]), new Float32Array(5));
    expect(s).toBe(10 / ((1 / 65536 / 3 / 4) * 4 + 1));
  });

  test('signed data (u = 1) and B = 4', () => {
    const x = new Float32Array([-3, 1, 1, 1, 10]);
    // s0 = 16/5 = 3.2; 10 exceeds: s1 = 10 / (c*4 + 1) with c = 4^-4/3
    expect(octavThreshold(x, new Float32Array(5), 4)).toBe(10 / ((1 / 256 / 3) * 4 + 1));
  });

  test('all zeros give 0', () => {
    expect(octavThreshold(new Float32Array(8), new Float32Array(8))).toBe(0);
  });

  test.each(cases.perSample.map((c) => [`${c.gen.kind} n=${c.gen.n}`, c] as const))('matches numpy: %s', (_, c) => {
    const x = sample(c.gen);
    const scratch = new Float32Array(x.length);
    close(octavThreshold(x, scratch, 8), c.octav8);
    close(octavThreshold(x, scratch, 4), c.octav4);
  });
});

describe('ACIQ and kurtosis', () => {
  test.each(cases.perSample.map((c) => [`${c.gen.kind} n=${c.gen.n}`, c] as const))('match numpy: %s', (_, c) => {
    const x = sample(c.gen);
    const f = facts(x);
    close(aciqGauss(f.min, f.max, x.length), c.aciqGauss, 1e-12);
    close(aciqGauss(f.min, f.max, x.length, 4), c.aciqGauss4, 1e-12);
    close(aciqLaplace(f.absDev / x.length), c.aciqLaplace);
    close(aciqLaplace(f.absDev / x.length, 4), c.aciqLaplace4);
    close(kurtosisOf(x.length, f.m2, f.m4), c.kurtosis, 1e-5);
  });

  test('gauss: α·(max - min)·c/sqrt(2 ln N), the range in float32', () => {
    const c = 0.5 * 0.35 * (1 + Math.sqrt(Math.PI * Math.log(4)));
    expect(aciqGauss(-1, 3, 100)).toBe(3.92403337 * ((4 * c) / Math.sqrt(2 * Math.log(100))));
    expect(aciqGauss(0.1, 0.3, 100)).toBe(3.92403337 * ((Math.fround(0.3 - 0.1) * c) / Math.sqrt(2 * Math.log(100))));
  });
});

describe('percentile levels', () => {
  test('level, tail length and position', () => {
    expect(percentileLevel(0, 10)).toBe(99.99);
    expect(percentileLevel(10, 10)).toBeCloseTo(99.999999, 10);
    // 3 * 20000 * 1e-4 = 6 (a hair over, as 1 - 99.99/100 is) -> k = 7
    expect(tailLength(3, 20000, 99.99)).toBe(7);
    expect(tailLength(1, 100, 99.99)).toBe(1);
    const r = percentileRatio(3, 20000, 99.99);
    expect(r).toBeCloseTo((0.9999 * 59999) % 1, 6);
  });

  test('interpolation: r0 + ratio * float32(r1 - r0), r0 alone when k = 1', () => {
    expect(interpolateTail(2, 3, 0.25, 5)).toBe(2.25);
    expect(interpolateTail(0.1, 0.3, 0.5, 5)).toBe(0.1 + 0.5 * Math.fround(0.3 - 0.1));
    expect(interpolateTail(2, 3, 0.25, 1)).toBe(2);
  });
});
