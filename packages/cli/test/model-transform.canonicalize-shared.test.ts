// model_transform on the shared detection / OCR models with TPU-MLIR's top canonicalizations:
// every tensor still matches onnxruntime (model_transform's own comparison, tolerance 0.99,0.99)
// and the top model has the ops TPU-MLIR's has (SiLU instead of Sigmoid + Mul, no BatchNorm after
// a Conv, Slice instead of a Gather of one index, MulConst/AddConst for one-element weights).
// Prints the op counts before (as imported) and after. Opt-in, it transforms four real models:
//   TPUQ_CANON_SHARED=1 npx vitest run packages/cli/test/model-transform.canonicalize-shared.test.ts
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { asset, HAVE_ASSETS } from './assets.js';
import { runCli } from './run-cli.js';

const RUN = HAVE_ASSETS && process.env.TPUQ_CANON_SHARED === '1';
if (!RUN) console.log('model-transform.canonicalize-shared: set TPUQ_CANON_SHARED=1 (and have ../shared/assets) to run it; skipped');
const tmp = RUN ? mkdtempSync(join(tmpdir(), 'tpuq-canon-')) : '';
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Case {
  name: string;
  model: string;
  shape: number[];
  flags: string[];
  /** op type -> count expected after canonicalization */
  after: Record<string, number>;
}

const firstFace = (): string => asset('images/faces', readdirSync(asset('images/faces')).sort()[0]!);
const CASES: Case[] = [
  {
    name: 'yolox_nano', model: 'detection/yolox_nano_416.onnx', shape: [1, 3, 416, 416],
    flags: ['--keep_aspect_ratio', '--pad_type', 'normal', '--pad_value', '114', '--pixel_format', 'bgr', '--test_input', asset('images/darknet/dog.jpg')],
    after: { 'top.SiLU': 104, 'top.Sigmoid': 6, 'top.Mul': 0 },
  },
  {
    name: 'fastestdet', model: 'detection/FastestDet_352.onnx', shape: [1, 3, 352, 352],
    flags: ['--scale', '0.00392156862745098,0.00392156862745098,0.00392156862745098', '--pixel_format', 'bgr', '--test_input', asset('images/darknet/horses.jpg')],
    after: { 'top.Gather': 0, 'top.Slice': 26, 'top.Squeeze': 26, 'top.Relu': 0 },
  },
  {
    name: 'ultraface', model: 'detection/ultraface_version-RFB-320.onnx', shape: [1, 3, 240, 320],
    flags: ['--mean', '127,127,127', '--scale', '0.0078125,0.0078125,0.0078125', '--pixel_format', 'rgb', '--test_input', firstFace()],
    after: { 'top.BatchNorm': 0, 'top.Relu': 0, 'top.Conv': 52 },
  },
  {
    name: 'ppocrv4_det', model: 'ocr/ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 480, 480],
    flags: ['--mean', '123.675,116.28,103.53', '--scale', '0.017124753831663668,0.01750700280112045,0.017429193899782137', '--pixel_format', 'bgr', '--test_input', asset('reference-outputs/ppocrv4_det/input.npy')],
    // One BatchNorm follows a Deconv: a Scale, as TopBatchNormToScale leaves it.
    after: { 'top.BatchNorm': 0, 'top.Scale': 1 },
  },
];

function counts(types: Iterable<string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const t of types) if (t !== 'top.Weight') c.set(t, (c.get(t) ?? 0) + 1);
  return c;
}

const show = (c: Map<string, number>): string => [...c].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t.slice(4)}`).join(', ');

describe.skipIf(!RUN)('model_transform canonicalizes the shared models as TPU-MLIR does', () => {
  test.each(CASES)('$name', async (c) => {
    const imported = await importOnnxFile(asset('models', c.model), { modelName: c.name, inputShapes: [c.shape] });
    const before = counts(imported.main.ops.map((o) => o.type).filter((t) => t.startsWith('top.')));
    const mlir = join(tmp, `${c.name}.mlir`);
    const r = runCli(['model_transform', '--model_name', c.name, '--model_def', asset('models', c.model), '--input_shapes', JSON.stringify([c.shape]), '--mlir', mlir, ...c.flags], undefined, 600_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/npz compare PASSED\./);
    const after = counts([...readFileSync(mlir, 'utf8').matchAll(/"(top\.\w+)"/g)].map((m) => m[1]!));
    console.log(`${c.name}\n  imported:     ${show(before)}\n  canonicalized: ${show(after)}`);
    for (const [t, n] of Object.entries(c.after)) expect(after.get(t) ?? 0, t).toBe(n);
  }, 900_000);
});
