// The three benchmark models (../shared/assets; skipped without them) on the wasm backend agree
// with the js reference on one random input: cosine ≥ 0.99999 for every output.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { createSession } from '../../src/index.js';
import { random } from '../helpers/build.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
const MODELS = [
  { name: 'mobilenet_v2', file: 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', shape: [1, 3, 224, 224] },
  { name: 'yolox_nano', file: 'models/detection/yolox_nano_416.onnx', shape: [1, 3, 416, 416] },
  { name: 'ppocrv4_det', file: 'models/ocr/ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 480, 480] },
].map((m) => ({ ...m, path: resolve(ASSETS, m.file) }));

function cosine(a: NdArray, b: NdArray): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xy / Math.sqrt(xx * yy);
}

describe.each(MODELS)('$name on wasm matches js', ({ path, shape }) => {
  it.skipIf(!existsSync(path))('every output within cosine 0.99999', async () => {
    const m = await importOnnxFile(path, { modelName: 'm', inputShapes: [shape] });
    const [js, wasm] = await Promise.all([createSession(m), createSession(m, { backend: 'wasm' })]);
    expect(wasm.kernelReport().counts.wasm ?? 0).toBeGreaterThan(0);
    const x = random(shape, 7);
    const inputs = { [js.inputNames[0]!]: x };
    const want = (await js.run(inputs)).outputs;
    const got = (await wasm.run(inputs)).outputs;
    for (const [name, w] of want) {
      const g = got.get(name)!;
      expect(g.shape).toEqual(w.shape);
      expect(cosine(g, w), name).toBeGreaterThanOrEqual(0.99999);
    }
  }, 30_000);
});
