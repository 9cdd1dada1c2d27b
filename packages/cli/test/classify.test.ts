// The classify sample command end to end: the repo's MobileNetV1 (.onnx with flags, the top .mlir
// model_transform writes, an F16 tpu .mlir from model_deploy) on a shipped photo, checked against
// onnxruntime; the shared MobileNetV2 on imagenet-val photos, top-1 against labels.csv; bad inputs.
// Opt-in: TPUQ_MV2_CALI_TABLE=<table of the shared mobilenet_v2> adds an INT8 bm1684x run.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { preprocessConfig, preprocessImage } from '@tpu-quant/calib';
import { asset, HAVE_ASSETS } from './assets.js';
import { runInProcess } from './in-process.js';
import { runCli } from './run-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tpuq-classify-'));
const mbv1 = join(repo, 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx');
const chelsea = join(repo, 'examples/images/skimage/chelsea.png');
const MBV1_FLAGS = ['--resize_dims', '146,146', '--mean', '128,128,128', '--scale', '0.0078125,0.0078125,0.0078125', '--pixel_format', 'rgb'];
const LONG = 240_000;
const classify = (...args: string[]) => runCli(['classify', ...args], undefined, LONG);

/** `rank. label (index): prob` lines */
function top5(stdout: string): { rank: number; label: string; index: number; prob: number }[] {
  return [...stdout.matchAll(/^(\d)\. (.+) \((\d+)\): (\d\.\d{4})$/gm)].map((m) => ({ rank: Number(m[1]), label: m[2]!, index: Number(m[3]), prob: Number(m[4]) }));
}

describe('classify on the repo\'s MobileNetV1 0.25 (chelsea.png, a cat)', () => {
  let onnxStdout = '';
  beforeAll(() => {
    const r = classify('--model', mbv1, '--input', chelsea, ...MBV1_FLAGS, '--output', join(tmp, 'chelsea_top5.png'));
    if (r.code !== 0) throw new Error(r.stderr);
    onnxStdout = r.stdout;
  }, LONG);

  test('.onnx: prints the top-5 of the model\'s softmax, equal to onnxruntime\'s on the same input', async () => {
    expect(onnxStdout).toMatch(/^onnx model, output "[^"]+" \[1,1001\]\n/);
    expect(onnxStdout).not.toMatch(/softmax applied/); // the model ends in Softmax
    const lines = top5(onnxStdout);
    expect(lines.map((l) => l.rank)).toEqual([1, 2, 3, 4, 5]);
    // no --category_file: the shipped ImageNet names, shifted past class 0 (background) of the 1001 space
    const names = readFileSync(asset('labels/imagenet_labels_1001_tfslim.txt'), 'utf8').split('\n');
    expect(lines.every((l) => l.label === names[l.index])).toBe(true);
    expect([282, 283, 284, 285, 286]).toContain(lines[0]!.index); // a cat (tf-slim 1001 index)
    expect(lines[0]!.label).toMatch(/cat/);
    for (let i = 1; i < 5; i++) expect(lines[i]!.prob).toBeLessThanOrEqual(lines[i - 1]!.prob);

    const ort = await import('onnxruntime-node');
    const cfg = preprocessConfig({ resize_dims: [146, 146], mean: [128, 128, 128], scale: [0.0078125, 0.0078125, 0.0078125], pixel_format: 'rgb' });
    const x = await preprocessImage(chelsea, cfg, [1, 3, 128, 128]);
    const session = await ort.InferenceSession.create(mbv1);
    const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.data, [1, 3, 128, 128]) });
    const p = res[session.outputNames[0]!]!.data as Float32Array;
    const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!).slice(0, 5);
    expect(lines.map((l) => l.index)).toEqual(order);
    for (const l of lines) expect(Math.abs(l.prob - p[l.index]!)).toBeLessThan(1e-4);
  });

  test('--output: the picture with the top-5 box drawn at the top-left, the rest untouched', async () => {
    const out = join(tmp, 'chelsea_top5.png');
    const [a, b] = await Promise.all([out, chelsea].map((f) => sharp(f).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
    expect([a!.info.width, a!.info.height]).toEqual([b!.info.width, b!.info.height]);
    const px = (img: typeof a, x: number, y: number) => [...img!.data.subarray((y * img!.info.width + x) * 3, (y * img!.info.width + x) * 3 + 3)];
    expect(px(a, 1, 1)).toEqual([0, 0, 0]);
    const [w, h] = [a!.info.width, a!.info.height];
    expect(px(a, w - 1, h - 1)).toEqual(px(b, w - 1, h - 1));
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('the top .mlir from model_transform and an F16 tpu .mlir from model_deploy agree with the .onnx run', () => {
    const mlir = join(tmp, 'mbv1.mlir');
    const t = runCli(['model_transform', '--model_name', 'mbv1', '--model_def', mbv1, '--input_shapes', '[[1,3,128,128]]', ...MBV1_FLAGS, '--mlir', mlir], undefined, LONG);
    expect(t.code, t.stderr).toBe(0);
    const top = classify('--model', mlir, '--input', chelsea);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^top model/);
    // same preprocessing (read from top.Input), same runtime: the same five lines
    expect(top5(top.stdout)).toEqual(top5(onnxStdout));

    const d = runCli(['model_deploy', '--mlir', mlir, '--quantize', 'F16', '--processor', 'bm1684x', '--model', join(tmp, 'mbv1_f16.bmodel')], undefined, LONG);
    expect(d.code, d.stderr).toBe(0);
    const tpu = classify('--model', join(tmp, 'mbv1_bm1684x_f16_tpu.mlir'), '--input', chelsea);
    expect(tpu.code, tpu.stderr).toBe(0);
    expect(tpu.stdout).toMatch(/^tpu model/);
    const [f16, f32] = [top5(tpu.stdout), top5(onnxStdout)];
    console.log(`mbv1 chelsea.png top-1: f32 ${f32[0]!.index} ${f32[0]!.prob}, F16 tpu ${f16[0]!.index} ${f16[0]!.prob}`);
    expect(f16[0]!.index).toBe(f32[0]!.index);
    expect(Math.abs(f16[0]!.prob - f32[0]!.prob)).toBeLessThan(0.02);
    // the .bmodel runs the program it carries: the very same five lines as its tpu .mlir
    const fromFile = classify('--model', join(tmp, 'mbv1_f16.bmodel'), '--input', chelsea);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(top5(fromFile.stdout)).toEqual(f16);
  }, 3 * LONG);
});

// The shared MobileNetV2 (tf2ptq, 1001 classes): the transformed model in /tmp/shared-out when
// there (TPUQ_SHARED_OUT), else the asset .onnx with the same preprocessing.
const SHARED_OUT = process.env.TPUQ_SHARED_OUT ?? '/tmp/shared-out';
const mv2Mlir = join(SHARED_OUT, 'mobilenet_v2.mlir');
const mv2Model = existsSync(mv2Mlir)
  ? [mv2Mlir]
  : [asset('models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx'), '--resize_dims', '256,256', '--mean', '127,127,127', '--scale', '0.007843137718737125,0.007843137718737125,0.007843137718737125', '--pixel_format', 'rgb'];

function valLabel(file: string): { index: number; name: string } {
  const line = readFileSync(asset('images/imagenet-val/labels.csv'), 'utf8').split(/\r?\n/).find((l) => l.startsWith(`${file},`))!;
  const m = /^[^,]+,[^,]+,\d+,(\d+),"?(.*?)"?$/.exec(line)!;
  return { index: Number(m[1]), name: m[2]! };
}

describe.skipIf(!HAVE_ASSETS)('classify with the shared MobileNetV2 on imagenet-val', () => {
  test.each(['n01496331_electric_ray.JPEG', 'n01560419_bulbul.JPEG'])('%s: top-1 is its labels.csv class', (file) => {
    const r = classify('--model', ...mv2Model, '--input', asset('images/imagenet-val', file), '--category_file', asset('labels/imagenet_labels_1001_tfslim.txt'));
    expect(r.code, r.stderr).toBe(0);
    console.log(`${file}:\n${r.stdout}`);
    const want = valLabel(file);
    const got = top5(r.stdout)[0]!;
    expect(got.index).toBe(want.index);
    expect(got.label).toBe(want.name);
  }, LONG);

  const table = process.env.TPUQ_MV2_CALI_TABLE ?? '';
  test.skipIf(table === '' || !existsSync(mv2Mlir))('INT8 bm1684x tpu .mlir (TPUQ_MV2_CALI_TABLE): top-1 on bulbul, with the 1000-name synset list', () => {
    const d = runCli(['model_deploy', '--mlir', mv2Mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', table, '--model', join(tmp, 'mv2.bmodel')], undefined, LONG);
    expect(d.code, d.stderr).toBe(0);
    const file = 'n01560419_bulbul.JPEG';
    const r = classify('--model', join(tmp, 'mobilenet_v2_bm1684x_int8_sym_tpu.mlir'), '--input', asset('images/imagenet-val', file), '--category_file', asset('labels/synset_words.txt'));
    expect(r.code, r.stderr).toBe(0);
    console.log(`INT8 ${file}:\n${r.stdout}`);
    const got = top5(r.stdout)[0]!;
    expect(got.index).toBe(valLabel(file).index);
    expect(got.label).toBe('n01560419 bulbul'); // a 1000-line list shifted past class 0 (background)
  }, 2 * LONG);
});

describe('classify: bad inputs are one-line user errors', () => {
  let err = '';
  async function run(...args: string[]): Promise<number> {
    const r = await runInProcess(['classify', ...args]);
    err = r.stderr;
    return r.code;
  }
  function expectError(code: number, id: string): void {
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^error\\[${id}\\]: [^\\n]+\\nhint: [^\\n]+\\n$`));
  }
  const notImage = join(tmp, 'not-an-image.jpg');
  writeFileSync(notImage, 'this is text');

  test('missing model, unknown model type, a .bmodel that is not one', async () => {
    expectError(await run('--model', join(tmp, 'nope.onnx'), '--input', chelsea), 'E_MODEL');
    expectError(await run('--model', chelsea, '--input', chelsea), 'E_UNSUPPORTED_MODEL');
    const bmodel = join(tmp, 'x.bmodel');
    writeFileSync(bmodel, '');
    expectError(await run('--model', bmodel, '--input', chelsea), 'E_BMODEL');
  });

  test('missing image, an image that does not decode, a bad --output type', async () => {
    expectError(await run('--model', mbv1, '--input', join(tmp, 'nope.png')), 'E_IO');
    expectError(await run('--model', mbv1, '--input', notImage), 'E_IMAGE');
    expectError(await run('--model', mbv1, '--input', chelsea, '--output', join(tmp, 'out.gif')), 'E_BAD_FLAG');
    expectError(await run('--model', mbv1, '--input', chelsea, '--output', chelsea), 'E_SAME_FILE');
  });

  test('preprocessing flags on a .mlir, a category file of the wrong length', async () => {
    expectError(await run('--model', join(repo, 'examples/tiny_conv/tiny_conv.mlir'), '--input', chelsea, '--mean', '1,2,3'), 'E_BAD_FLAG');
    const labels = join(tmp, 'three.txt');
    writeFileSync(labels, 'a\nb\nc\n');
    expectError(await run('--model', mbv1, '--input', chelsea, '--category_file', labels), 'E_LABELS');
  });
});
