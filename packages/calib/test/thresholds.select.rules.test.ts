import { describe, expect, test } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { computeThresholds, kldThreshold, TorchHistogramObserver, torchObserverRow } from '../src/thresholds/index.js';
import type { CaliMethod, TensorSummary } from '../src/stats/types.js';
import { histogram, sample } from './fixtures/thresholds/recipes.js';

interface Spec {
  opType?: string;
  isInput?: boolean;
  min?: number;
  max?: number;
  counts?: number[];
  width?: number;
  maxAbs?: number;
  pctMin?: number;
  pctMax?: number;
  octav?: number;
  aciqGauss?: number;
  aciqLaplace?: number;
  last5?: number;
}

/** A hand-built summary; fields a test does not set hold values no rule should pick. */
function summary(name: string, s: Spec, opIndex = 0): TensorSummary {
  const min = s.min ?? -2;
  const max = s.max ?? 4;
  const counts = s.counts ?? new Array<number>(2048).fill(0);
  const absmax = Math.max(Math.abs(min), Math.abs(max));
  return {
    info: { name, opIndex, opCount: 10, opType: s.opType ?? 'top.Add', isInput: s.isInput ?? false, size: 100 },
    samples: 3,
    min,
    max,
    hist: { counts: Float64Array.from(counts), width: s.width ?? absmax / (counts.length - 1), th: absmax },
    maxAbs: s.maxAbs ?? absmax,
    pctMin: s.pctMin ?? -1.5,
    pctMax: s.pctMax ?? 3.5,
    octav: s.octav ?? 1.25,
    aciqGauss: s.aciqGauss ?? 2.5,
    aciqLaplace: s.aciqLaplace ?? 3.25,
    kurtosis: 3,
    ...(s.last5 === undefined ? {} : { last5: s.last5 }),
  };
}

const row = (name: string, threshold: number, min: number, max: number) => ({ name, threshold, min, max });
const bell = histogram({ kind: 'gauss', n: 2048, seed: 11, m: 20000, k: 300, outlierEvery: 2000 });

describe('per-method thresholds (spec §4.1–4.5)', () => {
  test('kl: the KLD threshold, clipped at absmax; min/max as observed; tuned up to absmax', () => {
    const width = 4 / 2047;
    const clipped = summary('bell', { counts: bell, width });
    const kld = kldThreshold(bell, width);
    expect(kld).toBeLessThan(2); // the outliers are cut off
    // A flat histogram keeps the full padded range, width·2048 > absmax: clipped to absmax.
    const flat = summary('flat', { counts: new Array<number>(2048).fill(9), width, min: -1, max: 4 });
    const r = computeThresholds([clipped, flat], 'kl');
    expect(r.rows).toEqual([row('bell', kld, -2, 4), row('flat', 4, -1, 4)]);
    expect([...r.tuneAbsmax]).toEqual([['bell', 4], ['flat', 4]]);
    expect(r.warnings).toEqual([]);
    expect(r.int4Rows).toBeUndefined();
  });

  test('max: the running max |x|', () => {
    const r = computeThresholds([summary('a', { min: -3, max: 1, maxAbs: 3 })], 'max');
    expect(r.rows).toEqual([row('a', 3, -3, 1)]);
    expect(r.tuneAbsmax.get('a')).toBe(3);
  });

  test('percentile9999: max(|v_min|,|v_max|), and v_min/v_max become the row min/max', () => {
    const r = computeThresholds([summary('a', { min: -9, max: 9, pctMin: -2.5, pctMax: 1.5 })], 'percentile9999');
    expect(r.rows).toEqual([row('a', 2.5, -2.5, 1.5)]);
    expect(r.tuneAbsmax.get('a')).toBe(2.5);
  });

  test('mse: the Octav mean clipped at absmax; tuned up to that same value', () => {
    const r = computeThresholds([summary('in', { octav: 1.25 }), summary('big', { octav: 7 })], 'mse');
    expect(r.rows).toEqual([row('in', 1.25, -2, 4), row('big', 4, -2, 4)]);
    expect(r.tuneAbsmax.get('in')).toBe(1.25);
  });

  test('aciq: the ACIQ mean clipped at absmax, but tuned up to the true absmax', () => {
    const g = computeThresholds([summary('a', { aciqGauss: 2.5 }), summary('b', { aciqGauss: 9 })], 'aciq_gauss');
    expect(g.rows).toEqual([row('a', 2.5, -2, 4), row('b', 4, -2, 4)]);
    expect(g.tuneAbsmax.get('a')).toBe(4);
    const l = computeThresholds([summary('a', { aciqLaplace: 3.25 })], 'aciq_laplace');
    expect(l.rows).toEqual([row('a', 3.25, -2, 4)]);
    expect(l.tuneAbsmax.get('a')).toBe(4);
  });

  test('mse/aciq: network inputs take absmax instead of the method value', () => {
    for (const method of ['mse', 'aciq_gauss', 'aciq_laplace'] as CaliMethod[]) {
      const r = computeThresholds([summary('img', { isInput: true, opType: 'top.Input', min: -1, max: 3 }), summary('x', {})], method);
      expect(r.rows[0]).toEqual(row('img', 3, -1, 3));
      expect(r.rows[1].threshold).toBeLessThan(4);
    }
    // Other methods do not treat inputs specially.
    expect(computeThresholds([summary('img', { isInput: true, maxAbs: 3, pctMin: -1, pctMax: 2 })], 'percentile9999').rows[0].threshold).toBe(2);
  });
});

describe('thresholds_out: the trailing tensors that fall back to their percentile value under mse/aciq', () => {
  // last5 equals absmax (4) exactly when the tail holds a single value.
  const chain = (types: string[], last5: (number | undefined)[]) =>
    types.map((opType, i) => summary(`t${i}`, { opType, octav: 1, last5: last5[i] }, i));

  test('walks back from the end and stops after the last Conv/MatMul', () => {
    const s = chain(['top.Conv', 'top.Relu', 'top.Conv', 'top.Reshape', 'top.Softmax'], [4, 4, 4, 4, 4]);
    const r = computeThresholds(s, 'mse');
    expect(r.rows.map((x) => x.threshold)).toEqual([1, 1, 4, 4, 4]);
  });

  test('stops at the first tensor whose last5 differs from absmax', () => {
    const s = chain(['top.Add', 'top.Add', 'top.Add', 'top.Reshape', 'top.Softmax'], [4, 4, 4, 3.5, 4]);
    expect(computeThresholds(s, 'aciq_gauss').rows.map((x) => x.threshold)).toEqual([2.5, 2.5, 2.5, 2.5, 4]);
    const t = chain(['top.Add', 'top.Add'], [4, 3.999]);
    expect(computeThresholds(t, 'mse').rows.map((x) => x.threshold)).toEqual([1, 1]);
  });

  test('looks at five tensors at most, and a tensor without last5 ends the walk', () => {
    const six = chain(['top.Add', 'top.Add', 'top.Add', 'top.Add', 'top.Add', 'top.Add'], [4, 4, 4, 4, 4, 4]);
    six[0] = summary('t0', { octav: 1 }); // beyond the last five: would not have last5 at all
    expect(computeThresholds(six, 'mse').rows.map((x) => x.threshold)).toEqual([1, 4, 4, 4, 4, 4]);
    const gap = chain(['top.Add', 'top.Add', 'top.Add'], [4, undefined, 4]);
    expect(computeThresholds(gap, 'mse').rows.map((x) => x.threshold)).toEqual([1, 1, 4]);
  });

  test('a last tensor that is a MatMul is taken (and ends the walk)', () => {
    const s = [summary('a', { octav: 1, last5: 4, opType: 'top.MatMul' })];
    expect(computeThresholds(s, 'mse').rows).toEqual([row('a', 4, -2, 4)]);
  });

  test('kl, max and percentile ignore it', () => {
    const s = chain(['top.Add', 'top.Softmax'], [4, 4]);
    expect(computeThresholds(s, 'percentile9999').rows.map((x) => x.threshold)).toEqual([3.5, 3.5]);
    // An empty histogram: KLD picks the first candidate, 128 bins of width 4/2047.
    expect(computeThresholds(s, 'kl').rows.map((x) => x.threshold)).toEqual([0.25, 0.25].map((v) => Math.fround(Math.fround(4 / 2047) * 128)));
  });
});

describe('all-zero tensors (spec §3.4)', () => {
  const warning = (name: string) => `WARNING: layer ${name} is all zeros. Please check the input data correctness.`;

  test('absmax ≤ 1e-5 becomes the range ±1e-5 (0 below when min ≥ 0), threshold 1e-5, with a warning', () => {
    const s = [summary('neg', { min: -1e-6, max: 5e-6 }), summary('pos', { min: 0, max: 1e-5 }), summary('ok', { min: -1, max: 2e-5 })];
    const r = computeThresholds(s, 'max');
    expect(r.rows).toEqual([row('neg', 1e-5, -1e-5, 1e-5), row('pos', 1e-5, 0, 1e-5), row('ok', 1, -1, 2e-5)]);
    expect(r.warnings).toEqual([warning('neg'), warning('pos')]);
    expect(r.tuneAbsmax.get('neg')).toBe(1e-5);
  });

  test('the test is on the method value: a tiny Octav threshold triggers it too', () => {
    const r = computeThresholds([summary('a', { octav: 1e-6 })], 'mse');
    expect(r.rows).toEqual([row('a', 1e-5, -1e-5, 1e-5)]);
    expect(r.warnings).toEqual([warning('a')]);
  });

  test('percentile checks the percentile range', () => {
    const r = computeThresholds([summary('a', { min: -3, max: 3, pctMin: 0, pctMax: 4e-6 })], 'percentile9999');
    expect(r.rows).toEqual([row('a', 1e-5, 0, 1e-5)]);
  });

  test('kl: an empty histogram (width 0) gets 1e-5, not the 0 KLD gives', () => {
    const r = computeThresholds([summary('z', { min: 0, max: 0, width: 0 })], 'kl');
    expect(r.rows).toEqual([row('z', 1e-5, 0, 1e-5)]);
    expect(r.warnings).toEqual([warning('z')]);
  });

  test('kl: a tiny non-zero tensor keeps its KLD threshold below 1e-5', () => {
    const counts = new Array<number>(2048).fill(0);
    counts[100] = 50;
    const width = Math.fround(4e-6 / 2047);
    const r = computeThresholds([summary('t', { min: -4e-6, max: 1e-6, counts, width })], 'kl');
    expect(r.rows[0]).toEqual(row('t', kldThreshold(counts, width), -1e-5, 1e-5));
    expect(r.rows[0].threshold).toBeLessThan(1e-5);
  });
});

describe('int4 rows', () => {
  test('kl: KLD with 8 levels on the histogram padded for int8, rows th, -th·8/7, th', () => {
    // Steps of 32 equal bins: only levels 32 bins wide reproduce them exactly (KL 0), and those
    // exist only when the 130 bins are padded to 256, not to 136.
    const counts = Array.from({ length: 130 }, (_, j) => [5, 7, 2, 9, 4][Math.floor(j / 32)]);
    const width = 0.01;
    const padded = [...counts, ...new Array<number>(126).fill(0)];
    const th4 = kldThreshold(padded, width, 8);
    expect(th4).toBe(Math.fround(width * 256));
    expect(kldThreshold(counts, width, 8)).toBeLessThan(th4); // what padding to 136 would give
    const r = computeThresholds([summary('a', { counts, width, min: -10, max: 10 })], 'kl', { int4: true });
    expect(r.rows[0].threshold).toBe(kldThreshold(counts, width));
    expect(r.int4Rows).toEqual([row('a', th4, (-th4 * 8) / 7, th4)]);
  });

  test('kl: int4 is clipped only when the int8 value was, and then to absmax', () => {
    const flat = new Array<number>(2048).fill(9);
    const width = 4 / 2047; // int8 KLD = width·2048 > absmax 4
    const r = computeThresholds([summary('a', { counts: flat, width })], 'kl', { int4: true });
    expect(r.rows[0].threshold).toBe(4);
    expect(r.int4Rows?.[0]).toEqual(row('a', 4, -32 / 7, 4));
  });

  test('other methods repeat their threshold', () => {
    const r = computeThresholds([summary('img', { isInput: true }), summary('x', {})], 'mse', { int4: true });
    expect(r.int4Rows).toEqual([row('img', 4, -32 / 7, 4), row('x', 1.25, (-1.25 * 8) / 7, 1.25)]);
  });
});

describe('torch_observer (spec §4.7)', () => {
  const observed = (name: string, seed: number): TensorSummary => {
    const o = new TorchHistogramObserver(256);
    o.add(sample({ kind: 'gauss', seed, n: 1000, scale: 2, shift: 0.5 }));
    return { ...summary(name, {}), torchObserver: o.state() };
  };

  test('rows come from the observer\'s scale and zero point; tuned up to the threshold', () => {
    const s = [observed('a', 1), observed('b', 2)];
    const r = computeThresholds(s, 'torch_observer');
    const expected = s.map((x) => torchObserverRow(x.info.name, TorchHistogramObserver.fromState(x.torchObserver!).qparams()));
    expect(r.rows).toEqual(expected);
    expect(r.rows[0].threshold).toBeGreaterThan(0.5);
    expect(r.rows[0].min).not.toBe(-2); // not the observed min
    expect(r.tuneAbsmax.get('b')).toBe(expected[1].threshold);
  });

  test('int4 is refused; a summary without observer state is a bug', () => {
    expect(() => computeThresholds([observed('a', 1)], 'torch_observer', { int4: true })).toThrow(UserError);
    expect(() => computeThresholds([summary('a', {})], 'torch_observer')).toThrow(/no torch observer state/);
  });
});
