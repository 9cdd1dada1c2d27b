// selectSamples: TPU-MLIR's DataSelector rules on real folders and lists.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { datasetFiles, PythonRandom, sampleKindOf, selectSamples } from '../src/data/index.js';

function tree(files: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'tpuq-sel-'));
  for (const rel of files) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, 'x');
  }
  return root;
}

async function userError(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe('--dataset', () => {
  const files = ['a.jpg', 'b.JPEG', 'sub/c.Png', 'sub/deep/d.bmp', 'sub/deep/e.JFIF', 'f.webp', 'notes.txt', 'g.jpg.txt', 'sub/README'];

  test('recursive, case-insensitive extensions (webp too), other files skipped, sorted then shuffled with seed 1684', async () => {
    const root = tree(files);
    const got = await selectSamples({ dataset: root, inputNum: 0 });
    expect(got.kind).toBe('image');
    const sorted = ['a.jpg', 'b.JPEG', 'f.webp', 'sub/c.Png', 'sub/deep/d.bmp', 'sub/deep/e.JFIF'].map((f) => join(root, f));
    new PythonRandom(1684).shuffle(sorted);
    expect(got.entries).toEqual(sorted.map((p) => [p]));
    expect(got.warnings).toBeUndefined();
  });

  test('input_num takes a prefix of the same order', async () => {
    const root = tree(files);
    const all = await selectSamples({ dataset: root, inputNum: 0 });
    const three = await selectSamples({ dataset: root, inputNum: 3 });
    expect(three.entries).toEqual(all.entries.slice(0, 3));
  });

  test('input_num above what exists uses everything, with a warning (as TPU-MLIR, which says nothing)', async () => {
    const root = tree(files);
    const got = await selectSamples({ dataset: root, inputNum: 100 });
    expect(got.entries).toHaveLength(6);
    expect(got.warnings?.[0]).toMatch(/--input_num 100 .* using all 6/);
  });

  test('mixed kinds are refused', async () => {
    const root = tree(['a.jpg', 'b.npy']);
    const e = await userError(selectSamples({ dataset: root, inputNum: 0 }));
    expect(e.code).toBe('E_DATA');
    expect(e.hint).toMatch(/all images, all \.npy or all \.npz/);
  });

  test('an empty folder (or one without data files) says what was looked for', async () => {
    const root = tree(['readme.txt']);
    const e = await userError(selectSamples({ dataset: root, inputNum: 0 }));
    expect(e.message).toContain(root);
    expect(e.hint).toMatch(/\.npz, \.npy, \.jpg/);
  });

  test('a missing folder is E_IO', async () => {
    const e = await userError(selectSamples({ dataset: '/nonexistent/tpuq', inputNum: 0 }));
    expect(e.code).toBe('E_IO');
  });

  test('datasetFiles lists npz and npy as well', async () => {
    const root = tree(['x.NPZ', 'y.npy', 'z.npz.bak']);
    expect((await datasetFiles(root)).sort()).toEqual([join(root, 'x.NPZ'), join(root, 'y.npy')]);
  });
});

describe('--data_list', () => {
  function list(text: string): string {
    const p = join(mkdtempSync(join(tmpdir(), 'tpuq-list-')), 'list.txt');
    writeFileSync(p, text);
    return p;
  }

  test('wins over --dataset; lines stripped; comma lines give per-input paths; no shuffle', async () => {
    const root = tree(['a.jpg']);
    const got = await selectSamples({ dataset: root, dataList: list(' b.npy , c.npy \r\nd.npy,e.npy\n'), inputNum: 0 });
    expect(got).toEqual({ kind: 'npy', entries: [['b.npy', 'c.npy'], ['d.npy', 'e.npy']] });
  });

  test('input_num keeps the first lines; more than there are warns', async () => {
    const p = list('1.jpg\n2.jpg\n3.jpg\n');
    expect((await selectSamples({ dataList: p, inputNum: 2 })).entries).toEqual([['1.jpg'], ['2.jpg']]);
    const all = await selectSamples({ dataList: p, inputNum: 5 });
    expect(all.entries).toHaveLength(3);
    expect(all.warnings?.[0]).toMatch(/using all 3/);
  });

  test('a blank line is an error naming its line', async () => {
    const e = await userError(selectSamples({ dataList: list('a.jpg\n\nb.jpg\n'), inputNum: 0 }));
    expect(e.message).toMatch(/list\.txt:2: blank line/);
  });

  test('lines past input_num are not checked (TPU-MLIR cuts first)', async () => {
    expect((await selectSamples({ dataList: list('a.jpg\nb.txt\n'), inputNum: 1 })).entries).toEqual([['a.jpg']]);
  });

  test('mixed kinds, unknown files and several npz on a line are refused with the line number', async () => {
    expect((await userError(selectSamples({ dataList: list('a.jpg\nb.npy\n'), inputNum: 0 }))).message).toMatch(/list\.txt:2: "b\.npy" is an \.npy file, but earlier samples are images/);
    expect((await userError(selectSamples({ dataList: list('a.jpg,b.txt\n'), inputNum: 0 }))).message).toMatch(/list\.txt:1: "b\.txt" is not a calibration file/);
    expect((await userError(selectSamples({ dataList: list('a.npz,b.npz\n'), inputNum: 0 }))).message).toMatch(/one \.npz per line/);
  });

  test('neither flag, a missing list, an empty list, a negative input_num', async () => {
    expect((await userError(selectSamples({ inputNum: 0 }))).hint).toMatch(/--dataset/);
    expect((await userError(selectSamples({ dataList: '/nonexistent/list.txt', inputNum: 0 }))).code).toBe('E_IO');
    expect((await userError(selectSamples({ dataList: list(''), inputNum: 0 }))).message).toMatch(/empty/);
    expect((await userError(selectSamples({ dataList: list('a.jpg\n'), inputNum: -1 }))).code).toBe('E_BAD_FLAG');
  });
});

test('sampleKindOf uses the text after the last dot of the whole path, any case', () => {
  expect(sampleKindOf('x/y.JPG')).toBe('image');
  expect(sampleKindOf('x.npz/y')).toBeUndefined();
  expect(sampleKindOf('a.NPY')).toBe('npy');
  expect(sampleKindOf('a.tiff')).toBeUndefined();
});
