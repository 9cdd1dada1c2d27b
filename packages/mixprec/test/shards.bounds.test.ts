// How the sensitivity search splits its samples over worker threads: contiguous shards in sample
// order, covering every sample once, sizes differing by at most one.
import { describe, expect, test } from 'vitest';
import { shardBounds } from '../src/shards/index.js';

describe('shardBounds', () => {
  test('even and uneven splits', () => {
    expect(shardBounds(4, 2)).toEqual([[0, 2], [2, 4]]);
    expect(shardBounds(5, 3)).toEqual([[0, 1], [1, 3], [3, 5]]);
    expect(shardBounds(10, 1)).toEqual([[0, 10]]);
  });

  test('every sample once, in order, sizes within one of each other', () => {
    for (let n = 1; n <= 40; n++) {
      for (let k = 1; k <= n; k++) {
        const b = shardBounds(n, k);
        expect(b).toHaveLength(k);
        expect(b[0]![0]).toBe(0);
        expect(b.at(-1)![1]).toBe(n);
        b.forEach(([a], i) => i > 0 && expect(a).toBe(b[i - 1]![1]));
        const sizes = b.map(([a, e]) => e - a);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});
