// Tensors computed straight into the statistics thread's sample buffer (StatsThread.reserve and
// the session's outputMemory; a slot of the thread's shared WebAssembly memory once it has lent
// it): the summaries are those of an inline collector, whether a reserved slot receives its
// tensor, receives another tensor's data, or is left unused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, vi } from 'vitest';
import { encodeNpz, loadNpz, ndarray, parseMlir } from '@tpu-quant/ir';
import { runCalibration } from '../src/calibrate/run-calibration.js';
import { StatsThread } from '../src/calibrate/stats-thread.js';
import type { SampleList } from '../src/data/select.js';
import { StatsCollector } from '../src/stats/index.js';
import type { TensorInfo } from '../src/stats/types.js';

const info = (name: string, opIndex: number, size: number): TensorInfo => ({ name, opIndex, opCount: 5, opType: 'top.Conv', isInput: opIndex === 0, size });

test('reserved slots, used or not, give the inline collector summaries', async () => {
  const tensors = [info('a', 0, 3000), info('b', 1, 500), info('c', 2, 800), info('d', 3, 0), info('e', 4, 64)];
  let seed = 3;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const samples = Array.from({ length: 5 }, (_, s) => ({
    a: Float32Array.from({ length: 3000 }, () => rnd() * (s + 1)),
    b: Float32Array.from({ length: 500 }, () => Math.max(0, rnd()) * 3),
    c: Float32Array.from({ length: 800 }, () => rnd() ** 3),
    d: Float32Array.from({ length: 77 }, () => rnd()),
    e: Float32Array.from({ length: 64 }, () => rnd() * 9),
  }));
  const inline = new StatsCollector(tensors, { binNum: 256, inputNum: samples.length });
  const thread = StatsThread.start({ tensors, binNum: 256, inputNum: samples.length, torchObserver: false, bits: 8 });
  const shared: boolean[] = [];
  try {
    for (const s of samples) {
      for (const [name, data] of Object.entries(s)) inline.add(name, data);
      inline.endSample();
      // a: written where reserved; b: reserved, delivered from elsewhere (copied); a slot
      // reserved and never filled (a kernel's scratch) before c, which is written in place;
      // d: no size in the IR, travels on its own; e: reserved under another tensor's name
      const a = thread.reserve('a', 3000)!;
      shared.push(a.buffer instanceof SharedArrayBuffer);
      a.set(s.a);
      thread.add('a', a);
      thread.reserve('b', 500)!.fill(Number.NaN);
      thread.add('b', s.b.slice());
      thread.reserve('scratch', 800)!.fill(Number.NaN);
      const c = thread.reserve('c', 800)!;
      c.set(s.c);
      thread.add('c', c);
      thread.add('d', s.d);
      const e = thread.reserve('not-e', 64)!;
      e.set(s.e);
      thread.add('e', e);
      await thread.endSample();
    }
    expect(await thread.summarize()).toEqual(inline.summarize());
    // once the thread has lent its memory, samples are filled in place there (the first ones may
    // come before it has)
    expect(shared.at(-1)).toBe(true);
  } finally {
    await thread.terminate();
  }
});

test('runCalibration: the statistics thread (tensors written in place) = statistics inline', async () => {
  const ex = resolve(import.meta.dirname, '../../../examples/tiny_conv');
  const load = async () => {
    const m = parseMlir(await readFile(join(ex, 'tiny_conv.mlir'), 'utf8'), 'tiny_conv.mlir');
    m.weights = await loadNpz(join(ex, 'tiny_conv_top_f32_all_weight.npz'));
    return m;
  };
  const dir = mkdtempSync(join(tmpdir(), 'tpuq-reserve-'));
  let seed = 9;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const samples: SampleList = {
    kind: 'npz',
    entries: [0, 1, 2, 3].map((i) => {
      const p = join(dir, `s${i}.npz`);
      writeFileSync(p, encodeNpz(new Map([['x', ndarray('f32', [1, 3, 32, 32], Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * (i + 1)))]])));
      return [p];
    }),
  };
  const reserve = vi.spyOn(StatsThread.prototype, 'reserve');
  try {
    const req = { samples, tuneNum: 0, method: 'kl' as const, histogramBinNum: 256 };
    const threaded = await runCalibration({ ...req, module: await load() });
    expect(reserve.mock.results.filter((r) => r.value !== undefined).length).toBeGreaterThan(4);
    const inline = await runCalibration({ ...req, module: await load(), statsThread: false });
    expect(threaded.summaries).toEqual(inline.summaries);
    expect(threaded.rows).toEqual(inline.rows);
  } finally {
    reserve.mockRestore();
  }
});
