// Rounding modes, saturation and integer right shifts (spec deploy.md §3.9): the examples of
// MathUtils.h's RoundingMode comments, the spec's RightShiftRound rules, and exactness of the
// 64-bit requant products.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMultiplierAndRShift,
  mulRightShiftRound,
  multiplyByQuantizedMultiplier,
  rightShiftRound,
  rightShiftRoundBig,
  roundToInt,
  ROUNDING_MODE_NUMBERS,
  saturate,
  toInt16,
  toInt4,
  toInt8,
  toUint16,
  toUint4,
  toUint8,
  type RoundingMode,
} from '../src/index.js';

const MODES = Object.keys(ROUNDING_MODE_NUMBERS) as RoundingMode[];

describe('roundToInt (to_int)', () => {
  // The examples in the comments of MathUtils.h's RoundingMode enum.
  it.each([
    ['HalfAwayFromZero', 1.5, 2], ['HalfAwayFromZero', -1.5, -2],
    ['HalfUp', 1.5, 2], ['HalfUp', -1.5, -1],
    ['HalfDown', 1.5, 1], ['HalfDown', -1.5, -2],
    ['HalfToEven', 1.5, 2], ['HalfToEven', 2.5, 2],
    ['HalfToOdd', 1.5, 1], ['HalfToOdd', 0.5, 1],
    ['HalfTowardsZero', 1.5, 1], ['HalfTowardsZero', -1.5, -1],
    ['TowardsZero', 1.6, 1], ['TowardsZero', -1.6, -1],
    ['AwayFromZero', 1.4, 2], ['AwayFromZero', -1.4, -2],
    ['Up', 1.4, 2], ['Up', -1.6, -1],
    ['Down', 1.6, 1], ['Down', -1.4, -2],
  ] as [RoundingMode, number, number][])('%s(%d) = %d', (mode, v, want) => {
    expect(roundToInt(v, mode)).toBe(want);
  });

  it('numbers the modes as TPU-MLIR does (ROUNDING_HALF_AWAY_FROM_ZERO = 0 ... ROUNDING_DOWN = 9)', () => {
    expect(MODES.map((m) => ROUNDING_MODE_NUMBERS[m])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('HalfAwayFromZero is exact at halves of large and tiny values', () => {
    expect(roundToInt(0.49999999999999994)).toBe(0); // Math.round-style x + 0.5 would give 1
    expect(roundToInt(-2.5)).toBe(-3);
    expect(roundToInt(4503599627370495.5)).toBe(4503599627370496);
    expect(Object.is(roundToInt(-0.2), 0)).toBe(true);
  });

  it('HalfToEven rounds |v| in C float first, as TPU-MLIR does', () => {
    // 2.5000001 is 2.5 in float, so it rounds to even 2 (a double rounding would give 3).
    expect(roundToInt(2.50000001, 'HalfToEven')).toBe(2);
    expect(roundToInt(-3.5, 'HalfToEven')).toBe(-4);
  });
});

describe('saturation (to_int8 / to_uint8 / to_int16 ...)', () => {
  it('rounds half away from zero, then clamps to the storage range', () => {
    expect([127.4, 127.5, -128.5, -3.5, 3.5].map((v) => toInt8(v))).toEqual([127, 127, -128, -4, 4]);
    expect([-0.4, -0.6, 254.5, 255.7].map((v) => toUint8(v))).toEqual([0, 0, 255, 255]);
    expect([32767.5, -40000, 12.5].map((v) => toInt16(v))).toEqual([32767, -32768, 13]);
    expect([70000, -1, 2.5].map((v) => toUint16(v))).toEqual([65535, 0, 3]);
    expect([7.5, -8.6, 0.5].map((v) => toInt4(v))).toEqual([7, -8, 1]);
    expect([15.5, -1].map((v) => toUint4(v))).toEqual([15, 0]);
  });

  it('takes a rounding mode', () => {
    expect(toInt8(2.5, 'HalfToEven')).toBe(2);
    expect(toInt8(-2.5, 'HalfUp')).toBe(-2);
    expect(saturate(300.2, { bits: 8, signed: true }, 'Down')).toBe(127);
    expect(saturate(-7.5, { bits: 16, signed: false })).toBe(0);
  });
});

describe('rightShiftRound (RightShiftRound)', () => {
  it('follows the spec: floor, plus one by the bits shifted out', () => {
    // src = -6 = ...11010, shift 2: floor -2, mant = 0b10 = half.
    expect(rightShiftRound(-6, 2, 'HalfAwayFromZero')).toBe(-2); // src < 0 needs mant > half
    expect(rightShiftRound(-6, 2, 'HalfUp')).toBe(-1);
    expect(rightShiftRound(-6, 2, 'HalfToEven')).toBe(-2);
    expect(rightShiftRound(-10, 2, 'HalfToEven')).toBe(-2); // -2.5: floor -3 odd → -2
    expect(rightShiftRound(6, 2, 'HalfAwayFromZero')).toBe(2);
    expect(rightShiftRound(6, 2, 'HalfDown')).toBe(1);
    expect(rightShiftRound(-5, 2, 'TowardsZero')).toBe(-1);
    expect(rightShiftRound(5, 2, 'Up')).toBe(2);
    expect(rightShiftRound(-5, 2, 'Down')).toBe(-2);
  });

  it('shift 0 keeps the value, a negative shift shifts left, shifts past 63 count as 63', () => {
    expect(rightShiftRound(-7, 0, 'HalfUp')).toBe(-7);
    expect(rightShiftRound(3, -4, 'HalfUp')).toBe(48);
    expect(rightShiftRound(2 ** 52, 80, 'Down')).toBe(0);
    expect(rightShiftRoundBig(-(2n ** 62n), 70, 'Down')).toBe(-1n);
  });

  it('equals rounding src / 2^shift with the same mode (every mode)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(...MODES), (src, s, mode) => {
        expect(rightShiftRound(src, s, mode)).toBe(roundToInt(src / 2 ** s, mode));
      }),
      { numRuns: 3000 },
    );
  });

  it('the BigInt version agrees with the number version', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: -3, max: 63 }), fc.constantFrom(...MODES), (src, s, mode) => {
        if (s < 0 && Math.abs(src) > 2 ** 40) return;
        expect(Number(rightShiftRoundBig(BigInt(src), s, mode))).toBe(rightShiftRound(src, s, mode));
      }),
      { numRuns: 3000 },
    );
  });

  it('multiplies exactly past 2^53 (int32 accumulator × 31-bit multiplier)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 40 }), (v, m, s) => {
        const want = Number(rightShiftRoundBig(BigInt(v) * BigInt(m), s, 'HalfUp'));
        expect(mulRightShiftRound(v, m, s, 'HalfUp')).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('applyMultiplierAndRShift', () => {
  it('MultiplierShift on BM168x: (v·m) >> r rounding half up', () => {
    // 1000 · 5368709 / 2^30 = 4.99999...: rounds to 5; -1000 → -5.
    expect(applyMultiplierAndRShift(1000, 5368709, 30)).toBe(5);
    expect(applyMultiplierAndRShift(-1000, 5368709, 30)).toBe(-5);
    // exactly half: 3 · 1 >> 1 = 1.5 → 2; -3 → -1 (half up)
    expect(applyMultiplierAndRShift(3, 1, 1)).toBe(2);
    expect(applyMultiplierAndRShift(-3, 1, 1)).toBe(-1);
    expect(applyMultiplierAndRShift(-3, 1, 1, { roundingMode: 'HalfAwayFromZero' })).toBe(-2);
  });

  it('OnlyShift ignores the multiplier', () => {
    expect(applyMultiplierAndRShift(100, 999, 3, { quantMode: 'OnlyShift' })).toBe(13);
  });

  it('CV18xx MultiplierShift computes in C float', () => {
    // 16777217 is not a float: float(v) = 16777216, ·3 / 2^2 = 12582912.
    expect(applyMultiplierAndRShift(16777217, 3, 2, { cv18xx: true })).toBe(12582912);
    expect(applyMultiplierAndRShift(16777217, 3, 2)).toBe(12582913);
  });

  it('QDM / TFLite: MultiplyByQuantizedMultiplier with a left or right shift', () => {
    // m = 2^30 stands for 0.5: x · 0.5, then >> 2 → 1000 · 0.5 / 4 = 125.
    expect(applyMultiplierAndRShift(1000, 2 ** 30, -2, { quantMode: 'QDM', roundingMode: 'HalfAwayFromZero' })).toBe(125);
    expect(multiplyByQuantizedMultiplier(1000, 2 ** 30, 1)).toBe(1000);
    // CV18xx stores the right shift as a positive number.
    expect(applyMultiplierAndRShift(1000, 2 ** 30, 2, { quantMode: 'QDM', cv18xx: true, roundingMode: 'HalfAwayFromZero' })).toBe(125);
    // x << shift wraps in 32 bits, as the C code's int shift does: (2^31 − 1) << 1 = −2
    expect(multiplyByQuantizedMultiplier(2 ** 31 - 1, 2 ** 31 - 1, 1)).toBe(-2);
  });

  it('MultiplyByQuantizedMultiplier equals its definition on random inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.integer({ min: -20, max: 0 }), (x, m, shift) => {
        let t = rightShiftRoundBig(BigInt(x) * BigInt(m), 31, 'HalfUp');
        t = t > 2147483647n ? 2147483647n : t < -2147483648n ? -2147483648n : t;
        const want = Number(rightShiftRoundBig(t, -shift, 'HalfAwayFromZero'));
        expect(multiplyByQuantizedMultiplier(x, m, shift)).toBe(want);
      }),
      { numRuns: 1000 },
    );
  });
});
