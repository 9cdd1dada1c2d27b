// npz samples of a batch-2 model: rows accumulate across files to a batch (spec §2.2), so the
// sample count is known only from the arrays; exactCount reads their headers up front.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpz, f32, Func, Module, ndarray, OpBuilder, Op, tensorType, top } from '@tpu-quant/ir';
import { calibrationData } from '../src/data/index.js';

function batchTwoModule(): Module {
  const m = new Module('b2');
  const t = tensorType([2, 3], f32);
  const f = m.addFunc(new Func('main', { resultTypes: [t] }));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(t) }, {}, { loc: 'x' }).result();
  f.append(new Op('func.return', { operands: [x] }));
  return m;
}

describe('calibrationData count for npz with batch size 2', () => {
  test('one-row files pair up, the odd one is dropped; a two-row file is a sample alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpuq-npz-count-'));
    const rows = [1, 1, 2, 1, 1, 1];
    const files = rows.map((r, i) => {
      const p = join(dir, `s${i}.npz`);
      writeFileSync(p, encodeNpz(new Map([['x', ndarray('f32', [r, 3], new Float32Array(r * 3).fill(i))]])));
      return p;
    });
    const data = calibrationData({ kind: 'npz', entries: files.map((f) => [f]) }, batchTwoModule());
    expect(data.count).toBe(6); // the upper bound, before anything is read
    expect(await data.exactCount!()).toBe(3); // [s0+s1], [s2], [s3+s4]; s5 left over
    const seen: number[] = [];
    for await (const s of data.samples()) seen.push((s.get('x')!.data as Float32Array)[0]!);
    expect(seen).toEqual([0, 2, 3]);
  });
});
