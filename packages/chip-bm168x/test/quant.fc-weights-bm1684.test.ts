// BM1684 FC (MatMul with a weight) INT8 weights on hand-checked cases (spec deploy.md §3.11): one
// right shift, int8 weights that absorb Si/So, int16 bias with the 3 % overflow rule, and a
// negative shift clamped to 0 (where a Conv would go to F32).
import { describe, expect, it } from 'vitest';
import { quantizeConvBM1684 } from '../src/index.js';
import { quantizeFcBM1684 } from '../src/quant/fc-weights-bm1684.js';

const f32 = (...v: number[]) => Float32Array.from(v);

describe('quantizeFcBM1684', () => {
  it('r from calRightShiftNum(max|W|, Si, So): Wq = W·2^r·Si/So, bias = b·2^r/So', () => {
    // max|W|·Si/So = 1·0.1/0.05 = 2; doubling to ≥ 127 takes 6 steps, so r = 5 and Wq = W·64
    const r = quantizeFcBM1684({ weight: f32(0.5, -0.25, 1, 0.01), bias: f32(0.3, -0.1), inScale: 0.1, outScale: 0.05 });
    expect(r.rshift).toBe(5);
    expect([...r.weight]).toEqual([32, -16, 64, 1]); // 0.64 → 1
    expect([...r.bias!]).toEqual([192, -64]); // 0.3·32/0.05, -0.1·32/0.05
  });

  it('lowers the shift while more than 3 % of the int16 bias overflows', () => {
    // r = 5 first: 1000·32/0.05 = 640000 overflows; r = 0 gives 20000
    const r = quantizeFcBM1684({ weight: f32(1, -1), bias: f32(1000), inScale: 0.1, outScale: 0.05 });
    expect(r.rshift).toBe(0);
    expect([...r.bias!]).toEqual([20000]);
    expect([...r.weight]).toEqual([2, -2]);
  });

  it('clamps a negative shift to 0 and saturates the weights (a Conv lowers in F32 instead)', () => {
    const p = { weight: f32(100, -50, 10), inScale: 0.1, outScale: 0.05 };
    expect(quantizeConvBM1684({ filter: p.weight, inScale: p.inScale, outScale: p.outScale })).toBeUndefined();
    const r = quantizeFcBM1684(p);
    expect(r.rshift).toBe(0);
    expect([...r.weight]).toEqual([127, -100, 20]);
    expect(r.bias).toBeUndefined();
  });
});
