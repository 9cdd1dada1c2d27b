// The statistics thread (one reused buffer per sample, tensors of unknown size sent on their own)
// gives the summaries a collector on this thread gives, field for field.
import { expect, test } from 'vitest';
import { StatsShards } from '../src/calibrate/stats-shards.js';
import { StatsThread } from '../src/calibrate/stats-thread.js';
import { StatsCollector } from '../src/stats/index.js';
import type { TensorInfo } from '../src/stats/types.js';

const info = (name: string, opIndex: number, size: number): TensorInfo => ({ name, opIndex, opCount: 4, opType: 'top.Conv', isInput: opIndex === 0, size });

test('statistics thread = inline collector, with buffers reused across samples', async () => {
  // 'c' has no size in the IR: it does not fit the sample buffer and travels on its own
  const tensors = [info('a', 0, 3000), info('b', 1, 500), info('c', 2, 0)];
  let seed = 11;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const samples = Array.from({ length: 7 }, (_, s) => ({
    a: Float32Array.from({ length: 3000 }, () => rnd() * (s + 1)),
    b: Float32Array.from({ length: 500 }, () => Math.max(0, rnd()) * 3),
    c: Float32Array.from({ length: 777 }, () => rnd() ** 3),
  }));
  const inline = new StatsCollector(tensors, { binNum: 256, inputNum: samples.length });
  const thread = StatsThread.start({ tensors, binNum: 256, inputNum: samples.length, torchObserver: false, bits: 8 });
  try {
    for (const s of samples) {
      const scratch = new Float32Array(3000); // the runtime reuses its memory: so does this test
      for (const [name, data] of Object.entries(s)) {
        inline.add(name, data);
        scratch.set(data);
        thread.add(name, scratch.subarray(0, data.length));
        scratch.fill(Number.NaN);
      }
      inline.endSample();
      await thread.endSample();
    }
    const got = await thread.summarize();
    expect(got).toEqual(inline.summarize());
    expect(got.map((s) => s.samples)).toEqual([7, 7, 7]);
  } finally {
    await thread.terminate();
  }
});

test('statistics split over 2 and 3 threads = one inline collector (the last five tensors keep their tails)', async () => {
  const sizes = [4000, 300, 2500, 50, 1200, 800, 64, 9];
  const tensors = sizes.map((n, i) => info(`t${i}`, i, n));
  let seed = 5;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const samples = Array.from({ length: 4 }, (_, s) => sizes.map((n) => Float32Array.from({ length: n }, () => rnd() * (s + 2))));
  const inline = new StatsCollector(tensors, { binNum: 128, inputNum: samples.length });
  for (const s of samples) {
    s.forEach((d, i) => inline.add(`t${i}`, d));
    inline.endSample();
  }
  const want = inline.summarize();
  expect(want.filter((s) => s.last5 !== undefined).map((s) => s.info.name)).toEqual(['t3', 't4', 't5', 't6', 't7']);
  for (const shards of [2, 3]) {
    const st = StatsShards.start({ tensors, binNum: 128, inputNum: samples.length, torchObserver: false, bits: 8 }, shards);
    try {
      for (const s of samples) {
        s.forEach((d, i) => st.add(`t${i}`, d));
        st.add('not-a-tensor', new Float32Array(3));
        await st.endSample();
      }
      expect(await st.summarize()).toEqual(want);
    } finally {
      await st.terminate();
    }
  }
});
