// Deconv weight quantization (BM1684X/Deconv.cpp) and Sub multipliers (BM1684X/Sub.cpp) on
// hand-checked values.
import { describe, expect, it } from 'vitest';
import { getScaleAndShift, quantizeDeconvBM1684X, subMultipliersBM1684X } from '../src/index.js';

describe('quantizeDeconvBM1684X', () => {
  it('per-channel int8 filter, int32 bias, packed [m, −rshift, zp] requant', () => {
    const q = quantizeDeconvBM1684X({ filter: [0.6, -1.0, 0.3, 0.4], oc: 2, bias: [0.1, -0.2], inScale: 0.05, outScale: 0.1 });
    expect(q.filterSigned).toBe(true);
    // ch0: scale 1/127 → 0.6·127 = 76.2 → 76, −127; ch1: scale 0.4/127 → 95.25 → 95, 127
    expect([...q.filter]).toEqual([76, -127, 95, 127]);
    // bias / (scale_w · Si): 0.1 / (0.05/127) = 254, −0.2 / (0.02/127) = −1270
    expect([...q.bias!]).toEqual([254, -1270]);
    const m0 = getScaleAndShift((q.weightScales[0]! * 0.05) / 0.1, 32);
    const m1 = getScaleAndShift((q.weightScales[1]! * 0.05) / 0.1, 32);
    expect([...q.quant]).toEqual([m0.multiplier, -m0.shift, 0, m1.multiplier, -m1.shift, 0]);
    // m / 2^r ≈ scale_w · Si / So
    expect(m0.multiplier / 2 ** m0.shift).toBeCloseTo(0.5 / 127, 9);
  });

  it('an all-positive filter without bias is uint8 (/255); a bias makes it signed', () => {
    const u = quantizeDeconvBM1684X({ filter: [0.5, 1.0], oc: 1, inScale: 1, outScale: 1 });
    expect(u.filterSigned).toBe(false);
    // the C float scale 1/255 is a little above 1/255: 0.5 → 127.49999… → 127 (1/127 is below: 63.50000… → 64)
    expect([...u.filter]).toEqual([127, 255]);
    expect(u.bias).toBeUndefined();
    const s = quantizeDeconvBM1684X({ filter: [0.5, 1.0], oc: 1, bias: [0], inScale: 1, outScale: 1 });
    expect(s.filterSigned).toBe(true);
    expect([...s.filter]).toEqual([64, 127]);
  });
});

describe('subMultipliersBM1684X', () => {
  it('activations get 8-bit positive-shift multipliers of S_i/So; constants are stored with So', () => {
    const r = subMultipliersBM1684X([{ scale: 0.2 }, { constant: [0.25, -0.05] }], 0.1);
    expect(r.multipliers).toEqual([2, 1]);
    expect(r.rshifts).toEqual([0, 0]);
    expect(r.constants[0]).toBeUndefined();
    expect(r.constants[1]!.signed).toBe(true);
    expect([...r.constants[1]!.data]).toEqual([3, -1]); // 2.5 → 3, −0.5 → −1 (half away from zero)
    // 3/7 = 0.428571…: n = 7 gives 55/128 and n = 8 the same value 110/256 (a tie: the smaller
    // shift wins); n = 8 is the last with m < 127 and nothing beyond is closer
    const s = subMultipliersBM1684X([{ scale: 0.3 }, { scale: 0.7 }], 0.7);
    expect(s.multipliers).toEqual([55, 1]);
    expect(s.rshifts).toEqual([7, 0]);
  });
});
