// 8-bit multipliers of Add / Mul / MulConst / AvgPool (spec deploy.md §3.10, §3.11).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMultipliersBM1684,
  addMultipliersBM1684X,
  applyMultiplierAndRShift,
  avgPoolMultiplierBM1684,
  avgPoolQuantBM1684X,
  getScaleAndShiftPositive,
  mulConstMultiplierBM1684X,
  mulMultiplierBM1684X,
  toInt8,
} from '../src/index.js';

describe('Add, BM1684X family', () => {
  it('(m_i, r_i) = get_scale_and_shift_positive(coeff_i · S_i / So, 8)', () => {
    const r = addMultipliersBM1684X([{ scale: 0.1 }, { scale: 0.06 }], 0.2);
    expect(r.multipliers).toEqual([1, 77]); // 0.5 = 1/2^1; 0.3 ≈ 77/2^8
    expect(r.rshifts).toEqual([1, 8]);
    expect(addMultipliersBM1684X([{ scale: 0.1 }, { scale: 0.06 }], 0.2, [1, -1]).multipliers).toEqual([1, -77]);
  });

  it('a constant input gets its own scale max|c|/127 and int8 data (coeff not applied)', () => {
    const c = Float32Array.of(-0.5, 0.25, 1);
    const r = addMultipliersBM1684X([{ scale: 0.01 }, { constant: c }], 0.02, [1, 3]);
    expect(Array.from(r.constants[1]!.data)).toEqual([-64, 32, 127]);
    expect(r.constants[1]!.signed).toBe(true);
    const want = getScaleAndShiftPositive(1 / 127 / 0.02, 8);
    expect([r.multipliers[1], r.rshifts[1]]).toEqual([want.multiplier, want.shift]);
    const u = addMultipliersBM1684X([{ constant: Float32Array.of(0.5, 2) }], 0.02);
    expect(u.constants[0]!.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u.constants[0]!.data)).toEqual([64, 255]);
  });

  it('Σ (q_i · m_i) >> r_i approximates the float sum in output codes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.005, max: 0.2, noNaN: true }),
        fc.double({ min: 0.005, max: 0.2, noNaN: true }),
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -128, max: 127 }),
        (s1, s2, q1, q2) => {
          const so = (s1 + s2) * 1.2;
          const r = addMultipliersBM1684X([{ scale: s1 }, { scale: s2 }], so);
          const y = [q1, q2].reduce((acc, q, i) => acc + applyMultiplierAndRShift(q, r.multipliers[i]!, r.rshifts[i]!), 0);
          expect(Math.abs(toInt8(y) - (q1 * s1 + q2 * s2) / so)).toBeLessThan(3);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Add, BM1684', () => {
  it('r_i = max(0, floor(log2(127 / (coeff·Si/So)))), m_i = to_int8(coeff · 2^r_i · Si/So)', () => {
    const r = addMultipliersBM1684([{ scale: 1 }, { scale: 0.5 }], 1)!;
    expect(r.rshifts).toEqual([6, 7]);
    expect(r.multipliers).toEqual([64, 64]);
  });

  it('a constant is quantized with max|c|/127 (C float)', () => {
    const r = addMultipliersBM1684([{ scale: 0.1 }, { constant: Float32Array.of(0.5, -0.2) }], 0.1)!;
    expect(Array.from(r.constants[1]!.data)).toEqual([127, -51]);
    expect(r.constants[1]!.scale).toBe(Math.fround(0.5 / 127));
  });

  it('a multiplier outside [0, 127] (a negative coeff) means F32', () => {
    expect(addMultipliersBM1684([{ scale: 1 }, { scale: 1 }], 1, [1, -1])).toBeUndefined();
  });
});

describe('Mul and MulConst, BM1684X family', () => {
  it('(m, r) = get_scale_and_shift(Π S_i / So, 8)', () => {
    const r = mulMultiplierBM1684X([{ scale: 0.05 }, { scale: 0.04 }], 0.1);
    expect(r.multipliers).toEqual([41]); // 0.02 = 41/2^11 (82/2^12 ties, the smaller shift wins)
    expect(r.rshifts).toEqual([11]);
  });

  it('a constant input: own scale from max |c| (C float), int8 data', () => {
    const r = mulMultiplierBM1684X([{ scale: 0.05 }, { constant: Float32Array.of(2.2, -4) }], 0.1);
    const s = Math.fround(4 / 127);
    expect(r.constants[1]!.scale).toBe(s);
    expect(Array.from(r.constants[1]!.data)).toEqual([70, -127]);
  });

  it('MulConst: get_scale_and_shift(Si / So · c, 8)', () => {
    expect(mulConstMultiplierBM1684X(0.1, 0.2, 0.6)).toEqual({ multiplier: 77, shift: 8 });
    // −2: n = −1 already gives error 0 (−1 · 2^1), so a left shift wins
    expect(mulConstMultiplierBM1684X(0.1, 0.1, -2)).toEqual({ multiplier: -1, shift: -1 });
  });
});

describe('AvgPool', () => {
  it('BM1684X symmetric 2-D: get_scale_and_shift(Si / (So · kh · kw), 8)', () => {
    expect(avgPoolQuantBM1684X({ kernel: [3, 3], inScale: 0.1, outScale: 0.1, asymmetric: false })).toEqual({ kind: 'multiplier', multiplier: 57, rshift: 9 });
    expect(avgPoolQuantBM1684X({ kernel: [2, 2], inScale: 0.2, outScale: 0.1, asymmetric: false })).toEqual({ kind: 'multiplier', multiplier: 1, rshift: 1 });
  });

  it('BM1684X asymmetric or 3-D: float scale and offset', () => {
    expect(avgPoolQuantBM1684X({ kernel: [2, 2], inScale: 0.2, outScale: 0.1, inZeroPoint: 3, outZeroPoint: -5, asymmetric: true })).toEqual({
      kind: 'scale',
      scale: 0.2 / (4 * 0.1),
      offset: -5 - (0.2 / 0.1) * 3,
    });
    expect(avgPoolQuantBM1684X({ kernel: [2, 2, 2], inScale: 0.1, outScale: 0.1, asymmetric: false }).kind).toBe('scale');
  });

  it('BM1684: 1/k from its 8-bit tables (spec: k=3 → 171/2^9, k=9 → 57/2^9), F32 above 225', () => {
    expect(avgPoolMultiplierBM1684(3)).toEqual({ multiplier: 171, shift: 9 });
    expect(avgPoolMultiplierBM1684(9)).toEqual({ multiplier: 57, shift: 9 });
    // more entries of TPU-MLIR's dev_table_i / dev_table_e
    expect(avgPoolMultiplierBM1684(1)).toEqual({ multiplier: 1, shift: 0 });
    expect(avgPoolMultiplierBM1684(2)).toEqual({ multiplier: 1, shift: 1 });
    expect(avgPoolMultiplierBM1684(7)).toEqual({ multiplier: 73, shift: 9 });
    expect(avgPoolMultiplierBM1684(49)).toEqual({ multiplier: 167, shift: 13 });
    expect(avgPoolMultiplierBM1684(225)).toEqual({ multiplier: 73, shift: 14 });
    expect(avgPoolMultiplierBM1684(226)).toBeUndefined();
    expect(avgPoolMultiplierBM1684(0)).toBeUndefined();
  });

  it('BM1684: every table entry is an odd 8-bit multiplier within half a step of 1/k', () => {
    for (let k = 2; k <= 225; k++) {
      const { multiplier, shift } = avgPoolMultiplierBM1684(k)!;
      expect(multiplier).toBeLessThanOrEqual(255);
      expect(multiplier % 2 === 1 || shift === 0).toBe(true);
      expect(Math.abs(multiplier / 2 ** shift - 1 / k)).toBeLessThanOrEqual(2 ** -(shift + 1));
    }
  });
});
