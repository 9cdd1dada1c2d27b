// 256-entry activation tables (spec deploy.md §3.10 "Unary activations", Softmax): indexed by the
// raw byte, each entry the direct computation for its code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyLut8,
  buildLut8,
  buildLutF32,
  dequantize,
  lutIndex,
  quantParams,
  softmaxExpTable,
  toInt8,
  toUint8,
  type QuantParams,
} from '../src/index.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const silu = (x: number): number => x * sigmoid(x);

describe('buildLut8', () => {
  const inP = quantParams({ min: -8, max: 8 }, false); // int8, S = 8/127
  const outP = quantParams({ min: 0, max: 1 }, false); // Sigmoid output forced to [0, 1]: uint8, S = 1/255
  const table = buildLut8(sigmoid, inP, outP);

  it('Sigmoid int8 → uint8: hand-checked entries', () => {
    expect(table).toBeInstanceOf(Uint8Array);
    expect(table[0]).toBe(128); // code 0: 0.5 · 255 = 127.5 → 128 (half away from zero)
    expect(table[127]).toBe(255); // code 127 = 8: 0.99966 · 255 = 254.9
    expect(table[128]).toBe(0); // code −128 (byte 0x80) = −8.06: 0.08 → 0
    expect(table[255]).toBe(toUint8(sigmoid(-8 / 127) * 255)); // code −1 sits at byte 255
    expect(table[255]).toBe(123); // sigmoid(−0.063) · 255 = 123.48
  });

  it('the table is indexed by the raw byte', () => {
    expect([0, 1, 127, -1, -128].map(lutIndex)).toEqual([0, 1, 127, 255, 128]);
    const codes = Int8Array.of(-128, -1, 0, 5, 127);
    const out = applyLut8(table, codes, new Uint8Array(5));
    expect(Array.from(out)).toEqual(Array.from(codes, (q) => toUint8(sigmoid(q * inP.scale) / outP.scale)));
  });

  it('equals the direct computation for every code, any scales and zero points', () => {
    const params = fc.record({
      scale: fc.double({ min: 1e-3, max: 1, noNaN: true }),
      zeroPoint: fc.integer({ min: -20, max: 20 }),
      signed: fc.boolean(),
      bits: fc.constant(8 as const),
    });
    fc.assert(
      fc.property(params, params, fc.constantFrom(sigmoid, silu, Math.tanh, (x: number) => x * x), (i, o, fn) => {
        const t = buildLut8(fn, i, o);
        const lo = i.signed ? -128 : 0;
        for (let q = lo; q < lo + 256; q++) {
          const y = fn((q - i.zeroPoint) * i.scale) / o.scale + o.zeroPoint;
          expect(t[lutIndex(q)]).toBe(o.signed ? toInt8(y) : toUint8(y));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('dequantised entries are within half an output step of f(x) inside the output range', () => {
    const i: QuantParams = quantParams({ min: -6, max: 6 }, false);
    const o: QuantParams = quantParams({ min: -1, max: 6 }, true); // asymmetric: S = 7/255, ZP = −92
    const t = buildLut8(silu, i, o);
    for (let q = -128; q < 128; q++) {
      const y = silu(dequantize(q, i));
      expect(Math.abs(dequantize(t[lutIndex(q)]!, o) - y)).toBeLessThanOrEqual(o.scale / 2 + 1e-12);
    }
  });

  it('unsigned inputs fill all 256 entries from codes 0..255', () => {
    const i = quantParams({ min: 0, max: 2.55 }, false);
    const t = buildLut8((x) => -x, i, quantParams({ min: -2.55, max: 2.55 }, false));
    expect(t).toBeInstanceOf(Int8Array);
    expect(t[0]).toBe(0);
    expect(t[255]).toBe(-127);
  });
});

describe('float tables', () => {
  it('buildLutF32: f(dequant(q)) in float for each byte', () => {
    const i = { scale: 0.1, zeroPoint: 0, signed: true, bits: 8 } as const;
    const t = buildLutF32(Math.exp, i);
    expect(t[0]).toBe(1);
    expect(t[255]).toBe(Math.fround(Math.exp(-0.1)));
    expect(t[128]).toBe(Math.fround(Math.exp(-12.8)));
  });

  it('softmaxExpTable: exp(−Si · i · beta)', () => {
    const t = softmaxExpTable(0.05, 2);
    expect(t[0]).toBe(1);
    expect(t[10]).toBe(Math.fround(Math.exp(-1)));
    expect(t.length).toBe(256);
  });
});
