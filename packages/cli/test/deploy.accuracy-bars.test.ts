// Issue #6's accuracy bars on the shared MobileNetV2, end to end from the command line: the ONNX
// model transformed, a KLD table from 100 imagenet-cali images, then each deployment's logits on
// the 100 imagenet-val images against the float model's (top-1 vs the labels, plain cosine):
// - INT8 bm1684x: top-1 within 1 point of float, mean cosine >= 0.98;
// - INT8 bm1684: BM1684's convs have one shift per layer, so pure INT8 cannot carry this model
//   (reported, not asserted); with search_qtable's qtable (KL, 32 layers float) the same bars hold
//   and model_deploy's own verification passes;
// - F16: mean cosine >= 0.999;
// - BF16: pure BF16 is reported (its loss is the bf16 rounding of BN-folded depthwise filters with
//   |W| up to 56); with a qtable keeping the first depthwise conv and the conv after it in F32
//   (3% of the MACs), mean cosine >= 0.999.
// Every simulation is exact or deterministic, so the numbers are the ones in the README's recipe.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCaliTable, parseQtable, preprocessFromInputOp, preprocessImage } from '@tpu-quant/calib';
import { importCalibration, lowerTopToTpu, propagateCalibration } from '@tpu-quant/chip-bm168x';
import { bf16BitsToNumber, f16BitsToNumber, loadNpz, parseMlir, top, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { asset, HAVE_ASSETS } from './assets.js';
import { runCli } from './run-cli.js';

interface Score {
  readonly top1: number;
  readonly agree: number;
  readonly cos: number;
  readonly minCos: number;
}

const dir = mkdtempSync(join(tmpdir(), 'tpuq-bars-'));
const mlir = join(dir, 'mobilenet_v2.mlir');
const table = join(dir, 'cali_table');
let images: { x: NdArray; label: number }[] = [];
let floatLogits: Float32Array[] = [];
let logitsName = '';
let floatTop1 = 0;

async function loadTop(): Promise<Module> {
  const m = parseMlir(readFileSync(mlir, 'utf8'), mlir);
  m.weights = await loadNpz(join(dir, 'mobilenet_v2_top_f32_all_weight.npz'));
  return m;
}

const argmax = (a: ArrayLike<number>): number => {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i;
  return k;
};

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

function asF32(t: NdArray): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const decode = t.dtype === 'bf16' ? bf16BitsToNumber : f16BitsToNumber;
  return Float32Array.from(t.data as Uint16Array, (v) => decode(v));
}

/** A deployment's logits on the val images against the float model's. */
async function score(o: { chip: string; mode: string; table?: string; qtable?: string }): Promise<Score> {
  const m = await loadTop();
  if (o.table) {
    importCalibration(m, parseCaliTable(readFileSync(o.table, 'utf8')).rows, { processor: o.chip });
    propagateCalibration(m, { processor: o.chip });
  }
  lowerTopToTpu(m, { chip: o.chip, mode: o.mode, ...(o.qtable ? { quantizeTable: parseQtable(readFileSync(o.qtable, 'utf8'), o.qtable) } : {}) });
  // INT8 casts the logits back to f32 (`<logits>_f32`); float modes keep their name
  const out = m.main.ops.some((op) => op.name === `${logitsName}_f32`) ? `${logitsName}_f32` : logitsName;
  const s = await createSession(m);
  try {
    let top1 = 0, agree = 0, cos = 0, minCos = 1;
    for (let i = 0; i < images.length; i++) {
      const r = await s.run({ [s.inputNames[0]!]: images[i]!.x }, { capture: [out] });
      const q = asF32(r.tensors.get(out)!);
      const c = cosine(floatLogits[i]!, q);
      cos += c;
      minCos = Math.min(minCos, c);
      if (argmax(q) === images[i]!.label) top1++;
      if (argmax(q) === argmax(floatLogits[i]!)) agree++;
    }
    const res = { top1, agree, cos: cos / images.length, minCos };
    console.log(`${o.chip} ${o.mode}${o.qtable ? ' + qtable' : ''}: top-1 ${top1} (float ${floatTop1}), agree ${agree}, mean logits cos ${res.cos.toFixed(4)} (min ${minCos.toFixed(4)})`);
    return res;
  } finally {
    await s.dispose();
  }
}

describe.skipIf(!HAVE_ASSETS)('issue #6 accuracy bars: the shared MobileNetV2 on 100 imagenet-val images', () => {
  beforeAll(async () => {
    const t = runCli([
      'model_transform', '--model_name', 'mobilenet_v2', '--model_def', asset('models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx'),
      '--input_shapes', '[[1,3,224,224]]', '--resize_dims', '256,256', '--mean', '127,127,127',
      '--scale', '0.007843137718737125,0.007843137718737125,0.007843137718737125', '--pixel_format', 'rgb',
      '--test_input', asset('images/imagenet-val', readdirSync(asset('images/imagenet-val')).filter((f) => f.endsWith('.JPEG')).sort()[0]!), '--test_result', join(dir, 'mobilenet_v2_top_outputs.npz'), '--mlir', mlir,
    ], undefined, 180_000);
    expect(t.code, t.stderr).toBe(0);
    const c = runCli(['run_calibration', mlir, '--dataset', asset('images/imagenet-cali'), '--input_num', '100', '--no_cache', '-o', table], undefined, 280_000);
    expect(c.code, c.stderr).toBe(0);

    const top = await loadTop();
    logitsName = top.main.ops.find((op) => op.type === 'top.Flatten' || op.type === 'top.Reshape')!.name!;
    const cfg = preprocessFromInputOp(top.main.ops.find((op) => op.type === 'top.Input')!);
    const val = asset('images/imagenet-val');
    const labels = new Map(readFileSync(join(val, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
      const [file, , , idx1001] = l.split(',');
      return [file!, Number(idx1001)] as const;
    }));
    const files = readdirSync(val).filter((f) => labels.has(f)).sort();
    expect(files).toHaveLength(100);
    images = await Promise.all(files.map(async (f) => ({ x: await preprocessImage(join(val, f), cfg, [1, 3, 224, 224]), label: labels.get(f)! })));
    const s = await createSession(top);
    try {
      floatLogits = [];
      for (const im of images) floatLogits.push((await s.run({ [s.inputNames[0]!]: im.x }, { capture: [logitsName] })).tensors.get(logitsName)!.data as Float32Array);
    } finally {
      await s.dispose();
    }
    floatTop1 = images.filter((im, i) => argmax(floatLogits[i]!) === im.label).length;
    expect(floatTop1).toBeGreaterThanOrEqual(90);
  }, 600_000);

  test('INT8 bm1684x: top-1 within 1 point of float, logits cosine >= 0.98', async () => {
    const r = await score({ chip: 'bm1684x', mode: 'INT8', table });
    expect(r.top1).toBeGreaterThanOrEqual(floatTop1 - 1);
    expect(r.cos).toBeGreaterThanOrEqual(0.98);
  }, 300_000);

  test('F16 bm1684x: logits cosine >= 0.999', async () => {
    expect((await score({ chip: 'bm1684x', mode: 'F16' })).cos).toBeGreaterThanOrEqual(0.999);
  }, 300_000);

  test('BF16 bm1684x with the first depthwise conv and its projection in F32: logits cosine >= 0.999', async () => {
    const pure = await score({ chip: 'bm1684x', mode: 'BF16' });
    expect(pure.cos).toBeGreaterThan(0.99);
    const convs = (await loadTop()).main.ops.filter((op) => op.type === 'top.Conv');
    const dw = convs.findIndex((op) => top.convAttrs(op).group > 1);
    const qtable = join(dir, 'bf16_qtable');
    writeFileSync(qtable, `# op_name quantize_mode\n${convs[dw]!.name} F32\n${convs[dw + 1]!.name} F32\n`);
    const mixed = await score({ chip: 'bm1684x', mode: 'BF16', qtable });
    expect(mixed.cos).toBeGreaterThanOrEqual(0.999);
    expect(mixed.cos).toBeGreaterThan(pure.cos);
  }, 300_000);

  test('INT8 bm1684: pure INT8 misses; with search_qtable\'s qtable top-1 is within 1 point, cosine >= 0.98, and model_deploy verifies', async () => {
    const pure = await score({ chip: 'bm1684', mode: 'INT8', table });
    expect(pure.cos).toBeLessThan(0.98); // BM1684's per-layer conv shift: why the qtable is needed
    const qtable = join(dir, 'bm1684_qtable');
    const s = runCli([
      'run_calibration', mlir, '--dataset', asset('images/imagenet-cali'), '--input_num', '100', '--inference_num', '10',
      '--search', 'search_qtable', '--quantize_method_list', 'KL', '--processor', 'bm1684', '--max_float_layers', '32',
      '--expected_cos', '0.99999', '--quantize_table', qtable, '-o', join(dir, 'bm1684_cali_table'),
    ], undefined, 280_000);
    expect(s.code, s.stderr).toBe(0);
    const searched = join(dir, 'new_cali_table.txt');
    const r = await score({ chip: 'bm1684', mode: 'INT8', table: searched, qtable });
    expect(r.top1).toBeGreaterThanOrEqual(floatTop1 - 1);
    expect(r.cos).toBeGreaterThanOrEqual(0.98);
    const d = runCli([
      'model_deploy', '--mlir', mlir, '--quantize', 'INT8', '--processor', 'bm1684', '--calibration_table', searched, '--quantize_table', qtable,
      '--test_input', join(dir, 'mobilenet_v2_in_f32.npz'), '--test_reference', join(dir, 'mobilenet_v2_top_outputs.npz'), '--model', join(dir, 'mv2_bm1684.bmodel'),
    ], undefined, 200_000);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('npz compare PASSED.');
  }, 600_000);
});
