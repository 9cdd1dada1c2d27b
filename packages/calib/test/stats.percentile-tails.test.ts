// Percentile9999 and the "last five" |x| tails (spec §3.1, §3.4): our running selection of the k
// most extreme values against numpy's pool of per-sample sorted tails (fixtures/stats/gen_stats.py).
import { describe, expect, test } from 'vitest';
import { StatsCollector, type TensorInfo } from '../src/stats/index.js';
import { selectLargest, TopK } from '../src/stats/top-k.js';
import { cases, sample } from './fixtures/stats/samples.js';

const info = (size: number, opIndex: number, opCount: number): TensorInfo =>
  ({ name: 't', opIndex, opCount, opType: 'top.Conv', isInput: false, size });

describe('pooled tails match numpy', () => {
  test.each(cases.percentile.map((c) => [`${c.gens[0]!.kind} n=${c.gens[0]!.n} x${c.gens.length}, k=${c.k}`, c] as const))('%s', (_, c) => {
    const col = new StatsCollector([info(c.gens[0]!.n, c.opIndex, c.opCount)], { inputNum: c.inputNum });
    for (const g of c.gens) {
      col.add('t', sample(g));
      col.endSample();
    }
    const [s] = col.summarize();
    expect(s!.pctMin).toBe(c.pctMin);
    expect(s!.pctMax).toBe(c.pctMax);
    expect(s!.last5).toBe(c.last5); // a one-tensor list: it is among the last five
  });
});

describe('TopK', () => {
  let seed = 99;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

  test('selectLargest partitions around the k-th largest, with many equal values', () => {
    for (const [n, distinct] of [[1, 1], [2, 2], [10, 3], [1000, 5], [1000, 1000], [5000, 2]] as const) {
      for (const k of [1, 2, Math.ceil(n / 2), n]) {
        const a = Float32Array.from({ length: n }, () => Math.floor(rnd() * distinct) - 1);
        const sorted = [...a].sort((p, q) => q - p);
        const kth = selectLargest(a, n, k);
        expect(kth).toBe(sorted[k - 1]);
        expect([...a.subarray(0, k)].sort((p, q) => q - p)).toEqual(sorted.slice(0, k));
      }
    }
  });

  test('ranks are the k-th and (k-1)-th largest of a stream, cut skips nothing it needs', () => {
    for (const k of [1, 3, 50]) {
      const top = new TopK(k);
      const all: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const v = Math.fround(rnd() < 0.3 ? 0 : rnd() * 10 - 5);
        all.push(v);
        if (v > top.cut) top.push(v);
      }
      all.sort((p, q) => q - p);
      expect(top.ranks()).toEqual([all[k - 1], k === 1 ? NaN : all[k - 2]]);
    }
  });

  test('fewer values than k: the smallest pushed, as numpy\'s short pool gives', () => {
    const top = new TopK(10);
    for (const v of [3, 1, 2]) top.push(v);
    expect(top.ranks()).toEqual([1, 2]);
  });
});

/** TPU-MLIR's way, literally: pool each sorted sample's k smallest and k largest, sort, interpolate. */
function pooledByNumpyRules(xs: Float32Array[], inputNum: number, opIndex: number, opCount: number) {
  const per = 99.99 + opIndex * ((99.999999 - 99.99) / opCount);
  const size = xs[0]!.length;
  const k = Math.trunc(inputNum * size * (1 - per / 100)) + 1;
  const pool: number[] = [];
  const absPool: number[] = [];
  for (const x of xs) {
    const s = [...x].sort((a, b) => a - b);
    pool.push(...s.slice(0, k), ...s.slice(Math.max(0, s.length - k)));
    absPool.push(...[...x].map(Math.abs).sort((a, b) => a - b).slice(-k));
  }
  pool.sort((a, b) => a - b);
  absPool.sort((a, b) => a - b);
  const pos = (per / 100) * (inputNum * size - 1);
  const ratio = pos - Math.trunc(pos);
  const interp = (r: number[]) => (k === 1 ? r[0]! : r[0]! + ratio * Math.fround(r[1]! - r[0]!));
  return { k, pctMax: interp(pool.slice(-k)), pctMin: interp(pool.slice(0, k).reverse()), last5: interp(absPool.slice(-k)) };
}

describe('tails on adversarial orders and signs (against a literal pool)', () => {
  let seed = 5;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const shapes: Record<string, (i: number, n: number) => number> = {
    ascending: (i, n) => i / n - 0.3,
    descending: (i, n) => 1 - i / n,
    'negative mass, few positives': (i) => (i % 97 === 0 ? rnd() * 0.5 : -rnd() * 10),
    'positive mass, few negatives': (i) => (i % 89 === 0 ? -rnd() * 0.5 : rnd() * 10),
    'all negative': () => -rnd() - 0.1,
    // the |x| histogram's top is mostly of one sign: a bound from it leaves the other tail short
    'few large positives': (i) => (i % 5000 === 0 ? 10 + rnd() : -rnd() * 10),
    'few large negatives': (i) => (i % 5000 === 0 ? -10 - rnd() : rnd() * 10),
    'relu, rising channels': (i, n) => (rnd() < 0.4 ? 0 : rnd() * (1 + (10 * i) / n)),
    'constant': () => 2.5,
  };
  for (const kernels of ['js', 'wasm'] as const) {
    test.each(Object.keys(shapes))(`%s (${kernels})`, (name) => {
      const n = 30000;
      const xs = [0, 1, 2].map((s) => Float32Array.from({ length: n }, (_, i) => Math.fround(shapes[name]!(i, n) * (1 + 0.1 * s))));
      const inputNum = 5; // k = 16
      const col = new StatsCollector([info(n, 0, 4)], { inputNum, kernels });
      for (const x of xs) {
        col.add('t', x);
        col.endSample();
      }
      const [s] = col.summarize();
      const want = pooledByNumpyRules(xs, inputNum, 0, 4);
      expect(want.k).toBeGreaterThan(1);
      expect([s!.pctMin, s!.pctMax, s!.last5]).toEqual([want.pctMin, want.pctMax, want.last5]);
    });
  }
});
