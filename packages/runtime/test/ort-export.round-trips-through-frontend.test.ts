// exportOnnx's models are ONNX that our own importer reads back: the same ops (tiny_conv,
// MobileNetV1) and the same results on every shared model.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '@tpu-quant/frontend-onnx';
import type { Module, NdArray } from '@tpu-quant/ir';
import { decodeOnnxModel, loadNpy, runPipeline } from '@tpu-quant/ir';
import { createSession, exportOnnx } from '../src/index.js';
import { maxAbsDiff, random } from './helpers/build.js';
import { HAVE_MOBILENET, mobilenetV1, tinyConv } from './helpers/models.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../shared/assets');
const MODELS: [string, string][] = [
  ['imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', 'reference-outputs/mobilenet_v2_tf2ptq/input.npy'],
  ['ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', 'reference-outputs/ppocr_cls/input.npy'],
  ['detection/ultraface_version-RFB-320.onnx', 'reference-outputs/ultraface_RFB_320/input.npy'],
  ['detection/FastestDet_352.onnx', 'reference-outputs/fastestdet_352/input.npy'],
  ['detection/yolox_nano_416.onnx', 'reference-outputs/yolox_nano_416/input.npy'],
  ['ocr/ch_PP-OCRv4_det_infer.onnx', 'reference-outputs/ppocrv4_det/input.npy'],
  ['torch-random/tiny_yolo.onnx', 'models/torch-random/tiny_yolo.input.npy'],
  ['torch-random/tiny_vit.onnx', 'models/torch-random/tiny_vit.input.npy'],
];
const HAVE_MODELS = existsSync(resolve(ASSETS, 'models', MODELS[0]![0]));

/** Op types in order, without weights and None (the importer makes its own). */
const opTypes = (m: Module): string[] => m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None');

/** The module, exported and imported back (canonicalized, as model_transform leaves a model). */
async function roundTrip(m: Module, input: NdArray): Promise<Module> {
  const back = importOnnx(exportOnnx(m), { modelName: 'round_trip', inputShapes: [[...input.shape]] });
  await runPipeline(back, 'canonicalize');
  return back;
}

/**
 * Both modules' outputs on the default backend agree to `tol` of the output's scale. Constants
 * travel as float32 through ONNX (a MulConst of 1/6 comes back as 0.16666667), so deep models
 * differ in the last bits.
 */
async function expectSameResults(a: Module, b: Module, input: NdArray, tol = 1e-5): Promise<void> {
  const sa = await createSession(a);
  const sb = await createSession(b);
  const ra = await sa.run({ [sa.inputNames[0]!]: input });
  const rb = await sb.run({ [sb.inputNames[0]!]: input });
  expect(rb.outputs.size).toBe(ra.outputs.size);
  for (const [[name, x], y] of [...ra.outputs].map((e, i) => [e, [...rb.outputs.values()][i]!] as const)) {
    expect(y.shape, name).toEqual(x.shape);
    const scale = Math.max(1, ...Array.from(x.data as Float32Array, Math.abs));
    expect(maxAbsDiff(x, y), name).toBeLessThanOrEqual(tol * scale);
  }
  await sa.dispose();
  await sb.dispose();
}

describe('exported ONNX imports back as the same module', () => {
  it('tiny_conv: an opset-17 model named by loc names, the same ops and results', async () => {
    const m = await tinyConv();
    const model = decodeOnnxModel(exportOnnx(m, { capture: ['conv3'] }));
    expect(model.opset_import?.map((o) => [o.domain ?? '', o.version])).toEqual([['', 17]]);
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['input']);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['prob', 'conv3']);
    expect(model.graph!.initializer!.map((t) => t.name)).toContain('conv1_w');
    const input = random([1, 3, 32, 32], 2);
    const back = await roundTrip(m, input);
    expect(opTypes(back)).toEqual(opTypes(m).filter((t) => t !== 'top.Relu')); // the importer fuses Relu into Conv
    await expectSameResults(m, back, input);
  });

  it.skipIf(!HAVE_MOBILENET)('MobileNetV1 (../shared/assets): the same ops and results', async () => {
    const m = await mobilenetV1();
    await runPipeline(m, 'canonicalize');
    const input = random([1, 3, 128, 128], 3);
    const back = await roundTrip(m, input);
    expect(opTypes(back)).toEqual(opTypes(m).map((t) => (t === 'top.Flatten' ? 'top.Reshape' : t)));
    await expectSameResults(m, back, input);
  });

  it.skipIf(!HAVE_MODELS).each(MODELS)('%s (../shared/assets): the same results', async (file, inputFile) => {
    const input = await loadNpy(resolve(ASSETS, inputFile));
    const m = await importOnnxFile(resolve(ASSETS, 'models', file), { modelName: 'm', inputShapes: [[...input.shape]] });
    await runPipeline(m, 'canonicalize');
    await expectSameResults(m, await roundTrip(m, input), input, 1e-4);
  }, 120_000);
});
