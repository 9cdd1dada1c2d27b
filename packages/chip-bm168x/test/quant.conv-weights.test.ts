// Conv weight and bias quantization: BM1684X family per-channel int8 + int32 bias + 32-bit
// multiplier/shift (spec deploy.md §3.10 Conv), BM1684 per-layer shift + int16 bias (§3.11).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allIntScale,
  applyMultiplierAndRShift,
  getScaleAndShift,
  quantize,
  quantizeConvBM1684,
  quantizeConvBM1684X,
  toInt8,
} from '../src/index.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

describe('quantizeConvBM1684X: hand-checked 2-channel example', () => {
  // oc = 2, three weights each; Si = 0.05, So = 0.1
  const filter = f32(0.5, -1.0, 0.3, 0.2, 0.09, -0.05);
  const bias = f32(0.1, -0.2);
  const r = quantizeConvBM1684X({ filter, oc: 2, bias, inScale: 0.05, outScale: 0.1 });

  it('Sw_c = max|W_c| / 127 in C float, weights to_int8(W / Sw_c)', () => {
    expect(r.filterSigned).toBe(true);
    expect(r.weightScales).toEqual([Math.fround(1 / 127), Math.fround(Math.fround(0.2) / 127)]);
    // 0.5 / (1/127) = 63.5 (a hair above, Sw being rounded down in float) → 64; 0.3f·127 = 38.1 → 38
    expect(Array.from(r.filter)).toEqual([64, -127, 38, 127, 57, -32]);
  });

  it('bias_c = round(b_c / (Sw_c · Si)) as int32', () => {
    // 0.1 / (0.0078740157 · 0.05) = 254.0; -0.2 / (0.2/127 · 0.05) = -2540
    expect(Array.from(r.bias!)).toEqual([254, -2540]);
  });

  it('(m_c, r_c) = get_scale_and_shift(Sw_c · Si / So, 32)', () => {
    r.weightScales.forEach((sw, c) => {
      expect({ multiplier: r.multipliers[c], shift: r.rshifts[c] }).toEqual(getScaleAndShift((sw * 0.05) / 0.1, 32));
      expect(r.multipliers[c]! / 2 ** r.rshifts[c]!).toBeCloseTo((sw * 0.05) / 0.1, 12);
    });
  });
});

describe('quantizeConvBM1684X: special cases', () => {
  it('weights on a 2^-k int8 grid keep scale 1/2^k exactly (to_all_int8)', () => {
    expect(allIntScale([0.25, -0.5, 31.75], true)).toBe(4);
    expect(allIntScale([0.3], true)).toBeUndefined();
    expect(allIntScale([200], true)).toBeUndefined();
    expect(allIntScale([200], false)).toBe(1);
    const r = quantizeConvBM1684X({ filter: f32(0.25, -0.5, 31.75, 1), oc: 2, bias: f32(0, 0), inScale: 0.1, outScale: 0.1 });
    expect(r.allInt).toBe(true);
    expect(r.weightScales).toEqual([0.25, 0.25]);
    expect(Array.from(r.filter)).toEqual([1, -2, 127, 4]);
  });

  it('non-negative weights without bias make an unsigned filter (/255)', () => {
    const r = quantizeConvBM1684X({ filter: f32(0.3, 0.6, 0.9, 0.1), oc: 1, inScale: 0.1, outScale: 0.1 });
    expect(r.filterSigned).toBe(false);
    expect(r.filter).toBeInstanceOf(Uint8Array);
    expect(r.weightScales).toEqual([Math.fround(Math.fround(0.9) / 255)]);
    expect(Array.from(r.filter)).toEqual([85, 170, 255, 28]);
    expect(r.bias).toBeUndefined();
  });

  it('uses the table’s per-channel weight scales when given', () => {
    const r = quantizeConvBM1684X({ filter: f32(0.5, -0.5), oc: 2, bias: f32(1, 1), inScale: 0.5, outScale: 1, weightScales: [0.01, 0.1] });
    expect(r.weightScales).toEqual([0.01, 0.1]);
    expect(Array.from(r.filter)).toEqual([50, -5]);
    expect(Array.from(r.bias!)).toEqual([200, 20]);
  });

  it('floors a channel scale at 1e-5 (an all-zero channel)', () => {
    const r = quantizeConvBM1684X({ filter: f32(0, 0, 0.3, -1), oc: 2, bias: f32(0, 0), inScale: 0.1, outScale: 0.1 });
    expect(r.weightScales[0]).toBe(Math.fround(1e-5));
    expect(Array.from(r.filter.subarray(0, 2))).toEqual([0, 0]);
  });

  it('replaces an input scale ≤ 1e-5 by max|bias|/127, or max|W|/127 when the bias is tiny', () => {
    expect(quantizeConvBM1684X({ filter: f32(1, -2), oc: 1, bias: f32(0.5), inScale: 0, outScale: 1 }).inScale).toBe(0.5 / 127);
    expect(quantizeConvBM1684X({ filter: f32(1, -2), oc: 1, inScale: 1e-6, outScale: 1 }).inScale).toBe(2 / 127);
  });

  it('asymmetric input: the bias absorbs −Σ Wq·ZPi, so Σ Wq·(q − ZPi) + b = Σ Wq·q + bias', () => {
    const filter = f32(0.3, -0.7, 0.2, 0.05, 0.4, -0.1);
    const b = f32(0.013, -0.37);
    const sym = quantizeConvBM1684X({ filter, oc: 2, bias: b, inScale: 0.02, outScale: 0.05 });
    const asym = quantizeConvBM1684X({ filter, oc: 2, bias: b, inScale: 0.02, inZeroPoint: -13, outScale: 0.05 });
    const q = [5, -100, 77];
    for (let c = 0; c < 2; c++) {
      const w = Array.from(asym.filter.subarray(c * 3, c * 3 + 3));
      const lhs = w.reduce((s, wi, t) => s + wi * (q[t]! + 13), 0) + sym.bias![c]!;
      const rhs = w.reduce((s, wi, t) => s + wi * q[t]!, 0) + asym.bias![c]!;
      expect(rhs).toBe(lhs);
    }
    // no bias but a zero point: an int32 bias appears
    expect(quantizeConvBM1684X({ filter, oc: 2, inScale: 0.02, inZeroPoint: 3, outScale: 0.05 }).bias).toBeInstanceOf(Int32Array);
  });
});

describe('quantizeConvBM1684X: properties', () => {
  const arr = (n: number) => fc.array(fc.float({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

  it('dequantised weights lie within half a step of the floats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }).chain((k) => fc.tuple(fc.constant(k), arr(36))), (oc, [k, w]) => {
        const filter = Float32Array.from(w.slice(0, oc * k));
        const r = quantizeConvBM1684X({ filter, oc, bias: new Float32Array(oc), inScale: 0.1, outScale: 0.1 });
        for (let i = 0; i < filter.length; i++) {
          const sw = r.weightScales[Math.floor(i / k)]!;
          expect(Math.abs(r.filter[i]! * sw - filter[i]!)).toBeLessThanOrEqual(sw / 2 + 1e-7 * Math.abs(filter[i]!));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the integer conv (acc · m >> r, HalfUp) tracks the float conv within a few output codes', () => {
    const ic = 16;
    const oc = 4;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const filter = Float32Array.from({ length: oc * ic }, rnd);
    const bias = Float32Array.from({ length: oc }, () => rnd() * 0.5);
    const xs = Array.from({ length: 200 }, () => Float32Array.from({ length: ic }, rnd));
    const yf = xs.map((x) => Array.from({ length: oc }, (_, c) => x.reduce((s, xi, t) => s + xi * filter[c * ic + t]!, bias[c]!)));
    const yMax = Math.max(...yf.flat().map(Math.abs));
    const inP = { scale: 1 / 127, zeroPoint: 0, signed: true, bits: 8 } as const;
    const outP = { scale: yMax / 127, zeroPoint: 0, signed: true, bits: 8 } as const;
    const r = quantizeConvBM1684X({ filter, oc, bias, inScale: inP.scale, outScale: outP.scale });
    let sum = 0;
    let worst = 0;
    xs.forEach((x, n) => {
      const q = Array.from(x, (v) => quantize(v, inP));
      for (let c = 0; c < oc; c++) {
        const acc = q.reduce((s, qi, t) => s + qi * r.filter[c * ic + t]!, r.bias![c]!);
        const y = toInt8(applyMultiplierAndRShift(acc, r.multipliers[c]!, r.rshifts[c]!));
        const d = Math.abs(y - quantize(yf[n]![c]!, outP));
        sum += d;
        worst = Math.max(worst, d);
      }
    });
    expect(sum / (xs.length * oc)).toBeLessThan(0.7);
    expect(worst).toBeLessThanOrEqual(4);
  });
});

describe('quantizeConvBM1684 (per-layer shift, int16 bias)', () => {
  it('rshift = calRightShiftNum(max|W|, Si, So); Wq = to_int8(W · 2^r · Si/So); bias = round(b · 2^r / So)', () => {
    const r = quantizeConvBM1684({ filter: f32(0.5, -0.25, 0.1), bias: f32(0.5, -1), inScale: 1, outScale: 1 })!;
    expect(r.rshift).toBe(7);
    expect(Array.from(r.filter)).toEqual([64, -32, 13]);
    expect(Array.from(r.bias!)).toEqual([64, -128]);
  });

  it('lowers the shift while more than 3 % of the bias overflows int16', () => {
    const r = quantizeConvBM1684({ filter: f32(0.5, -0.25, 0.1), bias: f32(300, 1), inScale: 1, outScale: 1 })!;
    expect(r.rshift).toBe(6);
    expect(Array.from(r.bias!)).toEqual([19200, 64]);
    expect(Array.from(r.filter)).toEqual([32, -16, 6]);
  });

  it('gives up (F32) when max|W|·Si/So is already ≥ 127', () => {
    expect(quantizeConvBM1684({ filter: f32(200, 1), inScale: 1, outScale: 1 })).toBeUndefined();
  });

  it('Wq · q_in >> r approximates W · x / So', () => {
    const filter = f32(0.31, -0.12, 0.07, 0.22);
    const r = quantizeConvBM1684({ filter, inScale: 0.05, outScale: 0.02 })!;
    const q = [40, -90, 127, 3];
    const acc = q.reduce((s, qi, t) => s + qi * r.filter[t]!, 0);
    const yf = q.reduce((s, qi, t) => s + qi * 0.05 * filter[t]!, 0) / 0.02;
    expect(Math.abs(applyMultiplierAndRShift(acc, 1, r.rshift, { quantMode: 'OnlyShift' }) - yf)).toBeLessThan(1.5);
  });
});
