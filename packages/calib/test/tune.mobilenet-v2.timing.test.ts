// Auto-tune and weight equalization on a real model: MobileNetV2 (top f32 mlir + weight npz), 5
// tune samples. Prints the wall and CPU time. Opt-in (it takes tens of seconds): set TPUQ_MV2_DIR
// to a folder holding mobilenet_v2.mlir, mobilenet_v2_top_f32_all_weight.npz, mobilenet_v2_in_f32.npz:
//   TPUQ_MV2_DIR=/tmp/m npx vitest run packages/calib/test/tune.mobilenet-v2
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Module, NdArray } from '@tpu-quant/ir';
import { loadNpz, ndarray, parseMlir, top } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { tuneThresholds } from '../src/tune/index.js';
import { equalizeWeights } from '../src/we/index.js';

const DIR = process.env.TPUQ_MV2_DIR ?? '';
const MLIR = join(DIR, 'mobilenet_v2.mlir');
const HAVE = DIR !== '' && existsSync(MLIR) && existsSync(join(DIR, 'mobilenet_v2_in_f32.npz'));

async function load(): Promise<{ m: Module; x: NdArray }> {
  const m = parseMlir(await readFile(MLIR, 'utf8'), MLIR);
  m.weights = await loadNpz(join(DIR, 'mobilenet_v2_top_f32_all_weight.npz'));
  const x = [...(await loadNpz(join(DIR, 'mobilenet_v2_in_f32.npz'))).values()][0]!;
  return { m, x };
}

describe.skipIf(!HAVE)('MobileNetV2 (TPUQ_MV2_DIR)', () => {
  it('tunes 5 samples in seconds; thresholds only grow', async () => {
    const { m, x } = await load();
    const input = m.main.ops.find((o) => o.type === 'top.Input')!.name!;
    const src = x.data as Float32Array;
    // five inputs: the stored one, rescaled and perturbed
    const samples = [0, 1, 2, 3, 4].map((k) => new Map([[input, ndarray('f32', x.shape, Float32Array.from(src, (v, i) => v * (1 - 0.05 * k) + 0.01 * k * Math.sin(i)))]]));
    const s = await createSession(m);
    const absmax = new Map<string, number>();
    for (const smp of samples) {
      await s.run(smp, {
        observer: (name, v) => {
          let a = absmax.get(name) ?? 0;
          for (const e of v.data as Float32Array) a = Math.max(a, Math.abs(e));
          absmax.set(name, a);
        },
      });
    }
    const th = new Map([...absmax].map(([k, v]) => [k, v * 0.7]));
    const t = performance.now();
    const cpu = process.cpuUsage();
    const tuned = await tuneThresholds(m, th, absmax, samples);
    const ms = performance.now() - t;
    const { user, system } = process.cpuUsage(cpu);
    console.log(`auto-tune MobileNetV2, 5 samples, ${th.size} tensors: ${(ms / 1000).toFixed(1)} s wall, ${((user + system) / 1e6).toFixed(1)} s CPU`);
    let raised = 0;
    for (const [k, v] of tuned) {
      expect(v).toBeGreaterThanOrEqual(th.get(k)!);
      if (v > th.get(k)!) raised++;
    }
    expect(raised).toBeGreaterThan(th.size / 2);
  }, 600_000);

  it('equalizes its conv pairs', async () => {
    const { m } = await load();
    const t = performance.now();
    const r = equalizeWeights(m);
    console.log(`weight equalization MobileNetV2: ${r.pairs.length} pairs in ${(performance.now() - t).toFixed(0)} ms`);
    // pairs linked through a ReLU6 are left alone on purpose (clipping is not scale-equivariant;
    // see weight-equalization.ts): in this MobileNetV2 that is every link but a few
    expect(r.pairs.length).toBeGreaterThan(0);
    for (const p of r.pairs) {
      const first = m.main.ops.find((o) => o.name === p.first)!;
      expect(first.type === 'top.Conv' && top.convAttrs(first).do_relu && top.convAttrs(first).relu_limit > 0).toBe(false);
    }
  });
});
