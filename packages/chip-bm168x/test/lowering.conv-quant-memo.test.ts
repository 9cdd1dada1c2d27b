// quantizeConvMemo (the INT8 Conv lowering's memo of quantizeConvBM1684X per filter array, for the
// fresh lowerings of the mixed-precision searches) answers exactly what quantizeConvBM1684X does:
// same inputs hit, a changed scale / bias / filter changed in place misses, callers get copies.
import { describe, expect, it } from 'vitest';
import { ENTRIES_PER_FILTER, quantizeConvMemo } from '../src/lowering/conv-quant-memo.js';
import { quantizeConvBM1684X, type ConvQuantInput } from '../src/quant/conv-weights.js';

let seed = 5;
const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;

const input = (): ConvQuantInput => ({
  filter: Float32Array.from({ length: 8 * 27 }, rnd),
  oc: 8,
  bias: Float32Array.from({ length: 8 }, rnd),
  inScale: 0.021,
  outScale: 0.043,
});

const plain = (q: ReturnType<typeof quantizeConvBM1684X>) => ({ ...q, filter: [...q.filter], bias: q.bias ? [...q.bias] : undefined });

describe('quantizeConvMemo', () => {
  it('equals quantizeConvBM1684X on hits and misses, and hands out copies', () => {
    const p = input();
    const first = quantizeConvMemo(p);
    expect(plain(first)).toEqual(plain(quantizeConvBM1684X(p)));
    first.filter[0] = 99; // a lowering changing its weights must not reach the next
    first.multipliers[0] = 1;
    const again = quantizeConvMemo({ ...p });
    expect(plain(again)).toEqual(plain(quantizeConvBM1684X(p)));
    expect(again.filter).not.toBe(quantizeConvMemo(p).filter);
    for (const q of [{ ...p, inScale: 0.5 }, { ...p, outScale: 0.01 }, { ...p, inZeroPoint: 3 }, { ...p, bias: Float32Array.from(p.bias!, (v) => v * 2) }, { ...p, bias: undefined }]) {
      expect(plain(quantizeConvMemo(q))).toEqual(plain(quantizeConvBM1684X(q)));
    }
  });

  it('a filter changed in place is quantized again', () => {
    const p = input();
    quantizeConvMemo(p);
    (p.filter as Float32Array)[5] = 3.5;
    expect(plain(quantizeConvMemo(p))).toEqual(plain(quantizeConvBM1684X(p)));
  });

  it('keeps a few scales per filter, the oldest out first, and stays exact', () => {
    const p = input();
    const scales = Array.from({ length: ENTRIES_PER_FILTER + 2 }, (_, i) => 0.01 * (i + 1));
    for (const s of [...scales, ...scales]) expect(plain(quantizeConvMemo({ ...p, outScale: s }))).toEqual(plain(quantizeConvBM1684X({ ...p, outScale: s })));
  });
});
