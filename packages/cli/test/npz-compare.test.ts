import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpz, ndarray, type NdArray } from '@tpu-quant/ir';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-npz-compare-'));
const f32 = (v: number[]) => ndarray('f32', [v.length], Float32Array.from(v));

function npz(name: string, arrays: Record<string, NdArray>): string {
  const path = join(tmp, name);
  writeFileSync(path, encodeNpz(new Map(Object.entries(arrays))));
  return path;
}

const ref = npz('ref.npz', { a: f32([1, 2, 3, 4]), b: f32([1, 2, 3, 4, 5, 6, 7, 8]), bf: f32([1, 2]) });
const same = npz('same.npz', {
  a: f32([1, 2, 3, 4]),
  b: f32([1.01, 2, 3, 4, 5, 6, 7, 8.02]),
  bf: ndarray('u16', [2], Uint16Array.from([0x3f80, 0x4000])),
});
const worse = npz('worse.npz', { a: f32([1, 2, 3, 4]), b: f32([8, 7, 6, 5, 4, 3, 2, 1]), bf: f32([1, 2]) });

describe('npz_tool compare', () => {
  test('PASSED: exit 0 and the TPU-MLIR summary', () => {
    const r = runCli(['npz_tool', 'compare', same, ref, '-v']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[a {31}\] {8}EQUAL \[PASSED\]$/m);
    expect(r.stdout).toMatch(/^\[b {31}\] {6}SIMILAR \[PASSED\]\n {4}\(8,\) float32 \n {4}cosine_similarity {6}= 0\.\d{6}$/m);
    expect(r.stdout).toMatch(/^\[bf {30}\] {8}EQUAL \[PASSED\]\n {4}\(2,\) uint16 $/m);
    expect(r.stdout).toContain('3 compared\n3 passed\n  2 equal, 0 close, 1 similar\n0 failed\n  0 not equal, 0 not similar\n');
    expect(r.stdout.endsWith(`Target    ${same}\nReference ${ref}\nnpz compare PASSED.\n`)).toBe(true);
  });

  test('FAILED: the report is printed and the exit status is 255, not an error', () => {
    const csv = join(tmp, 'out.csv');
    const r = runCli(['npz_tool', 'compare', worse, ref, '--tolerance', '0.99,0.99', '--save', csv, '-vv']);
    expect(r.code).toBe(255);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\[b {31}\]  NOT_SIMLIAR \[FAILED\]$/m);
    expect(r.stdout).toContain('top-k:\n idx-t  target  idx-r  ref\n  0 8.0 7 8.0\n');
    expect(r.stdout).toContain(`Results save as ${csv}\n`);
    expect(r.stdout.endsWith('npz compare FAILED.\n')).toBe(true);
    expect(readFileSync(csv, 'utf8').split('\n')[2]).toMatch(/^b, -, -, False, /);
  });

  test('--excepts leaves tensors out', () => {
    const r = runCli(['npz_tool', 'compare', worse, ref, '--excepts', 'b']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 compared\n');
  });

  test('a bad --tolerance is a user error', () => {
    expectUserError(runCli(['npz_tool', 'compare', same, ref, '--tolerance', 'high']), 'E_BAD_FLAG');
  });
});
