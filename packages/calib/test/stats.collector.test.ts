// StatsCollector: every statistic of spec §3 in one pass, per tensor, over samples whose ranges
// differ (the histogram grows), with all-zero tensors and the bookkeeping rules of add().
import { describe, expect, test } from 'vitest';
import { aciqGauss, aciqLaplace, octavThreshold, StatsCollector, type TensorInfo } from '../src/stats/index.js';
import { cases, sample, sparse } from './fixtures/stats/samples.js';

const info = (name: string, size: number, opIndex = 0, opCount = 1): TensorInfo =>
  ({ name, opIndex, opCount, opType: 'top.Conv', isInput: false, size });

function feed(col: StatsCollector, name: string, xs: Float32Array[]) {
  for (const x of xs) {
    col.add(name, x);
    col.endSample();
  }
}

describe('StatsCollector', () => {
  test.each(cases.combine.map((c) => [c.name, c] as const))('histogram, min/max over samples match numpy: %s', (_, c) => {
    const xs = c.gens.map(sample);
    const warnings: string[] = [];
    const col = new StatsCollector([info('t', xs[0]!.length)], { inputNum: xs.length, binNum: c.binNum, warn: (m) => warnings.push(m) });
    feed(col, 't', xs);
    const [s] = col.summarize();
    const last = c.steps[c.steps.length - 1]!;
    expect(s!.samples).toBe(xs.length);
    expect(s!.hist.th).toBe(last.th);
    expect(s!.hist.width).toBe(last.width);
    expect(sparse(s!.hist.counts)).toEqual(c.counts);
    expect(warnings.length).toBe(c.events.length);
    if (warnings.length) expect(warnings[0]).toMatch(/^t: /);
    const all = xs.flatMap((x) => [...x]);
    expect(s!.min).toBe(Math.min(...all));
    expect(s!.max).toBe(Math.max(...all));
    expect(s!.maxAbs).toBe(Math.max(...all.map(Math.abs)));
  });

  test('per-sample methods are averaged over samples (unclipped)', () => {
    const xs = cases.combine[0]!.gens.map(sample);
    const col = new StatsCollector([info('t', xs[0]!.length)], { inputNum: xs.length });
    feed(col, 't', xs);
    const [s] = col.summarize();
    const mean = (f: (x: Float32Array) => number) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
    const minmax = (x: Float32Array) => [Math.min(...x), Math.max(...x)] as const;
    expect(s!.octav).toBeCloseTo(mean((x) => octavThreshold(x, new Float32Array(x.length))), 12);
    expect(s!.aciqGauss).toBeCloseTo(mean((x) => aciqGauss(...minmax(x), x.length)), 12);
    const lap = (x: Float32Array) => {
      const m = Math.fround(x.reduce((a, v) => a + v, 0) / x.length);
      return aciqLaplace(x.reduce((a, v) => a + Math.abs(v - m), 0) / x.length);
    };
    expect(s!.aciqLaplace).toBeCloseTo(mean(lap), 10);
    expect(s!.kurtosis).toBeGreaterThan(2);
    expect(s!.kurtosis).toBeLessThan(3); // a sum of four uniforms: 2.7
  });

  test('int4 (bits 4) changes OCTAV and the ACIQ constants', () => {
    const x = sample(cases.perSample[0]!.gen);
    const run = (bits: 8 | 4) => {
      const col = new StatsCollector([info('t', x.length)], { inputNum: 1, bits });
      feed(col, 't', [x]);
      return col.summarize()[0]!;
    };
    const [s8, s4] = [run(8), run(4)];
    expect(s4.aciqGauss / s8.aciqGauss).toBeCloseTo(2.55913642 / 3.92403337, 12);
    expect(s4.aciqLaplace / s8.aciqLaplace).toBeCloseTo(5.02864014 / 9.89675982, 12);
    expect(Math.abs(s4.octav - cases.perSample[0]!.octav4) / s4.octav).toBeLessThan(2e-6);
  });

  test('an all-zero tensor', () => {
    const col = new StatsCollector([info('z', 6)], { inputNum: 2 });
    feed(col, 'z', [new Float32Array(6), new Float32Array(6)]);
    const [s] = col.summarize();
    expect(s).toMatchObject({ samples: 2, min: 0, max: 0, maxAbs: 0, pctMin: 0, pctMax: 0, octav: 0, aciqGauss: 0, aciqLaplace: 0, kurtosis: Infinity });
    expect(s!.hist.th).toBe(0);
    expect(s!.hist.counts.length).toBe(2048);
    expect(s!.hist.counts.every((c) => c === 0)).toBe(true);
  });

  test('zeros first, a range later: the histogram starts at the first non-zero range', () => {
    const col = new StatsCollector([info('t', 4)], { inputNum: 2, binNum: 8 });
    feed(col, 't', [new Float32Array(4), new Float32Array([0, 7, -3.5, 0])]);
    const [s] = col.summarize();
    expect(s!.hist.th).toBe(7);
    expect(sparse(s!.hist.counts)).toEqual([[4, 1], [7, 1]]);
  });

  test('ranges that grow and shrink across samples', () => {
    const xs = [[1, -1], [4, 0.5], [0.25, -0.25], [-9, 2]].map((v) => new Float32Array(v));
    const col = new StatsCollector([info('t', 2)], { inputNum: 4, binNum: 16 });
    feed(col, 't', xs);
    const [s] = col.summarize();
    expect([s!.min, s!.max, s!.maxAbs]).toEqual([-9, 4, 9]);
    expect(s!.hist.th).toBeGreaterThanOrEqual(9);
    expect(s!.hist.counts.reduce((a, b) => a + b, 0)).toBe(8);
  });

  test('last5 only for the last five tensors of the list', () => {
    const infos = Array.from({ length: 7 }, (_, i) => info(`t${i}`, 3, i, 7));
    const col = new StatsCollector(infos, { inputNum: 1 });
    for (const t of infos) col.add(t.name, new Float32Array([1, -2, 3]));
    col.endSample();
    const s = col.summarize();
    expect(s.map((x) => x.last5)).toEqual([undefined, undefined, 3, 3, 3, 3, 3]);
    expect(s.map((x) => x.info.name)).toEqual(infos.map((t) => t.name));
  });

  test('add(): unknown names are ignored, a second add in one sample throws, data is not kept', () => {
    const seen: number[][] = [];
    const col = new StatsCollector([info('a', 3), info('b', 3)], {
      inputNum: 2,
      extraSink: (t) => (t.name === 'b' ? { add: (d) => seen.push([...d]) } : undefined),
    });
    const buf = new Float32Array([1, 2, 3]);
    col.add('nope', buf);
    col.add('a', buf);
    expect(() => col.add('a', buf)).toThrow(/"a" added twice/);
    col.add('b', buf);
    buf.fill(100); // the caller reuses its buffer
    col.endSample();
    col.add('b', new Float32Array([-1, 0, 1]));
    col.endSample();
    const [a, b] = col.summarize();
    expect([a!.samples, a!.max, a!.maxAbs]).toEqual([1, 3, 3]);
    expect([b!.samples, b!.min, b!.max]).toEqual([2, -1, 3]);
    expect(seen).toEqual([[1, 2, 3], [-1, 0, 1]]);
  });

  test('rejects a bad inputNum or binNum and duplicate names', () => {
    expect(() => new StatsCollector([], { inputNum: 0 })).toThrow(/inputNum/);
    expect(() => new StatsCollector([], { inputNum: 1, binNum: 1 })).toThrow(/binNum/);
    expect(() => new StatsCollector([info('a', 1), info('a', 1)], { inputNum: 1 })).toThrow(/twice/);
  });

  test('a tensor never added summarizes with samples = 0', () => {
    const col = new StatsCollector([info('t', 3)], { inputNum: 1 });
    col.endSample();
    const [s] = col.summarize();
    expect(s!.samples).toBe(0);
    expect(s!.hist.counts.length).toBe(2048);
    expect(Number.isNaN(s!.octav)).toBe(true);
  });
});
