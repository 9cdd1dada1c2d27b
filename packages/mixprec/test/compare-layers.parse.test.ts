// --global_compare_layers (§12.3): names with optional rates; all or none rated, rates summing to 1.
import { describe, expect, test } from 'vitest';
import { isUserError } from '@tpu-quant/ir';
import { parseCompareLayers } from '../src/index.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isUserError(e) ? `${e.code}: ${e.message}` : 'not a UserError';
  }
  return undefined;
}

describe('parseCompareLayers', () => {
  test('empty: none', () => {
    expect(parseCompareLayers('')).toBeUndefined();
    expect(parseCompareLayers(undefined)).toBeUndefined();
  });
  test('names without rates weigh 1 each; spaces around entries are trimmed', () => {
    expect(parseCompareLayers('a, b ,c')).toEqual({ names: ['a', 'b', 'c'], rates: [1, 1, 1] });
  });
  test('rates', () => {
    expect(parseCompareLayers('out1:0.3,out2:0.7')).toEqual({ names: ['out1', 'out2'], rates: [0.3, 0.7] });
    expect(parseCompareLayers('a:0.25, b : 0.75')).toEqual({ names: ['a', 'b'], rates: [0.25, 0.75] });
  });
  test('rates must sum to exactly 1 in doubles, as Python sum() does', () => {
    expect(code(() => parseCompareLayers('a:0.5,b:0.6'))).toBe('E_BAD_FLAG: --global_compare_layers rates sum to 1.1, not 1');
    // 0.7 + 0.2 + 0.1 is 0.9999999999999999 in doubles: upstream rejects it too
    expect(code(() => parseCompareLayers('a:0.7,b:0.2,c:0.1'))).toMatch(/^E_BAD_FLAG: --global_compare_layers rates sum to 0.9999999999999999/);
  });
  test('all or none rated; rates are numbers', () => {
    expect(code(() => parseCompareLayers('a:1,b'))).toBe('E_BAD_FLAG: --global_compare_layers "a:1,b": 1 of 2 layers have a rate');
    expect(code(() => parseCompareLayers('a:x'))).toBe('E_BAD_FLAG: --global_compare_layers: "a:x" has no numeric rate');
    expect(code(() => parseCompareLayers('a,,b'))).toMatch(/^E_BAD_FLAG: .*empty name/);
  });
});
