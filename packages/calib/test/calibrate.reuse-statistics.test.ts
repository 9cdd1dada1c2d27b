// runCalibration with the statistics of an earlier run (the search tools' several methods from one
// pass): the rows equal a full run of that method, no sample is read again, and the result does
// not claim to come from the cache.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { encodeNpz, loadNpz, ndarray, parseMlir } from '@tpu-quant/ir';
import { runCalibration } from '../src/calibrate/run-calibration.js';
import type { SampleList } from '../src/data/select.js';

test('statistics given: each method matches its own full run, without reading the samples', async () => {
  const ex = resolve(import.meta.dirname, '../../../examples/tiny_conv');
  const load = async () => {
    const m = parseMlir(await readFile(join(ex, 'tiny_conv.mlir'), 'utf8'), 'tiny_conv.mlir');
    m.weights = await loadNpz(join(ex, 'tiny_conv_top_f32_all_weight.npz'));
    return m;
  };
  const dir = mkdtempSync(join(tmpdir(), 'tpuq-reuse-'));
  let seed = 5;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const files = [0, 1, 2].map((i) => {
    const p = join(dir, `s${i}.npz`);
    writeFileSync(p, encodeNpz(new Map([['x', ndarray('f32', [1, 3, 32, 32], Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() ** 3 * (i + 2)))]])));
    return p;
  });
  const samples: SampleList = { kind: 'npz', entries: files.map((p) => [p]) };
  const base = { samples, tuneNum: 0, histogramBinNum: 256, statsThread: false };
  const first = await runCalibration({ ...base, module: await load(), method: 'kl' });
  // samples that no longer parse: a statistics pass would fail
  const gone: SampleList = { kind: 'npz', entries: [[join(dir, 'missing.npz')], [join(dir, 'missing2.npz')], [join(dir, 'missing3.npz')]] };
  for (const method of ['mse', 'max', 'percentile9999'] as const) {
    const full = await runCalibration({ ...base, module: await load(), method });
    const reused = await runCalibration({ ...base, samples: gone, module: await load(), method, statistics: first.summaries });
    expect(reused.rows).toEqual(full.rows);
    expect(reused.fromCache).toBe(false);
    expect(reused.rows).not.toEqual(first.rows);
  }
});
