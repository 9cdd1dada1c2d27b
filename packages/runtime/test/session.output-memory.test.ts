// RunOptions.outputMemory: results computed straight into memory the caller offers (the
// statistics pass's buffer) are the values a plain run computes, most ops use the offer, and the
// run never writes into offered memory after the op that filled it (no reuse, no in-place op).
import type { Module } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { createSession, type Backend } from '../src/index.js';
import { random } from './helpers/build.js';
import { checksum, HAVE_MOBILENET, mobilenetV1, sameData, tinyConv } from './helpers/models.js';

async function check(m: Module, shape: number[], backend: Backend): Promise<{ offered: number; used: number; total: number }> {
  const s = await createSession(m, { backend });
  const feed = { [s.inputNames[0]!]: random(shape, 5) };
  const plain = await s.run(feed, { capture: 'all' });
  const want = new Map([...plain.tensors].map(([n, v]) => [n, v.data.slice()]));
  const wantOut = new Map([...plain.outputs].map(([n, v]) => [n, v.data.slice()]));

  // one buffer, slots handed out in order; a slot the op did not use is handed out again
  const buffer = new ArrayBuffer(4 * [...want.values()].reduce((a, d) => a + d.length, 0));
  let used = 0;
  let offered = 0;
  let last: { name: string; view: Float32Array } | undefined;
  const inPlace = new Map<string, { view: Float32Array; sum: number }>();
  const seen = new Set<string>();
  const r = await s.run(feed, {
    outputMemory: (name, elements) => {
      expect(seen.has(name), `${name} offered after it was produced`).toBe(false);
      if (4 * (used + elements) > buffer.byteLength) return undefined;
      offered++;
      last = { name, view: new Float32Array(buffer, 4 * used, elements) };
      return last.view;
    },
    observer: (name, v) => {
      seen.add(name);
      expect(sameData(v, { ...v, data: want.get(name)! }), name).toBe(true);
      if (last?.name === name && v.data === last.view) {
        inPlace.set(name, { view: last.view, sum: checksum(v) });
        used += last.view.length;
      }
      last = undefined;
    },
  });
  // nothing wrote into a filled slot later in the run
  for (const [name, { view, sum }] of inPlace) expect(checksum({ dtype: 'f32', shape: [view.length], data: view }), name).toBe(sum);
  for (const [name, d] of wantOut) expect(sameData(r.outputs.get(name), { dtype: 'f32', shape: [d.length], data: d }), name).toBe(true);
  // and the next plain run is unaffected (the pool holds none of the offered memory)
  const again = await s.run(feed, { capture: 'all' });
  for (const [name, v] of again.tensors) expect(sameData(v, { ...v, data: want.get(name)! }), name).toBe(true);
  await s.dispose();
  return { offered, used: inPlace.size, total: want.size };
}

describe('outputMemory', () => {
  it('tiny_conv, wasm: results land in the offered memory, values unchanged', async () => {
    const c = await check(await tinyConv(), [1, 3, 32, 32], 'wasm');
    expect(c.offered).toBeGreaterThan(0);
    expect(c.used).toBeGreaterThanOrEqual(c.total / 2);
  });

  it('tiny_conv, js: values unchanged (its kernels mostly make their own arrays)', async () => {
    await check(await tinyConv(), [1, 3, 32, 32], 'js');
  });

  it.skipIf(!HAVE_MOBILENET)('MobileNetV1 (../shared/assets), wasm', async () => {
    const c = await check(await mobilenetV1(), [1, 3, 128, 128], 'wasm');
    expect(c.used).toBeGreaterThanOrEqual(c.total / 2);
  });
});
