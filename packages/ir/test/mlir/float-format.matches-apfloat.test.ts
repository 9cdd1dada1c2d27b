// MLIR's float spelling: expected strings are what MLIR's printFloatValue / LLVM's
// APFloat::toString produce (cross-checked against MLIR output found in real files, e.g.
// `0.020797558267716534`, `-2.6412898999999999`, `3.14159274 : f32`, `2.1302925597410649E-4`).
import { describe, expect, it } from 'vitest';
import { apFloatToString, bitsToFloat, floatToBits, formatMlirFloat, parseFloatLiteral, roundToFloat } from '@tpu-quant/ir';

describe('formatMlirFloat', () => {
  it.each([
    [1, '1.000000e+00'],
    [-1, '-1.000000e+00'],
    [0, '0.000000e+00'],
    [-0, '-0.000000e+00'],
    [0.017, '1.700000e-02'],
    [1.2, '1.200000e+00'],
    [6, '6.000000e+00'],
    [1e-5, '1.000000e-05'],
    [3.4e38, '3.400000e+38'],
    [1e21, '1.000000e+21'],
    [0.0235, '2.350000e-02'],
  ])('%s at f64 uses the short %%e form: %s', (v, s) => {
    expect(formatMlirFloat(v)).toBe(s);
  });

  it.each([
    // Needs more than 6 digits: APFloat's default form, plain while at most 3 padding zeros...
    [0.0039215686274509803, '0.0039215686274509803'],
    [1 / 3, '0.33333333333333331'],
    [2.6412899, '2.6412898999999999'],
    [-0.9297966, '-0.92979659999999997'],
    [10.2680979, '10.268097900000001'],
    [0.020797558267716534, '0.020797558267716534'],
    [100000000.5, '100000000.5'],
    // ...scientific with a capital E (17 significant digits, rounded half up) beyond that.
    [1.2345678901234567e-5, '1.2345678901234568E-5'],
    [2.1302925597410649e-4, '2.1302925597410649E-4'],
    [1.7976931348623157e308, '1.7976931348623157E+308'],
  ])('%s at f64 falls back to the shortest safe form: %s', (v, s) => {
    expect(formatMlirFloat(v)).toBe(s);
  });

  it('prints f32 values at f32 width', () => {
    expect(formatMlirFloat(Math.fround(0.1), 'f32')).toBe('1.000000e-01');
    expect(formatMlirFloat(Math.fround(3.14159274), 'f32')).toBe('3.14159274');
    expect(formatMlirFloat(Math.fround(0.9562788), 'f32')).toBe('0.9562788');
    expect(formatMlirFloat(Math.fround(-0.624969602), 'f32')).toBe('-0.624969602');
    expect(formatMlirFloat(2 ** -149, 'f32')).toBe('1.401300e-45');
    // The same double at f64 width needs all its digits.
    expect(formatMlirFloat(Math.fround(0.1), 'f64')).toBe('0.10000000149011612');
  });

  it('prints f16 and bf16 values at their width', () => {
    expect(formatMlirFloat(0.1, 'f16')).toBe('9.997550e-02');
    expect(formatMlirFloat(65504, 'f16')).toBe('6.550400e+04');
    expect(formatMlirFloat(1.5, 'bf16')).toBe('1.500000e+00');
    expect(formatMlirFloat(0.1, 'bf16')).toBe('1.000980e-01');
  });

  it('prints inf, nan and integers too long for the default form as hex bits', () => {
    expect(formatMlirFloat(NaN, 'f32')).toBe('0x7FC00000');
    expect(formatMlirFloat(NaN, 'f64')).toBe('0x7FF8000000000000');
    expect(formatMlirFloat(Infinity, 'f64')).toBe('0x7FF0000000000000');
    expect(formatMlirFloat(-Infinity, 'f32')).toBe('0xFF800000');
    expect(formatMlirFloat(Infinity, 'f16')).toBe('0x7C00');
    expect(formatMlirFloat(-Infinity, 'bf16')).toBe('0xFF80');
    // 9 digits do not fit 6, and APFloat's default form has no '.', so MLIR writes bits.
    expect(formatMlirFloat(123456789)).toBe('0x419D6F3454000000');
    expect(formatMlirFloat(16777216, 'f32')).toBe('0x4B800000');
  });

  it('reads back every spelling it writes', () => {
    const samples = [1, -1, 0.1, 1 / 3, 1e-300, 5e-324, 2 ** 60 + 2 ** 8, 123456789, 1.7976931348623157e308, -0];
    for (const v of samples) {
      const s = formatMlirFloat(v);
      const back = s.startsWith('0x') ? bitsToFloat(BigInt(s), 'f64')! : parseFloatLiteral(s, 'f64');
      expect(Object.is(back, v)).toBe(true);
    }
  });
});

describe('APFloat::toString', () => {
  it('formats with precision, padding and zero truncation like LLVM', () => {
    expect(apFloatToString(1.5, 'f64', 0, 3, true)).toBe('1.5');
    expect(apFloatToString(1500, 'f64', 0, 3, true)).toBe('1500');
    expect(apFloatToString(15000, 'f64', 0, 3, true)).toBe('15000');
    expect(apFloatToString(1e20, 'f64', 0, 3, true)).toBe('1.0E+20');
    expect(apFloatToString(0.00015, 'f64', 0, 3, true)).toBe('1.4999999999999999E-4');
    expect(apFloatToString(0, 'f64', 6, 0, false)).toBe('0.000000e+00');
    expect(apFloatToString(0, 'f64', 0, 3, true)).toBe('0');
    // Rounds half up on the digits, carrying into a new leading digit...
    expect(apFloatToString(1999999.5, 'f64', 6, 0, false)).toBe('2.000000e+06');
    // ...but first drops far digits by truncation, which can leave exactly 6 digits and no
    // rounding at all (LLVM's behaviour; MLIR then sees the mismatch and prints more digits).
    expect(apFloatToString(9.9999996, 'f64', 6, 0, false)).toBe('9.999990e+00');
    expect(formatMlirFloat(9.9999996)).toBe('9.9999996000000006'); // exact: 9.99999960000000065...
  });
});

describe('float widths', () => {
  it('rounds to f16 and bf16 with ties to even, overflowing to infinity', () => {
    expect(roundToFloat(1 + 2 ** -11, 'f16')).toBe(1);
    expect(roundToFloat(1 + 3 * 2 ** -11, 'f16')).toBe(1 + 2 ** -9);
    expect(roundToFloat(65520, 'f16')).toBe(Infinity);
    expect(roundToFloat(65519, 'f16')).toBe(65504);
    expect(roundToFloat(2 ** -25, 'f16')).toBe(0);
    expect(roundToFloat(3 * 2 ** -26, 'f16')).toBe(2 ** -24);
    expect(roundToFloat(1 + 2 ** -8, 'bf16')).toBe(1);
    expect(roundToFloat(-(1 + 3 * 2 ** -8), 'bf16')).toBe(-(1 + 2 ** -6));
  });

  it('converts bit patterns both ways', () => {
    expect(floatToBits(1, 'f16')).toBe(0x3c00n);
    expect(floatToBits(-2, 'bf16')).toBe(0xc000n);
    expect(floatToBits(2 ** -24, 'f16')).toBe(1n);
    expect(bitsToFloat(0x7bffn, 'f16')).toBe(65504);
    expect(bitsToFloat(0x3f80n, 'bf16')).toBe(1);
    expect(bitsToFloat(0x1_0000_0000n, 'f32')).toBeUndefined();
    for (const w of ['f16', 'bf16', 'f32', 'f64'] as const) {
      for (const v of [0.5, -3.25, 1e-3, 100, -0]) {
        const r = roundToFloat(v, w);
        expect(Object.is(bitsToFloat(floatToBits(r, w), w), r)).toBe(true);
      }
    }
  });
});
