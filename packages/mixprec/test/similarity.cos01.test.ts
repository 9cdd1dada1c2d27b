// cos01 is TPU-MLIR's misc.cos_sim: 0.5 + 0.5·cos, NaN -> 0 first (so zero vectors score 0.5).
import { describe, expect, test } from 'vitest';
import { ndarray } from '@tpu-quant/ir';
import { cos01, weightedCos } from '../src/index.js';

describe('cos01', () => {
  test('identical, opposite and orthogonal vectors map to 1, 0 and 0.5', () => {
    expect(cos01([1, 2, 3], [1, 2, 3])).toBeCloseTo(1, 15);
    expect(cos01([1, 2, 3], [-1, -2, -3])).toBeCloseTo(0, 15);
    expect(cos01([1, 0], [0, 1])).toBe(0.5);
  });

  test('a raw cosine of 0.98 is 0.99 on this scale (expected_cos 0.99 means cos 0.98)', () => {
    // a = (1, 0), b = (0.98, sqrt(1 - 0.98^2)): cos = 0.98
    expect(cos01([1, 0], [0.98, Math.sqrt(1 - 0.98 ** 2)])).toBeCloseTo(0.99, 12);
  });

  test('an all-zero vector gives NaN, read as cos 0: 0.5', () => {
    expect(cos01([0, 0, 0], [1, 2, 3])).toBe(0.5);
    expect(cos01([0, 0], [0, 0])).toBe(0.5);
  });

  test('sums in f64 over f32 data', () => {
    const a = new Float32Array([0.1, 0.2, 0.3]);
    const b = new Float32Array([0.3, 0.2, 0.1]);
    const dot = a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    const na = Math.sqrt(a[0]! ** 2 + a[1]! ** 2 + a[2]! ** 2);
    const nb = Math.sqrt(b[0]! ** 2 + b[1]! ** 2 + b[2]! ** 2);
    expect(cos01(a, b)).toBe(0.5 + (0.5 * dot) / (na * nb));
  });

  test('lengths must agree', () => {
    expect(() => cos01([1], [1, 2])).toThrow(RangeError);
  });
});

describe('weightedCos (_cos_loss over outputs, §12.2)', () => {
  const t = (...v: number[]) => ndarray('f32', [v.length], new Float32Array(v));
  test('equal rates: the plain mean over outputs, paired by position', () => {
    expect(weightedCos([t(1, 0), t(1, 2)], [t(0, 1), t(1, 2)])).toBeCloseTo((0.5 + 1) / 2, 15);
  });
  test('rates weight each output', () => {
    expect(weightedCos([t(1, 0), t(1, 2)], [t(0, 1), t(1, 2)], [0.25, 0.75])).toBeCloseTo(0.25 * 0.5 + 0.75 * 1, 15);
  });
});
