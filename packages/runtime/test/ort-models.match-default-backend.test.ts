// Every shared ONNX model, imported to top as model_transform leaves it (canonicalized), exported
// to ONNX and run by the ort backend, against the default (wasm) backend on the reference input:
// outputs by cosine and max |diff|, and every captured tensor (capture: 'all') by max |diff|.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import type { NdArray } from '@tpu-quant/ir';
import { loadNpy, runPipeline, verifyModule } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../shared/assets');
const HAVE_ASSETS = existsSync(resolve(ASSETS, 'models'));
if (!HAVE_ASSETS) console.warn(`shared assets not found at ${ASSETS} (set TPUQ_ASSETS): the ort model tests are skipped`);
const model = (p: string): string => resolve(ASSETS, 'models', p);
const ref = (c: string): string => resolve(ASSETS, 'reference-outputs', c, 'input.npy');

interface Case { name: string; model: string; input: string }

const CASES: Case[] = [
  { name: 'mobilenet_v1_025_128', model: model('imagenet/mobilenet_v1_0.25_128.qat-dequant.onnx'), input: ref('mobilenet_v1_025_128') },
  { name: 'mobilenet_v2_tf2ptq', model: model('imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx'), input: ref('mobilenet_v2_tf2ptq') },
  { name: 'ppocr_cls', model: model('ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx'), input: ref('ppocr_cls') },
  { name: 'ultraface_RFB_320', model: model('detection/ultraface_version-RFB-320.onnx'), input: ref('ultraface_RFB_320') },
  { name: 'fastestdet_352', model: model('detection/FastestDet_352.onnx'), input: ref('fastestdet_352') },
  { name: 'yolox_nano_416', model: model('detection/yolox_nano_416.onnx'), input: ref('yolox_nano_416') },
  { name: 'ppocrv4_det', model: model('ocr/ch_PP-OCRv4_det_infer.onnx'), input: ref('ppocrv4_det') },
  { name: 'tiny_yolo', model: model('torch-random/tiny_yolo.onnx'), input: model('torch-random/tiny_yolo.input.npy') },
  { name: 'tiny_vit', model: model('torch-random/tiny_vit.onnx'), input: model('torch-random/tiny_vit.input.npy') },
];

/** Cosine similarity in f64. */
function cosine(a: NdArray, b: NdArray): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xx === 0 && yy === 0 ? 1 : xy / Math.sqrt(xx * yy);
}

/** max |a − b| / max |b| (b's scale, at least 1e-30). */
function relMaxDiff(a: NdArray, b: NdArray): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let scale = 1e-30;
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst / scale;
}

describe.skipIf(!HAVE_ASSETS)('shared models: the ort backend agrees with the default backend', () => {
  test.each(CASES)('$name', async (c) => {
    const input = await loadNpy(c.input);
    const m = await importOnnxFile(c.model, { modelName: c.name, inputShapes: [[...input.shape]] });
    await runPipeline(m, 'canonicalize');
    verifyModule(m);
    const base = await createSession(m);
    const ort = await createSession(m, { backend: 'ort' });
    const feed = new Map([[ort.inputNames[0]!, input]]);
    const want = await base.run(feed, { capture: 'all' });
    const got = await ort.run(feed, { capture: 'all' });
    await ort.dispose();
    await base.dispose();
    for (const [name, v] of want.outputs) {
      const g = got.outputs.get(name)!;
      expect(g.shape, name).toEqual(v.shape);
      const cos = cosine(g, v);
      const rel = relMaxDiff(g, v);
      console.log(`${c.name} ${name} (ort vs ${base.backend}): cosine ${cos.toFixed(8)}, max |diff| / max |ref| ${rel.toExponential(2)}`);
      expect(cos, name).toBeGreaterThanOrEqual(0.99999);
      expect(rel, name).toBeLessThan(1e-4);
    }
    expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
    let worst = 0;
    for (const [name, v] of want.tensors) {
      expect(got.tensors.get(name)!.shape, name).toEqual(v.shape);
      worst = Math.max(worst, relMaxDiff(got.tensors.get(name)!, v));
    }
    console.log(`${c.name}: ${want.tensors.size} captured tensors, worst max |diff| / max |ref| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
  }, 240_000);
});
