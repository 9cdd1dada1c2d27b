// Multiplier / shift searches (spec deploy.md §3.9, and the worked example of §3.10 Conv step 4).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calRightShiftNum,
  calRightShiftNumUseCblas,
  frexp,
  getRShiftAndMultiplierFromQScale,
  getScaleAndShift,
  getScaleAndShiftPositive,
  getScaleAndShiftPositiveMaxShift,
  quantizeMultiplier,
  quantizeToInt16,
  quantizeToInt8,
} from '../src/index.js';

describe('getScaleAndShift (get_scale_and_shift)', () => {
  it('the spec example: 0.005 → multiplier 5368709, rshift 30', () => {
    expect(getScaleAndShift(0.005, 32)).toEqual({ multiplier: 5368709, shift: 30 });
    // The spec's errors, against 0.005: n = 30 ≈ 1.1e-10; n = 29 gives 2684355, error ≈ 8e-10.
    // (Against the C float 0.005f that the search really uses, n = 30 is exact.)
    expect(Math.abs(5368709 / 2 ** 30 - 0.005)).toBeCloseTo(1.1e-10, 11);
    expect(Math.round(0.005 * 2 ** 29)).toBe(2684355);
    expect(Math.abs(2684355 / 2 ** 29 - 0.005)).toBeCloseTo(8e-10, 10);
    expect(5368709 / 2 ** 30).toBe(Math.fround(0.005));
  });

  it('on equal errors (compared as C floats) the smaller shift wins', () => {
    expect(getScaleAndShift(0.5)).toEqual({ multiplier: 1, shift: 1 });
    expect(getScaleAndShift(3)).toEqual({ multiplier: 3, shift: 0 });
    // 8 bits: 41/2^11 and 82/2^12 are the same number
    expect(getScaleAndShift(0.02, 8)).toEqual({ multiplier: 41, shift: 11 });
    expect(getScaleAndShift(1 / 9, 8)).toEqual({ multiplier: 57, shift: 9 });
  });

  it('shifts left (negative shift) for scales above the multiplier limit', () => {
    expect(getScaleAndShift(1000, 8)).toEqual({ multiplier: 125, shift: -3 });
  });

  it('keeps TPU-MLIR’s answer for 0: multiplier 0 at the first shift tried', () => {
    expect(getScaleAndShift(0)).toEqual({ multiplier: 0, shift: -32 });
  });

  it('32-bit: within half a step of the grid, using every bit the shift range (≤ 30) allows', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1000, noNaN: true }), (f) => {
        const { multiplier, shift } = getScaleAndShift(f, 32);
        const err = Math.abs(multiplier / 2 ** shift - Math.fround(f));
        expect(Math.abs(multiplier)).toBeLessThan(2147483647);
        expect(err).toBeLessThanOrEqual(2 ** -(shift + 1));
        // as good (in C float) as the finest grid that fits: the largest n ≤ 30 whose multiplier fits
        let n = 30;
        while (Math.round(Math.fround(f) * 2 ** n) >= 2147483647) n--;
        const best = Math.abs(Math.round(Math.fround(f) * 2 ** n) / 2 ** n - Math.fround(f));
        expect(Math.fround(err)).toBeLessThanOrEqual(Math.fround(best));
      }),
      { numRuns: 500 },
    );
  });

  it('8-bit multipliers stay below 127', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 100, noNaN: true }), (f) => {
        const { multiplier, shift } = getScaleAndShift(f, 8);
        expect(multiplier).toBeLessThan(127);
        expect(Math.abs(multiplier / 2 ** shift - f) / f).toBeLessThan(1 / 60);
      }),
      { numRuns: 500 },
    );
  });
});

describe('getScaleAndShiftPositive / _maxshift', () => {
  it('searches right shifts 0..30 only', () => {
    expect(getScaleAndShiftPositive(0.3, 8)).toEqual({ multiplier: 77, shift: 8 });
    expect(getScaleAndShiftPositive(0.5, 8)).toEqual({ multiplier: 1, shift: 1 });
    expect(getScaleAndShiftPositive(1000, 32)).toEqual({ multiplier: 1000, shift: 0 });
  });

  it('when no shift fits, leaves the caller’s shift (BM1684X Add starts from 0)', () => {
    expect(getScaleAndShiftPositive(200, 8)).toEqual({ multiplier: 200, shift: 0 });
  });

  it('the maxshift variant stops below maxShift', () => {
    expect(getScaleAndShiftPositiveMaxShift(0.3, 8, 8)).toEqual({ multiplier: 19, shift: 6 });
    expect(getScaleAndShiftPositiveMaxShift(0.3, 8, 3)).toEqual({ multiplier: 1, shift: 2 });
  });
});

describe('QuantizeMultiplier (TFLite / QDM)', () => {
  it('frexp splits x into a fraction in [0.5, 1) and an exponent', () => {
    expect(frexp(8)).toEqual({ frac: 0.5, exp: 4 });
    expect(frexp(0.1)).toEqual({ frac: 0.8, exp: -3 });
    expect(frexp(-3)).toEqual({ frac: -0.75, exp: 2 });
    expect(frexp(1)).toEqual({ frac: 0.5, exp: 1 });
  });

  it('m = round(frac · 2^31), shift = exponent', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    expect(quantizeMultiplier(-0.5)).toEqual({ multiplier: -(2 ** 30), shift: 0 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('a fraction rounding up to 2^31 halves and bumps the shift; tiny and huge saturate', () => {
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** 35)).toEqual({ multiplier: 2 ** 31 - 1, shift: 30 });
  });

  it('represents q to 31 bits', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-8, max: 1e6, noNaN: true }), (q) => {
        const { multiplier, shift } = quantizeMultiplier(q);
        expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
        expect(multiplier).toBeLessThan(2 ** 31);
        expect(Math.abs((multiplier * 2 ** shift) / 2 ** 31 - q) / q).toBeLessThanOrEqual(2 ** -31);
      }),
      { numRuns: 500 },
    );
  });
});

describe('getRShiftAndMultiplierFromQScale', () => {
  it('non-qdm: the smallest rshift with q·2^(rshift+1) ≥ max, m = trunc(q·2^rshift)', () => {
    expect(getRShiftAndMultiplierFromQScale(0.3)).toEqual({ multiplier: 76, shift: 8 });
    expect(getRShiftAndMultiplierFromQScale(0.3, { maxMultiplier: 255 })).toEqual({ multiplier: 153, shift: 9 });
    expect(getRShiftAndMultiplierFromQScale(200)).toEqual({ multiplier: 127, shift: 0 });
    expect(getRShiftAndMultiplierFromQScale(1e-25)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('qdm: QuantizeMultiplier with rshift = −shift; q ≥ 1 clamps to 0.999999', () => {
    expect(getRShiftAndMultiplierFromQScale(0.3, { qdm: true })).toEqual({ multiplier: 1288490189, shift: 1 });
    expect(getRShiftAndMultiplierFromQScale(1.5, { qdm: true })).toEqual({ multiplier: Math.round(0.999999 * 2 ** 31), shift: 0 });
  });
});

describe('BM1684 shift counts', () => {
  it('calRightShiftNum: doublings of fmax·Si/So until ≥ 127, minus one', () => {
    expect(calRightShiftNum(0.5, 1, 1)).toBe(7); // 0.5·2^7 = 64 < 127 ≤ 128
    expect(calRightShiftNum(1, 1, 1)).toBe(6);
    expect(calRightShiftNum(1, 2, 8)).toBe(8); // ratio 0.25
    expect(calRightShiftNum(200, 1, 1)).toBe(-1); // → F32 lowering
    expect(calRightShiftNum(0, 1, 1)).toBe(0);
    expect(calRightShiftNum(1e-20, 1, 1)).toBe(31);
  });

  it('calRightShiftNumUseCblas: floor(log2(127 / (|fmax|·Si/So))), at most 31', () => {
    expect(calRightShiftNumUseCblas(1, 1, 1)).toBe(6);
    expect(calRightShiftNumUseCblas(-0.5, 1, 1)).toBe(7);
    expect(calRightShiftNumUseCblas(2, 1, 1)).toBe(5);
    expect(calRightShiftNumUseCblas(127, 1, 1)).toBe(0);
    expect(calRightShiftNumUseCblas(200, 1, 1)).toBe(-1);
    expect(calRightShiftNumUseCblas(1, 1, 127)).toBe(13);
    expect(calRightShiftNumUseCblas(1e-20, 1, 1)).toBe(31);
  });
});

describe('quantizeToInt8 / quantizeToInt16', () => {
  it('multiplies in C float before rounding', () => {
    // 0.005f · 100 = 0.49999998882 in double, which C float rounds to 0.5f: 1, not 0
    expect(Array.from(quantizeToInt8(Float32Array.of(0.005), 100))).toEqual([1]);
    expect(Array.from(quantizeToInt8([0.5, -0.25, 1, -2], 100))).toEqual([50, -25, 100, -128]);
  });

  it('int16 with overflow ratio and an optional rounding right shift', () => {
    const r = quantizeToInt16([1, 300, -300, 2], 128);
    expect(Array.from(r.data)).toEqual([128, 32767, -32768, 256]);
    expect(r.overflowRatio).toBe(0.5);
    expect(Array.from(quantizeToInt16([3 / 128, -3 / 128], 128, 1).data)).toEqual([2, -1]);
  });
});
