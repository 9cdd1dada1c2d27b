// INT8 lowering of the shared MobileNetV2 for bm1684x (chip-bm168x's first vertical slice): the
// top mlir from model_transform + a KLD table from run_calibration, imported, propagated, lowered
// with convert-top-to-tpu, run on the js runtime; logits compared with the float model on a few
// imagenet-val images. Opt-in, as the files come from earlier stages:
//   TPUQ_MV2_DIR=/tmp/m TPUQ_MV2_CALI_TABLE=/tmp/c1/cali_table npx vitest run packages/cli/test/deploy.mobilenet-v2-int8.test.ts
// (TPUQ_MV2_IMAGES: how many images, 4 by default.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpz, parseMlir, runPipeline, type Module } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { parseCaliTable, preprocessFromInputOp, preprocessImage } from '@tpu-quant/calib';
import { importCalibration, propagateCalibration } from '@tpu-quant/chip-bm168x';
import { asset, HAVE_ASSETS } from './assets.js';

const DIR = process.env.TPUQ_MV2_DIR ?? '';
const TABLE = process.env.TPUQ_MV2_CALI_TABLE ?? '';
const MLIR = join(DIR, 'mobilenet_v2.mlir');
const HAVE = HAVE_ASSETS && DIR !== '' && existsSync(MLIR) && TABLE !== '' && existsSync(TABLE);
if (!HAVE) console.log('deploy.mobilenet-v2-int8: set TPUQ_MV2_DIR and TPUQ_MV2_CALI_TABLE to run it; skipped');
const IMAGES = Number(process.env.TPUQ_MV2_IMAGES ?? 4);

async function load(): Promise<Module> {
  const m = parseMlir(readFileSync(MLIR, 'utf8'), MLIR);
  m.weights = await loadNpz(join(DIR, 'mobilenet_v2_top_f32_all_weight.npz'));
  return m;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}
const argmax = (a: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i; return k; };

describe.skipIf(!HAVE)('MobileNetV2 INT8 bm1684x (TPUQ_MV2_DIR, TPUQ_MV2_CALI_TABLE)', () => {
  it('lowers every Conv/Add/pool to INT8 and keeps the logits close to float', async () => {
    const float = await load();
    const m = await load();
    importCalibration(m, parseCaliTable(readFileSync(TABLE, 'utf8')).rows);
    propagateCalibration(m);
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    const counts = new Map<string, number>();
    for (const op of m.main.ops) counts.set(op.type, (counts.get(op.type) ?? 0) + 1);
    expect(counts.get('tpu.Conv2D')).toBe(53);
    expect(counts.get('tpu.Add')).toBe(10);
    expect(counts.get('tpu.Pool2D')).toBe(1);
    expect([...counts.keys()].filter((t) => t.startsWith('top.') && t !== 'top.Weight' && t !== 'top.None' && t !== 'top.Input')).toEqual([]);

    const input = m.main.ops.find((o) => o.type === 'top.Input')!;
    const cfg = preprocessFromInputOp(input);
    const shape = [1, 3, 224, 224];
    const logitsName = float.main.ops.find((o) => o.type === 'top.Flatten')!.name!;
    const fs = await createSession(float, { backend: 'wasm' });
    const qs = await createSession(m, { backend: 'js' });
    const dir = asset('images', 'imagenet-val');
    const files = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, IMAGES);
    const cos: number[] = [];
    let sameTop1 = 0;
    for (const f of files) {
      const x = await preprocessImage(join(dir, f), cfg, shape);
      const inName = qs.inputNames[0]!;
      const ref = await fs.run({ [inName]: x }, { capture: [logitsName] });
      const got = await qs.run({ [inName]: x }, { capture: [`${logitsName}_f32`] });
      const a = ref.tensors.get(logitsName)!.data as Float32Array;
      const b = got.tensors.get(`${logitsName}_f32`)!.data as Float32Array;
      cos.push(cosine(a, b));
      if (argmax(a) === argmax(b)) sameTop1++;
    }
    const mean = cos.reduce((p, c) => p + c, 0) / cos.length;
    console.log(`mobilenet_v2 INT8 bm1684x: logits cosine vs float per image ${cos.map((c) => c.toFixed(4)).join(', ')}; mean ${mean.toFixed(4)}; same top-1 ${sameTop1}/${files.length}`);
    expect(mean).toBeGreaterThan(0.9);
  }, 600_000);
});
