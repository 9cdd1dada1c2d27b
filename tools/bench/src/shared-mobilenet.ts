// The shared MobileNetV2 as the calibration and deploy benchmarks use it: imported with tf-slim's
// ImageNet preprocessing on top.Input (so images calibrate as model_transform would have them) and
// canonicalized, as model_transform leaves a top module.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { runPipeline, type Module } from '@tpu-quant/ir';

const MODEL = 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx';
const IMAGES = 'images/imagenet-cali';

/** The model and calibration-image paths under `assets`, or a "skipped" line when either is missing. */
export function sharedMobilenetPaths(assets: string, bench: string): { model: string; images: string } | undefined {
  const model = join(assets, MODEL);
  const images = join(assets, IMAGES);
  if (existsSync(model) && existsSync(images)) return { model, images };
  console.log(`${bench}: skipped (${model} or ${images} not found; set TPUQ_ASSETS)`);
  return undefined;
}

export async function importSharedMobilenet(path: string): Promise<Module> {
  const module = await importOnnxFile(path, {
    modelName: 'mobilenet_v2',
    inputShapes: [[1, 3, 224, 224]],
    preprocess: {
      pixel_format: 'rgb', channel_format: 'nchw', resize_dims: [256, 256], keep_aspect_ratio: false,
      mean: [127, 127, 127], scale: [0.007843137718737125, 0.007843137718737125, 0.007843137718737125],
    },
  });
  await runPipeline(module, 'canonicalize');
  return module;
}
