// Intra-op threads on a whole model: mobilenet_v2 (../shared/assets; skipped without it) run with
// 2 and 3 threads gives every tensor of the one-thread run bit for bit, at batch 1 and batch 2.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import type { NdArray } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { random } from './helpers/build.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../shared/assets');
const MOBILENET_V2 = resolve(ASSETS, 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx');
const HAVE = existsSync(MOBILENET_V2);
if (!HAVE) console.warn(`skipping the whole-model intra-op tests: ${MOBILENET_V2} not found (set TPUQ_ASSETS)`);

function sameData(a: NdArray | undefined, b: NdArray | undefined): boolean {
  if (!a || !b || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

describe.skipIf(!HAVE)('intra-op threads on mobilenet_v2', () => {
  it.each([[1, 2], [2, 3]])('batch %i, %i threads: every tensor equals one thread', async (batch, threads) => {
    const shape = [batch, 3, 224, 224];
    const m = await importOnnxFile(MOBILENET_V2, { modelName: 'mobilenet_v2', inputShapes: [shape] });
    const one = await createSession(m);
    const x = { [one.inputNames[0]!]: random(shape, 7) };
    const want = await one.run(x, { capture: 'all' });
    // the workers compute every part they are given (none taken over, however busy the machine)
    process.env.TPUQ_TEST_NO_STEAL = '1';
    const s = await createSession(m, { threads });
    delete process.env.TPUQ_TEST_NO_STEAL;
    try {
      await s.ready();
      const got = await s.run(x, { capture: 'all' });
      expect(s.stats().splitOps).toBeGreaterThan(30);
      expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
      const differing = [...want.tensors].filter(([name, v]) => !sameData(got.tensors.get(name), v)).map(([name]) => name);
      expect(differing).toEqual([]);
      for (const [name, v] of want.outputs) expect(sameData(got.outputs.get(name), v), name).toBe(true);
    } finally {
      await s.dispose();
    }
  }, 180_000);
});
