// The detect sample command end to end: YOLOX-Nano (the shared asset .onnx with detect's default
// YOLOX preprocessing, and the transformed top .mlir when /tmp/shared-out has it) on darknet's
// dog.jpg finds the dog, the bicycle and the car (float, and an INT8 .bmodel made on the spot);
// the random-weight tiny_yolo (a YOLOv3-style
// two-head net) only has to run; bad inputs are one-line errors.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadMlirModule } from '../src/model-files.js';
import { asset, HAVE_ASSETS } from './assets.js';
import { runInProcess } from './in-process.js';
import { runCli } from './run-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tpuq-detect-'));
const dog = join(repo, 'examples/images/darknet/dog.jpg');
const yoloxOnnx = asset('models/detection/yolox_nano_416.onnx');
const yoloxMlir = join(process.env.TPUQ_SHARED_OUT ?? '/tmp/shared-out', 'yolox_nano.mlir');
const LONG = 240_000;
const detect = (...args: string[]) => runCli(['detect', ...args], undefined, LONG);

interface Box { name: string; score: number; x0: number; y0: number; x1: number; y1: number }
/** `class:score% x0=.. y0=.. x1=.. y1=..` lines */
function boxes(stdout: string): Box[] {
  return [...stdout.matchAll(/^(.+):(\d+\.\d)% x0=(-?\d+) y0=(-?\d+) x1=(-?\d+) y1=(-?\d+)$/gm)].map((m) => ({
    name: m[1]!, score: Number(m[2]), x0: Number(m[3]), y0: Number(m[4]), x1: Number(m[5]), y1: Number(m[6]),
  }));
}

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const area = (x: Box) => (x.x1 - x.x0) * (x.y1 - x.y0);
  return (w * h) / (area(a) + area(b) - w * h);
}

/** Where the objects of dog.jpg (768x576) are, roughly (YOLO demo results). */
function expectDogScene(found: Box[]): void {
  const best = (name: string) => found.filter((b) => b.name === name).sort((a, b) => b.score - a.score)[0];
  const dogBox = best('dog');
  const bike = best('bicycle');
  const car = best('car') ?? best('truck');
  expect(dogBox, 'a dog').toBeDefined();
  expect(bike, 'a bicycle').toBeDefined();
  expect(car, 'a car or truck').toBeDefined();
  // dog lower left, bicycle across the middle, car top right
  expect(dogBox!.x0).toBeGreaterThan(100); expect(dogBox!.x1).toBeLessThan(360); expect(dogBox!.y1).toBeGreaterThan(500);
  expect(bike!.x0).toBeLessThan(150); expect(bike!.x1).toBeGreaterThan(500); expect(bike!.y0).toBeGreaterThan(100);
  expect(car!.x0).toBeGreaterThan(420); expect(car!.y1).toBeLessThan(220);
  expect(dogBox!.score).toBeGreaterThan(50);
}

describe.skipIf(!HAVE_ASSETS)('detect with YOLOX-Nano on dog.jpg', () => {
  let onnxStdout = '';
  beforeAll(() => {
    const r = detect('--model', yoloxOnnx, '--input', dog, '--output', join(tmp, 'dog_det.jpg'));
    if (r.code !== 0) throw new Error(r.stderr);
    onnxStdout = r.stdout;
  }, LONG);

  test('.onnx: finds the dog, the bicycle and the car, boxes in image pixels', () => {
    console.log(onnxStdout);
    expect(onnxStdout).toMatch(/^onnx model, yolox head, 80 classes: \d+ boxes at conf >= 0.25, \d+ after NMS 0.45\n/);
    const found = boxes(onnxStdout);
    expectDogScene(found);
    for (const b of found) {
      expect(b.score).toBeGreaterThanOrEqual(25);
      expect(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 768 && b.y1 <= 576).toBe(true);
    }
  });

  test('--output: the picture at its own size, with the boxes drawn', async () => {
    const [out, src] = await Promise.all([join(tmp, 'dog_det.jpg'), dog].map((f) => sharp(f).raw().toBuffer({ resolveWithObject: true })));
    expect([out!.info.width, out!.info.height, out!.info.format]).toEqual([768, 576, 'raw']);
    let changed = 0;
    for (let i = 0; i < src!.data.length; i++) if (Math.abs(out!.data[i]! - src!.data[i]!) > 40) changed++;
    expect(changed).toBeGreaterThan(3000); // box outlines and label boxes, not just JPEG noise
  });

  test.skipIf(!existsSync(yoloxMlir))('the transformed top .mlir (its top.Input letterbox) gives the same detections', () => {
    const r = detect('--model', yoloxMlir, '--input', dog);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^top model, yolox head/);
    expect(boxes(r.stdout)).toEqual(boxes(onnxStdout));
  }, LONG);

  // Pure INT8 loses the dog: TPU-MLIR's auto-tune raises the stem conv's threshold (the input of its
  // SiLU, since canonicalize fuses x·sigmoid(x)) from KLD's ~25 to ~75 of |x| <= 133, and the small
  // activations vanish. Keeping the stem conv and its SiLU in F16 by qtable (what a sensitive-layer
  // search finds first) is how TPU-MLIR users deploy it; everything else is INT8.
  test('INT8 (stem in F16 by qtable): transformed, calibrated (KLD + tune) on the 10 coco-like images, deployed to a bm1684x .bmodel — the file finds the dog, bicycle and car where float does', async () => {
    const dir = join(tmp, 'int8');
    mkdirSync(dir, { recursive: true });
    const mlir = join(dir, 'yolox_nano.mlir');
    const t = runCli(['model_transform', '--model_name', 'yolox_nano', '--model_def', yoloxOnnx, '--input_shapes', '[[1,3,416,416]]',
      '--keep_aspect_ratio', '--pad_type', 'normal', '--pad_value', '114', '--pixel_format', 'bgr', '--mlir', mlir], undefined, LONG);
    expect(t.code, t.stderr).toBe(0);
    const table = join(dir, 'yolox_nano_cali_table');
    const c = runCli(['run_calibration', mlir, '--dataset', asset('images/coco-like'), '--input_num', '10', '-o', table], undefined, LONG);
    expect(c.code, c.stderr).toBe(0);
    const module = await loadMlirModule(mlir);
    const stem = module.main.ops.find((op) => op.type === 'top.Conv')!;
    const act = stem.result().uses[0]!.op;
    expect(act.type).toBe('top.SiLU');
    const qtable = join(dir, 'stem_qtable');
    writeFileSync(qtable, `${stem.name} F16\n${act.name} F16\n`);
    const bmodel = join(dir, 'yolox_nano_int8.bmodel');
    const d = runCli(['model_deploy', '--mlir', mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', table, '--quantize_table', qtable, '--model', bmodel], undefined, LONG);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/left in float: none/);
    const r = detect('--model', bmodel, '--input', dog, '--output', join(dir, 'dog_int8.jpg'));
    expect(r.code, r.stderr).toBe(0);
    console.log(r.stdout);
    expect(r.stdout).toMatch(/^tpu model, yolox head/);
    // the same objects as the float model, each best box overlapping float's by IoU >= 0.5
    const int8 = boxes(r.stdout);
    const float = boxes(onnxStdout);
    const best = (bs: Box[], name: string) => bs.filter((b) => b.name === name).sort((a, b) => b.score - a.score)[0];
    for (const name of ['dog', 'bicycle', 'car']) {
      const [q, f] = [best(int8, name), best(float, name)];
      expect(q, `INT8 finds a ${name}`).toBeDefined();
      expect(iou(q!, f!), `${name}: INT8 ${JSON.stringify(q)} vs float ${JSON.stringify(f)}`).toBeGreaterThanOrEqual(0.5);
    }
  }, 2 * LONG);

  test('tiny_yolo (random weights, YOLOv3-style heads already through sigmoid) runs', () => {
    const r = detect('--model', asset('models/torch-random/tiny_yolo.onnx'), '--input', dog, '--conf', '0.28');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^onnx model, yolov3 head, 80 classes: \d+ boxes at conf >= 0.28, \d+ after NMS 0.45\n/);
    expect(boxes(r.stdout).length > 0 || r.stdout.includes('No object was detected\n')).toBe(true);
  }, LONG);
});

describe('detect: bad inputs are one-line user errors', () => {
  let err = '';
  async function run(...args: string[]): Promise<number> {
    const r = await runInProcess(['detect', ...args]);
    err = r.stderr;
    return r.code;
  }
  function expectError(code: number, id: string): void {
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^error\\[${id}\\]: [^\\n]+\\nhint: [^\\n]+\\n$`));
  }
  const mbv1 = join(repo, 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx');

  test('thresholds out of range, missing model, unknown model type', async () => {
    expectError(await run('--model', mbv1, '--input', dog, '--conf', '2'), 'E_BAD_FLAG');
    expectError(await run('--model', mbv1, '--input', dog, '--nms', 'x'), 'E_BAD_FLAG');
    expectError(await run('--model', join(tmp, 'nope.mlir'), '--input', dog), 'E_MODEL');
    expectError(await run('--model', dog, '--input', dog), 'E_UNSUPPORTED_MODEL');
  });

  test('a classifier has no detection head to decode', async () => {
    expectError(await run('--model', mbv1, '--input', dog), 'E_UNSUPPORTED_MODEL');
    expect(err).toMatch(/cannot decode detection outputs \[1,1001\]/);
  });
});
