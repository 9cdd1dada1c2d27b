// runCalibration and its statistics thread when things go wrong: a session that cannot be made,
// a statistics thread that dies, a cache that cannot be read or written. None may hang, leave a
// thread running, or fail a run that only lost its shortcut.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { encodeNpz, Func, Module, nameLoc, ndarray, Op, f32, tensorType } from '@tpu-quant/ir';
import { runCalibration } from '../src/calibrate/run-calibration.js';
import { cachePath, loadStatistics, saveStatistics, statisticsKey } from '../src/calibrate/statistics-cache.js';
import { StatsThread } from '../src/calibrate/stats-thread.js';
import type { SampleList } from '../src/data/select.js';

function reluModule(): Module {
  const m = new Module('tiny');
  const t = tensorType([1, 4], f32);
  const f = m.addFunc(new Func('main', { resultTypes: [t] }));
  const arg = f.addArgument(t);
  const v = f.append(new Op('top.Input', { operands: [arg], resultTypes: [t], loc: nameLoc('in') })).result();
  const r = f.append(new Op('top.Relu', { operands: [v], resultTypes: [t], loc: nameLoc('relu') })).result();
  f.append(new Op('func.return', { operands: [r] }));
  m.weights = new Map();
  return m;
}

const dir = mkdtempSync(join(tmpdir(), 'tpuq-calfail-'));
const samples: SampleList = {
  kind: 'npz',
  entries: [0, 1, 2].map((i) => {
    const p = join(dir, `s${i}.npz`);
    writeFileSync(p, encodeNpz(new Map([['x', ndarray('f32', [1, 4], new Float32Array([i - 1, 2 * i, -3, 0.5]))]])));
    return [p];
  }),
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runCalibration failures', () => {
  test('a session that cannot be made leaves no statistics thread running', async () => {
    const start = vi.spyOn(StatsThread, 'start');
    const terminate = vi.spyOn(StatsThread.prototype, 'terminate');
    await expect(runCalibration({ module: reluModule(), samples, tuneNum: 0, method: 'max', histogramBinNum: 64, threads: 0 })).rejects.toThrow(/threads/);
    expect(terminate.mock.calls.length).toBe(start.mock.calls.length);
  });

  test('a cache folder that cannot be written warns and the run goes on', async () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the cache folder should be');
    const r = await runCalibration({ module: reluModule(), samples, tuneNum: 0, method: 'max', histogramBinNum: 64, cacheDir: join(blocked, 'cache'), statsThread: false });
    expect(r.rows.map((x) => x.name)).toEqual(['in', 'relu']);
    expect(r.warnings.some((w) => /statistics cache/.test(w))).toBe(true);
  });

  test('a damaged cache entry is recomputed with a warning', async () => {
    const cacheDir = join(dir, 'cache');
    const first = await runCalibration({ module: reluModule(), samples, tuneNum: 0, method: 'max', histogramBinNum: 64, cacheDir, statsThread: false });
    expect(first.fromCache).toBe(false);
    // valid npz, meta of the right key but records missing
    const key = await statisticsKey({ module: reluModule(), sampleFiles: samples.entries.flat(), binNum: 64, inputNum: 3, torchObserver: false, bits: 8 });
    expect(first.cacheFile).toBe(cachePath(cacheDir, key));
    const meta = new TextEncoder().encode(JSON.stringify({ format: 1, key, recordz: [] }));
    writeFileSync(first.cacheFile!, encodeNpz(new Map([['meta', ndarray('u8', [meta.length], meta)]])));
    const again = await runCalibration({ module: reluModule(), samples, tuneNum: 0, method: 'max', histogramBinNum: 64, cacheDir, statsThread: false });
    expect(again.fromCache).toBe(false);
    expect(again.rows).toEqual(first.rows);
    expect(again.warnings.some((w) => /unreadable statistics cache/.test(w))).toBe(true);
  });

  test('the backend is part of the statistics key', async () => {
    const base = { module: reluModule(), sampleFiles: samples.entries.flat(), binNum: 64, inputNum: 3, torchObserver: false };
    expect(await statisticsKey({ ...base, backend: 'ort' })).not.toBe(await statisticsKey(base));
  });
});

describe('statistics cache reading', () => {
  test('broken JSON, missing histograms and a folder in the way are misses, not errors', async () => {
    const key = 'k'.repeat(64);
    const path = join(dir, 'c1.npz');
    const bad = new TextEncoder().encode('{"format":1,');
    writeFileSync(path, encodeNpz(new Map([['meta', ndarray('u8', [bad.length], bad)]])));
    const warnings: string[] = [];
    expect(await loadStatistics(path, key, (w) => warnings.push(w))).toBeUndefined();
    const meta = new TextEncoder().encode(JSON.stringify({ format: 1, key, records: [{ info: { name: 'a' }, hist: { width: 1, th: 1 } }] }));
    writeFileSync(path, encodeNpz(new Map([['meta', ndarray('u8', [meta.length], meta)]])));
    expect(await loadStatistics(path, key, (w) => warnings.push(w))).toBeUndefined();
    const folder = join(dir, 'c2.npz');
    await saveStatistics(join(folder, 'x.npz'), key, []);
    expect(await loadStatistics(folder, key, (w) => warnings.push(w))).toBeUndefined();
    expect(warnings.length).toBe(3);
  });
});

describe('statistics thread', () => {
  test('a thread that exits unexpectedly fails the waiting producer instead of hanging it', async () => {
    const thread = StatsThread.start({ tensors: [{ name: 'a', opIndex: 0, opCount: 1, opType: 'top.Relu', isInput: false, size: 4 }], binNum: 64, inputNum: 10, torchObserver: false, bits: 8 });
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const run = (async () => {
      for (let i = 0; i < 10; i++) {
        thread.add('a', new Float32Array([1, 2, 3, 4]));
        await thread.endSample();
      }
      return thread.summarize();
    })();
    await expect(run).rejects.toThrow(/statistics thread exited/);
    await thread.terminate();
  }, 20_000);

  test('an error inside the thread surfaces with its message', async () => {
    const thread = StatsThread.start({ tensors: [{ name: 'a', opIndex: 0, opCount: 1, opType: 'top.Relu', isInput: false, size: 4 }], binNum: 64, inputNum: 10, torchObserver: false, bits: 8 });
    const run = (async () => {
      thread.add('a', new Float32Array([1, 2, 3, 4]));
      thread.add('a', new Float32Array([1, 2, 3, 4])); // twice in one sample: the collector refuses
      for (let i = 0; i < 10; i++) await thread.endSample();
      return thread.summarize();
    })();
    await expect(run).rejects.toThrow(/added twice/);
    await thread.terminate();
  }, 20_000);
});
