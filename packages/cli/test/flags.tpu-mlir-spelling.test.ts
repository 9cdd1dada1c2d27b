import { describe, expect, test } from 'vitest';
import { parseNameList, parseNumberList, parseShapeList } from '@tpu-quant/cli';

describe('TPU-MLIR flag values', () => {
  test('--input_shapes takes a list of shapes, or one shape', () => {
    expect(parseShapeList('[[1,3,224,224],[1,2]]')).toEqual([[1, 3, 224, 224], [1, 2]]);
    expect(parseShapeList('[1,3,224,224]')).toEqual([[1, 3, 224, 224]]);
    expect(parseShapeList('[]')).toEqual([]);
  });

  test('bad shapes name the flag and show an example', () => {
    expect(() => parseShapeList('[[1,3,224,x]]')).toThrow(/--input_shapes .* is not a list of shapes/);
    expect(() => parseShapeList('[[1,0]]')).toThrow(/positive integers/);
  });

  test('number and name lists', () => {
    expect(parseNumberList('103.94,116.78, 123.68', 'mean')).toEqual([103.94, 116.78, 123.68]);
    expect(() => parseNumberList('1,,2', 'mean')).toThrow(/--mean/);
    expect(parseNameList('-')).toEqual([]);
    expect(parseNameList('a, b')).toEqual(['a', 'b']);
  });
});
