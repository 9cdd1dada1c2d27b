// The sensitivity searches with their samples split over worker threads (@tpu-quant/mixprec's
// shards): search_qtable and run_sensitive_layer give the single-thread result exactly (losses,
// best thresholds and methods, evaluations, float layers, rows, all-INT8 cos, the log), with an
// even and an uneven split, compare layers and the dropped-INT8-cache path; a worker's error comes
// back as the same one-line UserError, and no worker thread is left running.
import { describe, expect, test } from 'vitest';
import { runSensitivitySearch, runningSearchThreads, type SensitivitySearchOptions, type SensitivitySearchResult } from '@tpu-quant/mixprec';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import './fixtures/throwing-target.js';
import { qtableNet, qtableRows, qtableSamples } from './qtable-fixture.js';

registerBm168x();

const chipSetup = [import.meta.resolve('@tpu-quant/chip-bm168x')];
type Rows = Awaited<ReturnType<typeof qtableRows>>;
const thresholds = (rows: Rows) => new Map(rows.map((r) => [r.name, r.threshold]));

async function searchWith(o: SensitivitySearchOptions, threads: number): Promise<{ r: Omit<SensitivitySearchResult, 'stats'>; lines: string[]; threads: number }> {
  const lines: string[] = [];
  const { stats, ...r } = await runSensitivitySearch({ ...o, threads, workerSetup: chipSetup, log: (l) => lines.push(l) });
  return { r, lines, threads: stats.threads };
}

describe('the search split over worker threads equals the single-thread search', () => {
  test('search_qtable, three methods (ties, first strict minimum), 5 samples over 1, 2 and 3 threads', async () => {
    const samples = qtableSamples(5);
    const bad = await qtableRows(qtableNet(), samples, 300);
    const good = await qtableRows(qtableNet(), samples, 1);
    const o: SensitivitySearchOptions = {
      module: qtableNet(), chip: 'bm1684x', calibration: { rows: bad }, samples, maxFloatLayers: 1, kind: 'search_qtable',
      methods: [{ name: 'KL', thresholds: thresholds(bad) }, { name: 'MAX', thresholds: thresholds(good) }, { name: 'MSE', thresholds: thresholds(good) }],
    };
    const one = await searchWith(o, 1);
    expect(one.threads).toBe(1);
    expect(one.r.outcome).toBe('searched');
    expect(one.r.layers.find((l) => l.name === 'c2')!.bestMethod).toBe('MAX'); // MSE ties MAX: not strictly better
    for (const k of [2, 3]) {
      const many = await searchWith(o, k);
      expect(many.threads).toBe(k);
      expect(many.r).toEqual(one.r);
      expect(many.lines).toEqual(one.lines);
    }
    expect(runningSearchThreads()).toBe(0);
  }, 60_000);

  test('run_sensitive_layer with compare layers and the INT8 cache dropped (memory bound): 4 samples over 2 threads', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const o: SensitivitySearchOptions = {
      module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, maxFloatLayers: 2, kind: 'sensitive_layer', globalCompareLayers: 'c3:0.4,c4:0.6', cacheBytes: 1,
      methods: [{ name: 'MAX', thresholds: thresholds(rows) }, { name: 'KL', thresholds: new Map(rows.map((r) => [r.name, r.threshold * 0.5])) }],
    };
    const one = await searchWith(o, 1);
    const two = await searchWith(o, 2);
    expect(two.threads).toBe(2);
    expect(two.r).toEqual(one.r);
    expect(two.lines).toEqual(one.lines);
    expect(two.lines.some((l) => l.startsWith('the INT8 cache was dropped during the trials (memory) and rebuilt'))).toBe(true);
    expect(runningSearchThreads()).toBe(0);
  }, 60_000);
});

describe('a worker error is the search error', () => {
  const base = async (chip: string): Promise<SensitivitySearchOptions> => {
    const samples = qtableSamples(2);
    const rows = await qtableRows(qtableNet(), samples, 300);
    return { module: qtableNet(), chip, calibration: { rows }, samples, kind: 'search_qtable', methods: [{ name: 'MSE', thresholds: thresholds(rows) }] };
  };

  test('a setup that registers no lowering: the one-line UserError of the worker, no thread left', async () => {
    const o = await base('bm1684x');
    const run = runSensitivitySearch({ ...o, threads: 2, workerSetup: [import.meta.resolve('@tpu-quant/ir')] });
    await expect(run).rejects.toMatchObject({ name: 'UserError', code: 'E_NOT_AVAILABLE', message: 'run_qtable on bm1684x is not available yet: nothing lowers to bm1684x' });
    expect(runningSearchThreads()).toBe(0);
  }, 30_000);

  test('a lowering that throws mid-search: the same UserError as in one thread, no thread left', async () => {
    const o = await base('throwchip');
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { code?: string; hint?: string }) => ({ name: e.name, code: e.code, message: e.message, hint: e.hint }));
    const one = await err(runSensitivitySearch({ ...o, threads: 1 }));
    expect(one).toEqual({ name: 'UserError', code: 'E_TEST_LOWERING', message: 'the c3 trial cannot be lowered', hint: 'a test fixture' });
    const two = await err(runSensitivitySearch({ ...o, threads: 2, workerSetup: [new URL('./fixtures/throwing-target.ts', import.meta.url).href] }));
    expect(two).toEqual(one);
    expect(runningSearchThreads()).toBe(0);
  }, 30_000);

  test('threads > 1 with no workerSetup, or a bad thread count: refused up front', async () => {
    const o = await base('bm1684x');
    await expect(runSensitivitySearch({ ...o, threads: 2 })).rejects.toMatchObject({ code: 'E_THREADS' });
    await expect(runSensitivitySearch({ ...o, threads: 0, workerSetup: chipSetup })).rejects.toMatchObject({ code: 'E_THREADS' });
    expect(runningSearchThreads()).toBe(0);
  });
});
