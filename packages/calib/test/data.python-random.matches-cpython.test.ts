// PythonRandom against CPython's own output (fixtures/data/gen_python_random.py).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { datasetFiles, PythonRandom } from '../src/data/index.js';

interface Fixture {
  getrandbits: { seed: number; seq: [number, number][] }[];
  randbelow: [number, number[]][];
  shuffle1684: number[][];
  tree: { files: string[]; sorted: string[]; selected: string[] };
}
const fx = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/data/python_random.json', import.meta.url)), 'utf8')) as Fixture;

describe('PythonRandom is CPython random, bit for bit', () => {
  test.each(fx.getrandbits.map((g) => [g.seed, g.seq] as const))('seed(%d): getrandbits sequence', (seed, seq) => {
    const r = new PythonRandom(seed);
    expect(seq.map(([k]) => r.getrandbits(k))).toEqual(seq.map(([, v]) => v));
  });

  test('seed(1684): _randbelow for small, power-of-two and > 2^32 bounds', () => {
    const r = new PythonRandom(1684);
    for (const [n, values] of fx.randbelow) expect([0, 1, 2, 3, 4].map(() => r.randbelow(n))).toEqual(values);
  });

  test('seed(1684) then shuffle(range(n)) for n = 1..200', () => {
    expect(fx.shuffle1684).toHaveLength(200);
    fx.shuffle1684.forEach((want, i) => {
      const a = Array.from({ length: i + 1 }, (_, k) => k);
      new PythonRandom(1684).shuffle(a);
      expect(a).toEqual(want);
    });
  });

  test('a different seed gives a different order (the test can fail)', () => {
    const a = Array.from({ length: 50 }, (_, k) => k);
    new PythonRandom(1685).shuffle(a);
    expect(a).not.toEqual(fx.shuffle1684[49]);
  });

  test('rejects what CPython would not give a double for', () => {
    expect(() => new PythonRandom(1684).getrandbits(54)).toThrow(RangeError);
    expect(() => new PythonRandom(0.5)).toThrow(RangeError);
  });
});

describe('DataSelector listing: sorted(glob("**/*")) then shuffled with seed 1684', () => {
  test('the same files, in the same order as Python, for a tree with nested, hidden, unicode and mixed-case names', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpuq-tree-'));
    for (const rel of fx.tree.files) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, 'x');
    }
    const got = (await datasetFiles(root)).map((p) => relative(root, p));
    expect(got).toEqual(fx.tree.selected);
    // The fixture itself: the sort is by code point (U+FF21 before U+1F600), not by UTF-16 unit.
    expect(fx.tree.sorted.indexOf('uni/\uff21.jpg')).toBeLessThan(fx.tree.sorted.indexOf('uni/\u{1f600}.jpg'));
  });
});
