// npy/npz on disk: loads read only what they need; saves are atomic and never touch the input in place.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { FormatError, UserError } from '../../src/core/errors.js';
import { atomicWriteFile, encodeNpz, listNpz, loadNpy, loadNpz, saveNpy, saveNpz } from '../../src/formats/index.js';
import { FIXTURES, fixture } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tpuq-npz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const w: NdArray = { dtype: 'f32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) };
const b: NdArray = { dtype: 'i64', shape: [], data: BigInt64Array.of(-3n) };

describe('npz and npy files', () => {
  it('saveNpz / loadNpz, stored and compressed', async () => {
    for (const compress of [false, true]) {
      const p = join(dir, `w-${compress}.npz`);
      await saveNpz(p, { w, b }, { compress });
      expect(await loadNpz(p)).toEqual(new Map([['w', w], ['b', b]]));
      expect(new Uint8Array(await readFile(p))).toEqual(encodeNpz({ w, b }, { compress }));
    }
  });

  it('saveNpy / loadNpy', async () => {
    const p = join(dir, 'w.npy');
    await saveNpy(p, w);
    expect(await loadNpy(p)).toEqual(w);
    expect(await loadNpy(join(FIXTURES, 'v3-f32.npy'))).toMatchObject({ dtype: 'f32', shape: [2, 3] });
  });

  it('loadNpz of numpy files, with names and bf16 options', async () => {
    const m = await loadNpz(join(FIXTURES, 'numpy-savez-compressed.npz'), { names: ['bf16_as_u16'], u16As: 'bf16' });
    expect([...m.keys()]).toEqual(['bf16_as_u16']);
    expect(m.get('bf16_as_u16')!.dtype).toBe('bf16');
  });

  it('listNpz reads headers only', async () => {
    const list = await listNpz(join(FIXTURES, 'numpy-savez.npz'));
    expect(list.find((e) => e.name === 'fortran_f32')).toMatchObject({ dtype: 'f32', shape: [2, 3, 4], fortranOrder: true, compressed: false });
  });

  it('errors name the file; a missing file is a user error', async () => {
    const p = join(dir, 'cut.npz');
    const z = fixture('numpy-savez.npz');
    await writeFile(p, z.subarray(0, z.length - 10));
    await expect(loadNpz(p)).rejects.toThrow(FormatError);
    await expect(loadNpz(p)).rejects.toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a zip archive`));
    const missing = loadNpz(join(dir, 'nope.npz'));
    await expect(missing).rejects.toBeInstanceOf(UserError);
    await expect(loadNpz(join(dir, 'nope.npz'))).rejects.toThrow(/no such file/);
  });
});

describe('atomicWriteFile', () => {
  it('writes strings, bytes and chunk streams, and leaves no temporary file', async () => {
    const p = join(dir, 'a.txt');
    await atomicWriteFile(p, 'hello');
    expect(await readFile(p, 'utf8')).toBe('hello');
    await atomicWriteFile(p, new TextEncoder().encode('bytes'));
    expect(await readFile(p, 'utf8')).toBe('bytes');
    await atomicWriteFile(p, [new TextEncoder().encode('a'), new TextEncoder().encode('b')]);
    expect(await readFile(p, 'utf8')).toBe('ab');
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a failure mid-write leaves the old file as it was and no temporary file', async () => {
    const p = join(dir, 'keep.txt');
    await atomicWriteFile(p, 'old');
    function* failing(): Generator<Uint8Array> {
      yield new TextEncoder().encode('partial new content');
      throw new Error('disk on fire');
    }
    await expect(atomicWriteFile(p, failing())).rejects.toThrow('disk on fire');
    expect(await readFile(p, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('an npz that cannot be encoded leaves the old file intact', async () => {
    const p = join(dir, 'weights.npz');
    await saveNpz(p, { w });
    const before = await readFile(p);
    await expect(saveNpz(p, { '../evil': w })).rejects.toThrow(/path traversal/);
    expect(await readFile(p)).toEqual(before);
  });

  it('replaces rather than modifies: a file loaded and saved back is a new file', async () => {
    const p = join(dir, 'inplace.npz');
    await saveNpz(p, { w });
    const ino = (await stat(p)).ino;
    const m = await loadNpz(p);
    m.set('b', b);
    await saveNpz(p, m);
    expect((await stat(p)).ino).not.toBe(ino);
    expect([...(await loadNpz(p)).keys()]).toEqual(['w', 'b']);
  });

  it('fails (and cleans up) when the directory does not exist', async () => {
    await expect(atomicWriteFile(join(dir, 'no', 'such', 'x.txt'), 'x')).rejects.toThrow(/ENOENT/);
  });
});
