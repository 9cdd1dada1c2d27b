// search_threshold's scoring, by hand on tiny vectors: snr loss, cos / snr scores over samples,
// the winner (first on ties), and the per-channel means bias correction subtracts.
import { describe, expect, test } from 'vitest';
import { ndarray } from '@tpu-quant/ir';
import { benchmarkScore, channelMeans, parseBenchmarkMethod, pickBest, snrLoss } from '../src/index.js';

const t = (...v: number[]) => ndarray('f32', [v.length], Float32Array.from(v));

describe('snrLoss', () => {
  test('one tensor: Σ(b−a)² / (Σa² + 1e-7)', () => {
    // ref (1, 2, 2): Σa² = 9; test (1, 2, 3): noise 1
    expect(snrLoss([t(1, 2, 3)], [t(1, 2, 2)])).toBeCloseTo(1 / (9 + 1e-7), 15);
    expect(snrLoss([t(1, 2, 2)], [t(1, 2, 2)])).toBe(0);
  });

  test('several tensors are summed with their rates (upstream keeps only the last one)', () => {
    const a = snrLoss([t(1, 2, 3)], [t(1, 2, 2)]); // 1/9
    const b = snrLoss([t(0, 3)], [t(0, 1)]); // 4/1
    expect(snrLoss([t(1, 2, 3), t(0, 3)], [t(1, 2, 2), t(0, 1)])).toBeCloseTo((a + b) / 2, 12);
    expect(snrLoss([t(1, 2, 3), t(0, 3)], [t(1, 2, 2), t(0, 1)], [0.25, 0.75])).toBeCloseTo(0.25 * a + 0.75 * b, 12);
  });

  test('an all-zero reference gives noise / 1e-7', () => {
    expect(snrLoss([t(1, 0)], [t(0, 0)])).toBeCloseTo(1e7, 0);
  });
});

describe('benchmarkScore', () => {
  test('cos: the mean cos01 over samples', () => {
    // sample 0: identical → 1; sample 1: orthogonal → 0.5
    expect(benchmarkScore('cos', [[t(1, 0)], [t(0, 1)]], [[t(2, 0)], [t(1, 0)]])).toBeCloseTo(0.75, 15);
  });

  test('snr: 1 − the mean loss over samples', () => {
    // losses 0 and 1/(1+1e-7)
    expect(benchmarkScore('snr', [[t(1, 0)], [t(0, 0)]], [[t(1, 0)], [t(1, 0)]])).toBeCloseTo(1 - 0.5 / (1 + 1e-7), 15);
  });

  test('bad method names are one-line user errors', () => {
    expect(parseBenchmarkMethod(undefined)).toBe('cos');
    expect(parseBenchmarkMethod('snr')).toBe('snr');
    expect(() => parseBenchmarkMethod('sqnr')).toThrow(/--benchmark_method sqnr is not a benchmark method/);
  });
});

describe('pickBest', () => {
  test('the maximum; the first on ties; NaN never wins', () => {
    expect(pickBest([{ n: 'KL', score: 0.9 }, { n: 'MAX', score: 0.95 }, { n: 'MSE', score: 0.95 }]).n).toBe('MAX');
    expect(pickBest([{ n: 'KL', score: 0.9 }, { n: 'MAX', score: 0.9 }]).n).toBe('KL');
    expect(pickBest([{ n: 'KL', score: NaN }, { n: 'MAX', score: 0.1 }]).n).toBe('MAX');
  });
});

describe('channelMeans', () => {
  test('NCHW: mean over N, H, W per channel', () => {
    // N=2, C=2, H=1, W=2
    const a = ndarray('f32', [2, 2, 1, 2], Float32Array.from([1, 3, 10, 20, 5, 7, -10, 0]));
    expect([...channelMeans(a)]).toEqual([4, 5]);
  });

  test('N,C,L (Conv1d) works too; rank 1 has no channel axis', () => {
    expect([...channelMeans(ndarray('f32', [1, 3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])))]).toEqual([1.5, 3.5, 5.5]);
    expect(() => channelMeans(t(1, 2))).toThrow(/no channel axis/);
  });
});
