// Batches: inline with one thread, across worker threads otherwise, results in sample order and
// equal to inline runs; workers end with dispose().
import { describe, expect, it } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { arr, random } from './helpers/build.js';
import { sameData, tinyConv } from './helpers/models.js';

describe('runBatch', () => {
  it('matches inline runs, in order, across 2 workers', async () => {
    const m = await tinyConv();
    const inline = await createSession(m);
    const samples = [1, 2, 3, 4, 5].map((seed) => ({ input: random([1, 3, 32, 32], seed) }));
    const want = await inline.runBatch(samples, { capture: ['conv1'] });
    expect(want).toHaveLength(5);
    const s = await createSession(m, { threads: 2 });
    try {
      const got = await s.runBatch(samples, { capture: ['conv1'] });
      got.forEach((r, i) => {
        expect(sameData(r.outputs.get('prob'), want[i]!.outputs.get('prob'))).toBe(true);
        expect(sameData(r.tensors.get('conv1'), want[i]!.tensors.get('conv1'))).toBe(true);
      });
      const bad = await s.runBatch([samples[0]!, { input: arr([1, 3, 8, 8]) }]).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(UserError);
      expect((bad as UserError).code).toBe('E_INPUT_SHAPE');
      await expect(s.runBatch(samples, { observer: () => {} })).rejects.toThrow(/cannot cross to worker threads/);
    } finally {
      await s.dispose();
    }
    await expect(s.runBatch(samples)).rejects.toThrow(/disposed/);
  });
});
