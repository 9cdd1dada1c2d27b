// LARGE: a ~120 MB array through a temporary file (write, list, read back), and a 16 MB deflated
// one. Takes a few seconds and ~500 MB of memory; it guards the >100 MB path (chunked file reads
// and writes, CRC of big data, inflating in many pieces).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { listNpz, loadNpz, saveNpz } from '../../src/formats/index.js';
import { sameElements } from './helpers.js';

describe('large arrays [large: ~120 MB]', () => {
  it('round-trips a 120 MB f32 array through a temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tpuq-large-'));
    try {
      const n = 30_000_000; // 120 MB of f32
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (i % 1000) * 0.5 - i / n;
      const a: NdArray = { dtype: 'f32', shape: [3, 10_000_000], data };
      const small: NdArray = { dtype: 'i8', shape: [2], data: Int8Array.of(1, -1) };
      const p = join(dir, 'big.npz');
      await saveNpz(p, new Map([['small', small], ['big', a]]));
      expect((await stat(p)).size).toBeGreaterThan(120_000_000);
      expect((await listNpz(p)).map((e) => [e.name, e.shape])).toEqual([['small', [2]], ['big', [3, 10_000_000]]]);

      const back = await loadNpz(p);
      const got = back.get('big')!;
      expect(got.shape).toEqual([3, 10_000_000]);
      expect(sameElements(got.data, data)).toBe(true);
      expect(back.get('small')).toEqual(small);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('round-trips a 16 MB deflated array through a temp file (many read and inflate pieces)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tpuq-large-'));
    try {
      const n = 4_000_000;
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.imul(i, 2654435761) >> (i % 24);
      const a: NdArray = { dtype: 'i32', shape: [n], data };
      const p = join(dir, 'big-z.npz');
      await saveNpz(p, { a }, { compress: true });
      expect((await stat(p)).size).toBeGreaterThan(4 << 20);
      const back = (await loadNpz(p)).get('a')!;
      expect(back.shape).toEqual([n]);
      expect(sameElements(back.data, data)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
