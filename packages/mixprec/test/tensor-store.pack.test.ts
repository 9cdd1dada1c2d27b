// Cached activations in their storage types: f16/bf16 bit patterns round to nearest even and
// read back as ir's widening does; int8 codes dequantize as S·(q − ZP).
import { describe, expect, test } from 'vitest';
import { bf16BitsOf, bf16BitsToNumber, dequantize, f16BitsOf, f16BitsToNumber, floatToBits, ndarray, tensorType, type TensorType } from '@tpu-quant/ir';
import { packTensor, unpackTensor } from '../src/index.js';

function seeded(n: number): number[] {
  let s = 12345;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const e = (s % 60) - 30; // exponents across normal, subnormal and overflow ranges of f16
    out.push(((s / 2 ** 32) * 2 - 1) * 2 ** e);
  }
  return out;
}

describe('ir f16BitsOf / bf16BitsOf', () => {
  test('equal ir floatToBits (round to nearest even) on f32 values over every range', () => {
    const f = new Float32Array(seeded(20000).concat([0, -0, 65504, 65520, 65519.99, 2 ** -24, 2 ** -25, 3 * 2 ** -26, Infinity, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11]));
    for (const x of f) {
      expect(f16BitsOf(x)).toBe(Number(floatToBits(x, 'f16')));
      expect(bf16BitsOf(x)).toBe(Number(floatToBits(x, 'bf16')));
    }
  });
  test('NaN stays NaN', () => {
    expect(Number.isNaN(f16BitsToNumber(f16BitsOf(NaN)))).toBe(true);
    expect(Number.isNaN(bf16BitsToNumber(bf16BitsOf(NaN)))).toBe(true);
  });
});

describe('packTensor / unpackTensor', () => {
  const q = (signed: boolean): TensorType => ({
    kind: 'tensor', shape: [4],
    element: { kind: 'quant.uniform', storage: { kind: 'int', width: 8, signedness: signed ? 'signed' : 'unsigned' }, expressed: { kind: 'float', name: 'f32' }, scales: [0.5], zeroPoints: [signed ? 0 : 3] },
  } as TensorType);

  test('int8 / uint8 codes as Int8Array / Uint8Array, dequantized as ir dequantize does', () => {
    for (const signed of [true, false]) {
      const a = ndarray('f32', [4], new Float32Array(signed ? [-128, -1, 0, 127] : [0, 3, 4, 255]));
      const p = packTensor(a, q(signed));
      expect(p.dtype).toBe(signed ? 'i8' : 'u8');
      expect([...unpackTensor(p, q(signed)).data]).toEqual([...dequantize(a, q(signed)).data]);
    }
  });

  test('f16 values as bit patterns, widened back exactly', () => {
    const t = tensorType([3], { kind: 'float', name: 'f16' });
    const a = ndarray('f32', [3], new Float32Array([1.5, -0.0999755859375, 65504]));
    const p = packTensor(a, t);
    expect(p.dtype).toBe('f16');
    expect([...unpackTensor(p, t).data]).toEqual([...a.data]);
  });

  test('f32 tensors are kept as they are', () => {
    const a = ndarray('f32', [2], new Float32Array([1, 2]));
    expect(packTensor(a, tensorType([2], { kind: 'float', name: 'f32' }))).toBe(a);
    expect(unpackTensor(a, undefined)).toBe(a);
  });
});
