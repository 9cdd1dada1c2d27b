// Every shared ONNX model imports into a verified top module with static shapes whose outputs
// have the shapes onnxruntime reports for the same input.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseNpy, verifyModule, type Module } from '@tpu-quant/ir';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../src/index.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(__dirname, '../../../../shared/assets');

interface Case {
  id: string;
  model: string;
  input: string;
  /** Fix dynamic dims: to the reference input's shape. */
  dynamic?: boolean;
}

const CASES: Case[] = [
  { id: 'mobilenet_v1', model: 'models/imagenet/mobilenet_v1_0.25_128.qat-dequant.onnx', input: 'reference-outputs/mobilenet_v1_025_128/input.npy' },
  { id: 'mobilenet_v2', model: 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', input: 'reference-outputs/mobilenet_v2_tf2ptq/input.npy' },
  { id: 'yolox_nano', model: 'models/detection/yolox_nano_416.onnx', input: 'reference-outputs/yolox_nano_416/input.npy' },
  { id: 'fastestdet', model: 'models/detection/FastestDet_352.onnx', input: 'reference-outputs/fastestdet_352/input.npy' },
  { id: 'ultraface', model: 'models/detection/ultraface_version-RFB-320.onnx', input: 'reference-outputs/ultraface_RFB_320/input.npy' },
  { id: 'ppocrv4_det', model: 'models/ocr/ch_PP-OCRv4_det_infer.onnx', input: 'reference-outputs/ppocrv4_det/input.npy', dynamic: true },
  { id: 'ppocr_cls', model: 'models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', input: 'reference-outputs/ppocr_cls/input.npy', dynamic: true },
  { id: 'tiny_yolo', model: 'models/torch-random/tiny_yolo.onnx', input: 'models/torch-random/tiny_yolo.input.npy' },
  { id: 'tiny_vit', model: 'models/torch-random/tiny_vit.onnx', input: 'models/torch-random/tiny_vit.input.npy' },
];

const have = existsSync(join(ASSETS, 'models'));
if (!have) console.warn(`[frontend-onnx] skipping model imports: ${ASSETS} not found (set TPUQ_ASSETS)`);

function staticProblems(m: Module): string[] {
  const bad: string[] = [];
  for (const op of m.allOps()) {
    for (const r of op.results) {
      if (r.type.kind === 'tensor' && r.type.shape.some((d) => !(d > 0))) bad.push(`${op.type} ${op.name}`);
    }
  }
  return bad;
}

describe.skipIf(!have)('shared ONNX models', () => {
  for (const c of CASES) {
    it(`${c.id} imports with onnxruntime's output shapes`, async () => {
      const path = join(ASSETS, c.model);
      const npy = parseNpy(readFileSync(join(ASSETS, c.input)));
      const m = await importOnnxFile(path, { modelName: c.id, inputShapes: c.dynamic ? [[...npy.shape]] : undefined });
      verifyModule(m);
      expect(staticProblems(m)).toEqual([]);
      expect(m.name).toBe(c.id);
      const inputOp = m.main.ops.find((o) => o.type === 'top.Input')!;
      expect(inputOp.result().type.kind === 'tensor' && inputOp.result().type).toMatchObject({ shape: npy.shape });
      // Every weight the IR references is in module.weights with the op's shape.
      for (const op of m.allOps()) {
        if (op.type !== 'top.Weight') continue;
        const w = m.weights.get(op.name!);
        expect(w, op.name).toBeDefined();
        const t = op.result().type;
        expect(w!.shape).toEqual(t.kind === 'tensor' ? t.shape : []);
        expect(w!.dtype).toBe('f32');
      }
      const session = await ort.InferenceSession.create(path);
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', npy.data as Float32Array, [...npy.shape]) };
      const outs = await session.run(feeds);
      const want = session.outputNames.map((n) => [...outs[n]!.dims]);
      const got = m.main.outputs.map((v) => (v.type.kind === 'tensor' ? [...v.type.shape] : []));
      expect(got).toEqual(want);
    });
  }

  it('PP-OCRv4 det at [1,3,640,640] keeps H and W through its resize chain', async () => {
    const m = await importOnnxFile(join(ASSETS, 'models/ocr/ch_PP-OCRv4_det_infer.onnx'), { modelName: 'ppocr', inputShapes: [[1, 3, 640, 640]] });
    verifyModule(m);
    expect(m.main.outputs.map((v) => (v.type.kind === 'tensor' ? v.type.shape : []))).toEqual([[1, 1, 640, 640]]);
  });

  it('refuses a dynamic model without input shapes', async () => {
    await expect(importOnnxFile(join(ASSETS, 'models/ocr/ch_PP-OCRv4_det_infer.onnx'), { modelName: 'ppocr' })).rejects.toMatchObject({
      code: 'E_INPUT_SHAPES',
      message: expect.stringContaining('"x"'),
    });
  });
});
