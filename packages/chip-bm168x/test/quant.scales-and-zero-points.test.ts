// Range → scale / zero point (spec deploy.md §3.3) and the quantize / dequantize pair.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibratedType, ui8, i8 } from '@tpu-quant/ir';
import {
  dequantize,
  getScale,
  getScaleAndZeroPoint,
  quantize,
  quantizeArray,
  quantParams,
  quantParamsOfUniform,
  uniformTypeFor,
} from '../src/index.js';

describe('symmetric scales (getScale)', () => {
  it('th/127 signed, th/255 unsigned; 4 and 16 bits likewise', () => {
    expect(getScale(5.832153, true)).toBe(5.832153 / 127);
    expect(getScale(5.832153, false)).toBe(5.832153 / 255);
    expect(getScale(7, true, 4)).toBe(1);
    expect(getScale(15, false, 4)).toBe(1);
    expect(getScale(1, true, 16)).toBe(1 / 32767);
    expect(getScale(1, false, 16)).toBe(1 / 65535);
  });

  it('quantParams: th = max(|min|, |max|), unsigned when min ≥ 0 (ReLU outputs are uint8)', () => {
    // the spec's table line: conv1_Relu 5.832153 0.000000 7.410221 → symmetric [0, 5.832153]
    expect(quantParams({ min: 0, max: 5.832153 }, false)).toEqual({ scale: 5.832153 / 255, zeroPoint: 0, signed: false, bits: 8 });
    expect(quantParams({ min: -6, max: 4 }, false)).toEqual({ scale: 6 / 127, zeroPoint: 0, signed: true, bits: 8 });
  });
});

describe('asymmetric scales (getScaleAndZeroPoint)', () => {
  it('S = (max − min) / 255, ZP = round(qmin − min / S)', () => {
    // [-1, 3]: S = 4/255, ZP = round(-128 + 63.75) = -64
    expect(getScaleAndZeroPoint(-1, 3)).toEqual({ scale: 4 / 255, zeroPoint: -64 });
    // min ≥ 0: uint8, ZP = round(0 − 0) = 0
    expect(getScaleAndZeroPoint(0, 2.55)).toEqual({ scale: 2.55 / 255, zeroPoint: 0 });
    // a half rounds away from zero: [-0.5, 0.5] → S = 1/255, ZP = round(-128 + 127.5) = -1
    expect(getScaleAndZeroPoint(-0.5, 0.5).zeroPoint).toBe(-1);
  });

  it('nudges a zero point outside [qmin, qmax] to the bound and rescales', () => {
    // all-negative range [-4, -1]: ZP from min = 212 > 127 → ZP 127, S = -4 / (-128 - 127)
    expect(getScaleAndZeroPoint(-4, -1)).toEqual({ scale: 4 / 255, zeroPoint: 127 });
    // all-positive range [1, 3] (uint8): ZP from min = -127.5 < 0 → ZP 0, S = 3 / 255
    expect(getScaleAndZeroPoint(1, 3)).toEqual({ scale: 3 / 255, zeroPoint: 0 });
  });

  it('4 and 16 bits use their own ranges', () => {
    expect(getScaleAndZeroPoint(-1, 2, 4)).toEqual({ scale: 3 / 15, zeroPoint: -3 });
    expect(getScaleAndZeroPoint(0, 1, 16)).toEqual({ scale: 1 / 65535, zeroPoint: 0 });
  });

  it('quantParams(…, asymmetric) uses the table min/max', () => {
    expect(quantParams({ min: -1, max: 3 }, true)).toEqual({ scale: 4 / 255, zeroPoint: -64, signed: true, bits: 8 });
  });
});

describe('quantized types (getQuantInt8Type)', () => {
  it('i8 for a signed range, u8 for an unsigned one, expressed type kept', () => {
    const s = uniformTypeFor(calibratedType(-2.54, 2.54), false);
    expect(s.storage).toEqual(i8);
    expect(s.scales[0]).toBeCloseTo(0.02, 15);
    expect(s.zeroPoints).toEqual([0]);
    const u = uniformTypeFor(calibratedType(0, 6), false);
    expect(u.storage).toEqual(ui8);
    expect(u.scales).toEqual([6 / 255]);
    const a = uniformTypeFor(calibratedType(-1, 3), true);
    expect(quantParamsOfUniform(a)).toEqual({ scale: 4 / 255, zeroPoint: -64, signed: true, bits: 8 });
  });
});

describe('quantize / dequantize', () => {
  it('q = saturate(round(r / S) + ZP); r = S·(q − ZP)', () => {
    const p = { scale: 0.5, zeroPoint: -10, signed: true, bits: 8 } as const;
    expect([0, 0.25, -0.25, 1000, -1000].map((r) => quantize(r, p))).toEqual([-10, -9, -11, 127, -128]);
    expect(dequantize(-9, p)).toBe(0.5);
    const u = { scale: 0.1, zeroPoint: 0, signed: false, bits: 8 } as const;
    expect(Array.from(quantizeArray([-1, 0.04, 0.05, 25.4, 30], u))).toEqual([0, 0, 1, 254, 255]);
  });

  it('round-trips any value inside the range within half a step', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 0, noNaN: true }),
        fc.double({ min: 0.01, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (lo, span, t, asym) => {
          const range = { min: lo, max: lo + span };
          const p = quantParams(range, asym);
          const r = range.min + t * span;
          const back = dequantize(quantize(r, p), p);
          expect(Math.abs(back - r)).toBeLessThanOrEqual(p.scale / 2 + 1e-9 * span);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
