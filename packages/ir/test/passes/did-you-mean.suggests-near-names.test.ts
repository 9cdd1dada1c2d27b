import { describe, expect, it } from 'vitest';
import { closestNames, didYouMean } from '../../src/passes/index.js';

describe('closestNames', () => {
  const names = ['dce', 'verify', 'sort-topologically', 'set-module-attr'];

  it('finds typos, swaps and prefixes, ignoring case', () => {
    expect(closestNames('sort-topologicaly', names)).toEqual(['sort-topologically']);
    expect(closestNames('verfiy', names)).toEqual(['verify']);
    expect(closestNames('SORT', names)).toEqual(['sort-topologically']);
    expect(closestNames('BM1648X', ['bm1684', 'bm1684x', 'cv183x'])).toEqual(['bm1684x', 'bm1684']);
  });

  it('suggests nothing for a far-off word', () => {
    expect(closestNames('lower-to-tpu', names)).toEqual([]);
    expect(didYouMean('lower-to-tpu', names)).toBe('');
    expect(didYouMean('dcee', names)).toBe('did you mean "dce"?');
  });
});
