// F16 and BF16 lowering of the real MobileNetV2 (the top mlir written by model_transform, its
// weights and one preprocessed input): every op becomes a tpu op, and the logits and
// probabilities stay close to the float top module: cosine ≥ 0.999 in F16; ≥ 0.995 in BF16, whose
// 8-bit significand measures 0.9979 (logits) / 0.9981 (probabilities) on this input after 53
// convolutions. Opt-in, as the files come from earlier stages:
//   TPUQ_MV2_DIR=/tmp/m npx vitest run packages/chip-bm168x/test/lowering.mobilenet-v2-float.test.ts
// (TPUQ_MV2_DIR holds mobilenet_v2.mlir, mobilenet_v2_top_f32_all_weight.npz, mobilenet_v2_in_f32.npz.)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpz, parseMlir, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { lowerTopToTpu } from '../src/index.js';

const DIR = process.env.TPUQ_MV2_DIR ?? '';
const MLIR = join(DIR, 'mobilenet_v2.mlir');
const WEIGHTS = join(DIR, 'mobilenet_v2_top_f32_all_weight.npz');
const INPUT = join(DIR, 'mobilenet_v2_in_f32.npz');
const HAVE = DIR !== '' && [MLIR, WEIGHTS, INPUT].every((p) => existsSync(p));
if (!HAVE) console.log('lowering.mobilenet-v2-float: set TPUQ_MV2_DIR to run it; skipped');

async function load(): Promise<Module> {
  const m = parseMlir(readFileSync(MLIR, 'utf8'), MLIR);
  m.weights = await loadNpz(WEIGHTS);
  return m;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}
const argmax = (a: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i; return k; };

describe.skipIf(!HAVE)('MobileNetV2 F16 / BF16 on bm1684x (TPUQ_MV2_DIR)', () => {
  it.each([
    { mode: 'F16', min: 0.999 },
    { mode: 'BF16', min: 0.995 },
  ])('$mode: every op lowered, logits and probabilities within cosine $min of float', async ({ mode, min }) => {
    const float = await load();
    const input: NdArray = [...(await loadNpz(INPUT)).values()][0]!;
    const logits = float.main.ops.find((o) => o.type === 'top.Flatten')!.name!;
    const prob = float.main.ops.find((o) => o.type === 'top.Softmax')!.name!;
    const fs = await createSession(float, { backend: 'wasm' });
    const feed = { [fs.inputNames[0]!]: input };
    const ref = await fs.run(feed, { capture: [logits, prob] });

    const m = await load();
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode });
    expect(rep.float.size).toBe(0);
    expect(rep.floatTpu).toBe(53 + 10 + 1 + 1 + 1);
    const qs = await createSession(m, { backend: 'js' });
    const got = await qs.run(feed, { capture: [logits, `${prob}_f32`] });
    const cl = cosine(got.tensors.get(logits)!.data as Float32Array, ref.tensors.get(logits)!.data as Float32Array);
    const cp = cosine(got.tensors.get(`${prob}_f32`)!.data as Float32Array, ref.tensors.get(prob)!.data as Float32Array);
    const same = argmax(got.tensors.get(logits)!.data as Float32Array) === argmax(ref.tensors.get(logits)!.data as Float32Array);
    console.log(`mobilenet_v2 ${mode} bm1684x: cosine vs float: logits ${cl.toFixed(6)}, probabilities ${cp.toFixed(6)}; same top-1 ${same}`);
    expect(cl).toBeGreaterThan(min);
    expect(cp).toBeGreaterThan(min);
  }, 600_000);
});
