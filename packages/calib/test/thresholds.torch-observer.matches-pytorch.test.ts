import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { TorchHistogramObserver, torchObserverRow } from '../src/thresholds/index.js';
import { torchSumF32 } from '../src/thresholds/torch-sum.js';
import { sample, type SampleRecipe } from './fixtures/thresholds/recipes.js';

interface Step {
  minVal: number;
  maxVal: number;
  histSum: number;
  histMoment: number;
  searchMin: number;
  searchMax: number;
  scale: number;
  zeroPoint: number;
  histogram?: number[];
}
interface Case {
  name: string;
  bins: number;
  samples: SampleRecipe[];
  steps: Step[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/thresholds/torch_observer_cases.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  sums: { recipe: SampleRecipe; sum: number }[];
};

function relClose(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-30));
}

describe('TorchHistogramObserver matches PyTorch 1.13 HistogramObserver (qint8, per_tensor_affine)', () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const obs = new TorchHistogramObserver(c.bins);
      c.samples.forEach((recipe, i) => {
        obs.add(sample(recipe));
        const want = c.steps[i];
        const s = obs.state();
        expect(s.minVal).toBe(want.minVal);
        expect(s.maxVal).toBe(want.maxVal);
        let sum = 0;
        let moment = 0;
        s.histogram.forEach((v, k) => {
          sum += v;
          moment += v * k;
        });
        relClose(sum, want.histSum, 1e-9);
        relClose(moment, want.histMoment, 1e-9);
        if (want.histogram) expect(Array.from(s.histogram)).toEqual(want.histogram);
        const q = obs.qparams();
        relClose(q.scale, want.scale, 1e-6);
        expect(q.zeroPoint).toBe(want.zeroPoint);
      });
    });
  }

  test('state() / fromState() round-trips mid-stream', () => {
    const c = fixture.cases[0];
    const a = new TorchHistogramObserver(c.bins);
    a.add(sample(c.samples[0]));
    a.add(sample(c.samples[1]));
    const b = TorchHistogramObserver.fromState(a.state());
    for (const o of [a, b]) {
      o.add(sample(c.samples[2]));
      o.add(sample(c.samples[3]));
    }
    expect(b.qparams()).toEqual(a.qparams());
    relClose(b.qparams().scale, c.steps[3].scale, 1e-6);
    expect(() => TorchHistogramObserver.fromState(a.state(), 1024)).toThrow(/2048 bins/);
  });

  test('an observer that saw nothing returns PyTorch\'s defaults', () => {
    expect(new TorchHistogramObserver().qparams()).toEqual({ scale: 1, zeroPoint: 0 });
  });

  test('non-finite activations are refused', () => {
    expect(() => new TorchHistogramObserver().add(Float32Array.of(1, Number.NaN))).toThrow(/non-finite/);
  });
});

describe('torchObserverRow (spec §4.7)', () => {
  test('th = scale·max(128+zp, 127−zp), min = scale·(−128−zp), max = scale·(127−zp)', () => {
    expect(torchObserverRow('a', { scale: 0.5, zeroPoint: -6 })).toEqual({ name: 'a', threshold: 0.5 * 133, min: 0.5 * -122, max: 0.5 * 133 });
    expect(torchObserverRow('b', { scale: 0.25, zeroPoint: 10 })).toEqual({ name: 'b', threshold: 0.25 * 138, min: 0.25 * -138, max: 0.25 * 117 });
    expect(torchObserverRow('c', { scale: 0.01, zeroPoint: -128 })).toEqual({ name: 'c', threshold: 0.01 * 255, min: 0, max: 0.01 * 255 });
  });
  test('the threshold is floored at 1e-5', () => {
    expect(torchObserverRow('z', { scale: 1e-9, zeroPoint: 0 }).threshold).toBe(1e-5);
  });
});

describe('torchSumF32 (ATen cascade sum, AVX2 lanes)', () => {
  test('equals torch.sum bit for bit', () => {
    for (const { recipe, sum } of fixture.sums) expect(torchSumF32(sample(recipe)), JSON.stringify(recipe)).toBe(sum);
  });

  test('is not a running float32 sum (the fixtures can tell them apart)', () => {
    let differs = 0;
    for (const { recipe, sum } of fixture.sums) {
      let running = 0;
      for (const v of sample(recipe)) running = Math.fround(running + v);
      if (running !== sum) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });
});
