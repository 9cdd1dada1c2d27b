import { describe, expect, test } from 'vitest';
import {
  attrsEqual, attrToNumbers, calibratedType, dtypeOf, f32, floatAttr, fusedLoc, i64ArrayAttr, intAttr, locName,
  nameLoc, ndarray, numElements, tensorType, typesEqual, ui8, uniformPerAxisType, uniformType, i8, i1,
} from '@tpu-quant/ir';

describe('types', () => {
  test('storage dtypes of quant and plain element types', () => {
    expect(dtypeOf(uniformType(ui8, 0.02, 128))).toBe('u8');
    expect(dtypeOf(uniformPerAxisType(i8, 0, [0.1, 0.2], [0, 0]))).toBe('i8');
    expect(dtypeOf(calibratedType(-1, 1))).toBe('f32');
    expect(dtypeOf(i1)).toBe('bool');
  });

  test('structural equality and element counts', () => {
    expect(typesEqual(tensorType([1, 3], f32), tensorType([1, 3], f32))).toBe(true);
    expect(typesEqual(tensorType([1, 3], f32), tensorType([1, 3], f32, '4096 : i64'))).toBe(false);
    expect(numElements(tensorType([2, 3, 4], f32))).toBe(24);
    expect(numElements(tensorType([-1, 3], f32))).toBe(-1);
  });
});

describe('attributes and locations', () => {
  test('float equality ignores the remembered spelling', () => {
    expect(attrsEqual({ ...floatAttr(1), text: '1.000000e+00' }, floatAttr(1))).toBe(true);
    expect(attrsEqual(floatAttr(1), floatAttr(2))).toBe(false);
    expect(attrsEqual(intAttr(1), floatAttr(1))).toBe(false);
    expect(attrToNumbers(i64ArrayAttr([1, 2]))).toEqual([1, 2]);
  });

  test('fused locations name each result', () => {
    const loc = fusedLoc(['a', 'b']);
    expect(locName(loc, 1)).toBe('b');
    expect(locName(nameLoc('x'))).toBe('x');
    expect(locName(loc, 2)).toBeUndefined();
  });

  test('ndarray checks its data length', () => {
    expect(() => ndarray('f32', [2, 2], new Float32Array(3))).toThrow(/needs 4/);
    expect(ndarray('bf16', [2]).data).toBeInstanceOf(Uint16Array);
  });
});
