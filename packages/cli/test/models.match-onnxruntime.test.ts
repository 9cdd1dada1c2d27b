// Every shared ONNX model: import it, run it with our reference executor on the reference input,
// and compare with what onnxruntime-node computed (stored in reference-outputs/).
import { describe, expect, test } from 'vitest';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { loadNpy, runPipeline, type NdArray, verifyModule } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import * as ort from 'onnxruntime-node';
import { asset, HAVE_ASSETS } from './assets.js';

interface Case {
  name: string;
  model: string;
  input: string;
  /** reference .npy of each graph output, in the model's output order */
  outputs: string[];
}

const ref = (c: string, f: string) => asset('reference-outputs', c, f);
const CASES: Case[] = [
  { name: 'mobilenet_v1_025_128', model: asset('models/imagenet/mobilenet_v1_0.25_128.qat-dequant.onnx'), input: ref('mobilenet_v1_025_128', 'input.npy'), outputs: [ref('mobilenet_v1_025_128', 'output_output.npy')] },
  { name: 'mobilenet_v2_tf2ptq', model: asset('models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx'), input: ref('mobilenet_v2_tf2ptq', 'input.npy'), outputs: [ref('mobilenet_v2_tf2ptq', 'output_output.npy')] },
  { name: 'ppocr_cls', model: asset('models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx'), input: ref('ppocr_cls', 'input.npy'), outputs: [ref('ppocr_cls', 'output_softmax_0.tmp_0.npy')] },
  { name: 'ultraface_RFB_320', model: asset('models/detection/ultraface_version-RFB-320.onnx'), input: ref('ultraface_RFB_320', 'input.npy'), outputs: [ref('ultraface_RFB_320', 'output_scores.npy'), ref('ultraface_RFB_320', 'output_boxes.npy')] },
  { name: 'fastestdet_352', model: asset('models/detection/FastestDet_352.onnx'), input: ref('fastestdet_352', 'input.npy'), outputs: [ref('fastestdet_352', 'output_758.npy')] },
  { name: 'yolox_nano_416', model: asset('models/detection/yolox_nano_416.onnx'), input: ref('yolox_nano_416', 'input.npy'), outputs: [ref('yolox_nano_416', 'output_output.npy')] },
  { name: 'ppocrv4_det', model: asset('models/ocr/ch_PP-OCRv4_det_infer.onnx'), input: ref('ppocrv4_det', 'input.npy'), outputs: [ref('ppocrv4_det', 'output_sigmoid_0.tmp_0.npy')] },
  { name: 'tiny_yolo', model: asset('models/torch-random/tiny_yolo.onnx'), input: asset('models/torch-random/tiny_yolo.input.npy'), outputs: [asset('models/torch-random/tiny_yolo.output.npy')] },
  { name: 'tiny_vit', model: asset('models/torch-random/tiny_vit.onnx'), input: asset('models/torch-random/tiny_vit.input.npy'), outputs: [asset('models/torch-random/tiny_vit.output.npy')] },
];

async function runOrt(model: string, input: NdArray): Promise<NdArray[]> {
  const session = await ort.InferenceSession.create(model);
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) };
  const out = await session.run(feeds);
  const arrays = session.outputNames.map((n) => ({ dtype: 'f32' as const, shape: out[n]!.dims.map(Number), data: out[n]!.data as Float32Array }));
  await session.release();
  return arrays;
}

/** Cosine similarity in f64 (an independent check, not the library's compare code). */
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
  return xy / Math.sqrt(xx * yy);
}

function maxRelError(a: NdArray, b: NdArray): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let scale = 0;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (scale || 1));
  return worst;
}

// Both backends: js (the reference) and wasm (the default, which must agree as closely).
const RUNS = CASES.flatMap((c) => (['js', 'wasm'] as const).map((backend) => ({ ...c, backend })));

describe.skipIf(!HAVE_ASSETS)('shared ONNX models: our executor agrees with onnxruntime', () => {
  test.each(RUNS)('$name on $backend', async (c) => {
    const input = await loadNpy(c.input);
    const module = await importOnnxFile(c.model, { modelName: c.name, inputShapes: [[...input.shape]] });
    // As model_transform leaves it: canonicalized (Relus folded into the ops before them).
    await runPipeline(module, 'canonicalize');
    verifyModule(module);
    const session = await createSession(module, { backend: c.backend });
    expect(session.backend).toBe(c.backend); // wasm must load, not fall back
    const { outputs } = await session.run(new Map([[session.inputNames[0]!, input]]));
    // The stored reference covers the first outputs (tiny_yolo's .output.npy holds output 0 only);
    // every output is also checked against onnxruntime-node live.
    const live = await runOrt(c.model, input);
    expect(session.outputNames).toHaveLength(live.length);
    const references = await Promise.all(c.outputs.map((f) => loadNpy(f)));
    for (const [i, expected] of [...references.entries(), ...live.map((a, j) => [j, a] as const)]) {
      const name = session.outputNames[i]!;
      const got = outputs.get(name);
      expect(got, `output ${name}`).toBeDefined();
      expect(got!.shape).toEqual(expected.shape);
      const cos = cosine(got!, expected);
      const rel = maxRelError(got!, expected);
      console.log(`${c.name} (${c.backend}) ${name}: cosine ${cos.toFixed(8)}, max |diff| / max |ref| = ${rel.toExponential(2)}`);
      expect(cos).toBeGreaterThanOrEqual(0.99999);
    }
  }, 240_000);
});
