import { describe, expect, test } from 'vitest';
import { compareTensors, cosineSimilarity, euclideanSimilarity, ndarray, pairwiseSumF32, sqnr } from '@tpu-quant/ir';

const f32 = (shape: number[], v: number[]) => ndarray('f32', shape, Float32Array.from(v));
const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('compareTensors verdicts', () => {
  test('EQUAL when bit-identical', () => {
    const r = compareTensors(f32([2, 2], [1, 2, 3, 4]), f32([4], [1, 2, 3, 4]));
    expect(r).toMatchObject({ verdict: 'EQUAL', passed: true });
  });

  test('CLOSE reports the first allclose order that holds (5, 4, 3)', () => {
    const ref = ramp(16, (i) => i + 1);
    expect(compareTensors(f32([16], ref.map((v) => v * (1 + 3e-6))), f32([16], ref))).toMatchObject({ verdict: 'CLOSE', closeOrder: 5 });
    expect(compareTensors(f32([16], ref.map((v) => v * (1 + 3e-5))), f32([16], ref))).toMatchObject({ verdict: 'CLOSE', closeOrder: 4 });
    expect(compareTensors(f32([16], ref.map((v) => v * (1 + 3e-4))), f32([16], ref))).toMatchObject({ verdict: 'CLOSE', closeOrder: 3 });
  });

  test('SIMILAR past order 3, with metrics equal to an independent float64 computation', () => {
    const ref = ramp(64, (i) => Math.sin(i) * 3);
    const tgt = ref.map((v, i) => v + (i % 3 === 0 ? 0.02 : -0.01));
    const r = compareTensors(f32([64], tgt), f32([64], ref));
    expect(r.verdict).toBe('SIMILAR');
    const a = Float32Array.from(tgt);
    const b = Float32Array.from(ref);
    let dot = 0, na = 0, nb = 0, dd = 0, mm = 0;
    for (let i = 0; i < 64; i++) {
      dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; dd += (a[i]! - b[i]!) ** 2; mm += ((a[i]! + b[i]!) / 2) ** 2;
    }
    expect(r.cosine).toBeCloseTo(dot / Math.sqrt(na * nb), 6);
    expect(r.euclid).toBeCloseTo(1 - Math.sqrt(dd) / (Math.sqrt(mm) + 1e-7), 6);
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const noise = Array.from(a, (v, i) => v - b[i]!);
    const var0 = (x: number[]) => { const m = mean(x); return x.reduce((s, v) => s + (v - m) ** 2, 0); };
    expect(r.sqnr).toBeCloseTo(10 * Math.log10(var0(Array.from(a)) / var0(noise)), 4);
  });

  test('NOT_SIMLIAR (upstream spelling) below the tolerances, with top-k at -vv', () => {
    const ref = ramp(20, (i) => i - 10);
    const r = compareTensors(f32([20], ref.map((v) => -v)), f32([20], ref), { verbose: 2 });
    expect(r).toMatchObject({ verdict: 'NOT_SIMLIAR', passed: false });
    expect(r.cosine).toBeCloseTo(-1, 6);
    expect(r.details?.topK?.target[0]).toEqual([0, 10]);
    expect(r.details?.topK?.ref[0]).toEqual([19, 9]);
  });

  test('int8 tensors must be equal unless int8_tensor_close is 0', () => {
    const t = ndarray('i8', [4], Int8Array.from([1, 2, 3, 100]));
    const r = ndarray('i8', [4], Int8Array.from([1, 2, 3, 101]));
    expect(compareTensors(t, r)).toMatchObject({ verdict: 'NOT_EQUAL', passed: false });
    // Compared as int8, (t + r) / 2 wraps as in numpy: 100 + 101 -> -55 (numpy: norm 27.7533781...).
    const loose = compareTensors(t, r, { int8TensorClose: false });
    expect(loose).toMatchObject({ verdict: 'NOT_SIMLIAR', kind: 'i8' });
    expect(loose.euclid).toBeCloseTo(1 - 1 / (27.753378172755834 + 1e-7), 12);
  });

  test('int8 wins the dtype alignment: a float reference is truncated to int8', () => {
    const t = ndarray('i8', [3], Int8Array.from([1, -2, 3]));
    expect(compareTensors(t, f32([3], [1.9, -2.7, 3.2]))).toMatchObject({ verdict: 'EQUAL', kind: 'i8' });
  });

  test('uint16 is bf16: 0x3f80 is 1.0', () => {
    const t = ndarray('u16', [3], Uint16Array.from([0x3f80, 0x4000, 0xbfc0]));
    expect(compareTensors(t, f32([3], [1, 2, -1.5]))).toMatchObject({ verdict: 'EQUAL', kind: 'f32' });
  });

  test('shapes that differ are cropped to the smaller leading slices', () => {
    const big = f32([3, 4], ramp(12, (i) => i));
    const small = f32([2, 3], [0, 1, 2, 4, 5, 6]);
    const r = compareTensors(big, small);
    expect(r.verdict).toBe('EQUAL');
    expect(r.messages[0]).toBe('WARRING: not the same shape  (3, 4) v.s. (2, 3)');
  });

  test('NOT_MATCH when neither shape contains the other', () => {
    const r = compareTensors(f32([2, 3], ramp(6, (i) => i)), f32([3, 1], [0, 1, 2]));
    expect(r).toMatchObject({ verdict: 'NOT_MATCH', passed: false });
    expect(r.messages.at(-1)).toBe('Error:  in two npz file is not same shape. (2, 3) v.s. (3, 1)');
  });

  test('NonMaxSuppression outputs are cut to the smaller first dimension', () => {
    const r = compareTensors(f32([3, 2], [1, 2, 3, 4, 5, 6]), f32([2, 2], [1, 2, 3, 4]), { name: 'x_NonMaxSuppression' });
    expect(r.verdict).toBe('EQUAL');
  });

  test('per-axis compare reports the failing slice with the lowest cosine', () => {
    const ref = ramp(24, (i) => Math.cos(i) + 2);
    const tgt = ref.slice();
    for (let i = 8; i < 16; i++) tgt[i] = -tgt[i]!; // channel 1 flipped
    for (let i = 16; i < 24; i++) tgt[i] = tgt[i]! * 1.5; // channel 2 scaled: cosine 1, euclid low
    const r = compareTensors(f32([1, 3, 8], tgt), f32([1, 3, 8], ref), { perAxis: 1 });
    expect(r).toMatchObject({ verdict: 'NOT_SIMLIAR', channel: 1 });
    expect(r.cosine).toBeCloseTo(-1, 6);
  });

  test('NaN and inf: equal_nan for allclose, then NaN -> 0 and inf -> 10000', () => {
    expect(compareTensors(f32([3], [NaN, 1, Infinity]), f32([3], [NaN, 1, Infinity])).verdict).toBe('CLOSE');
    const r = compareTensors(f32([3], [NaN, 1, Infinity]), f32([3], [0, 1, 10000]));
    expect(r.verdict).toBe('SIMILAR');
    expect(r.cosine).toBe(1);
  });
});

describe('metrics', () => {
  test('cosine is 0 when a side is all zeros', () => {
    expect(cosineSimilarity([0, 0], [1, 2])).toBe(0);
    expect(cosineSimilarity([1, 2], [0, 0])).toBe(0);
  });
  test('euclidean similarity of x and 2x is 1 - |x| / (1.5|x| + 1e-7)', () => {
    expect(euclideanSimilarity([3, 4], [6, 8])).toBeCloseTo(1 - 5 / (7.5 + 1e-7), 12);
  });
  test('sqnr: signal variance over noise variance, in dB; inf without noise', () => {
    // raw [1,2,3,4] (Σ(x-m)² = 5), noise [0.1,-0.1,0.1,-0.1] (Σ = 0.04): 10·log10(125)
    expect(sqnr([1, 2, 3, 4], [0.9, 2.1, 2.9, 4.1])).toBeCloseTo(10 * Math.log10(125), 4);
    expect(sqnr([1, 2, 3], [0, 1, 2])).toBe(Infinity);
  });
  test('pairwise float32 summation matches numpy on 1000 x 0.1', () => {
    // numpy 1.24: np.full(1000, 0.1, np.float32).sum() -> 100.000015 (pairwise);
    // a naive float32 loop drifts to 99.99905.
    const a = new Float32Array(1000).fill(0.1);
    expect(pairwiseSumF32(a)).toBe(Math.fround(100.000015));
  });
});
