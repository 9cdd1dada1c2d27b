// Free buffers of a disposed session go to later sessions (their first runs allocate less), under a
// byte cap: results are bit for bit those of a session that allocates everything afresh, even when
// the buffers it gets hold another model's numbers; nothing a caller holds is ever handed on.
import { afterAll, describe, expect, it } from 'vitest';
import { ndarray, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { setSpareBufferBytes, spareBufferStats } from '../src/buffers.js';
import { tinyConv } from './helpers/models.js';

const input = (seed: number): Map<string, NdArray> => {
  let s = seed;
  const x = Float32Array.from({ length: 3 * 32 * 32 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 255);
  return new Map([['input', ndarray('f32', [1, 3, 32, 32], x)]]);
};

async function runOnce(m: Module, seed: number): Promise<{ out: Float32Array; tensors: Map<string, Float32Array>; session: Awaited<ReturnType<typeof createSession>> }> {
  const session = await createSession(m);
  const r = await session.run(input(seed), { capture: 'all' });
  const tensors = new Map([...r.tensors].map(([k, v]) => [k, (v.data as Float32Array).slice()]));
  return { out: (r.outputs.values().next().value!.data as Float32Array).slice(), tensors, session };
}

describe('spare buffers across sessions', () => {
  afterAll(() => setSpareBufferBytes(128 * 2 ** 20));

  it('a new session runs on a disposed one\'s buffers, with the same results as on fresh memory', async () => {
    const m = await tinyConv();
    setSpareBufferBytes(0);
    const fresh = await runOnce(m, 1);
    await fresh.session.dispose();
    expect(spareBufferStats()).toEqual({ buffers: 0, bytes: 0 });

    setSpareBufferBytes(128 * 2 ** 20);
    // a session whose free buffers hold another input's activations (several runs: in-place reuse)
    const other = await createSession(m);
    for (const seed of [7, 8, 9]) await other.run(input(seed));
    await other.dispose();
    const spare = spareBufferStats();
    expect(spare.buffers).toBeGreaterThan(0);

    const reused = await runOnce(m, 1);
    expect(spareBufferStats().buffers).toBeLessThan(spare.buffers);
    expect(Buffer.from(reused.out.buffer).equals(Buffer.from(fresh.out.buffer))).toBe(true);
    expect([...reused.tensors.keys()]).toEqual([...fresh.tensors.keys()]);
    for (const [k, v] of fresh.tensors) expect(Buffer.from(reused.tensors.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
    await reused.session.dispose();
  });

  it('keeps no more than its cap, and never a buffer a caller still holds', async () => {
    const m = await tinyConv();
    setSpareBufferBytes(128 * 2 ** 20);
    const s = await createSession(m);
    const kept = await s.run(input(3), { capture: 'all' });
    const held = new Set([...kept.tensors.values(), ...kept.outputs.values()].map((v) => v.data.buffer));
    await s.run(input(4));
    await s.dispose();
    const after = await createSession(m);
    const r = await after.run(input(5), { capture: 'all' });
    for (const v of [...r.tensors.values(), ...r.outputs.values()]) expect(held.has(v.data.buffer)).toBe(false);
    await after.dispose();
    const cap = Math.floor(spareBufferStats().bytes / 2);
    setSpareBufferBytes(cap);
    expect(spareBufferStats().bytes).toBeLessThanOrEqual(cap);
  });
});
