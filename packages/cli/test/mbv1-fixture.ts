// The model_deploy tests' common start: the shipped MobileNetV1 0.25/128 through model_transform
// (its tf-slim preprocessing, verified on chelsea.png) and run_calibration (12 shipped images, KLD,
// no tuning), into a directory of the test's own.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const chelsea = join(repo, 'examples/images/skimage/chelsea.png');

/** Writes `dir`/mbv1.mlir (+ weights, test input and outputs) and `dir`/mbv1_cali_table; throws on failure. */
export function prepareMbv1(dir: string): { mlir: string; table: string } {
  const mlir = join(dir, 'mbv1.mlir');
  const table = join(dir, 'mbv1_cali_table');
  const t = runCli([
    'model_transform', '--model_name', 'mbv1', '--model_def', join(repo, 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx'),
    '--input_shapes', '[[1,3,128,128]]', '--resize_dims', '146,146', '--mean', '128,128,128', '--scale', '0.0078125,0.0078125,0.0078125',
    '--pixel_format', 'rgb', '--test_input', chelsea, '--mlir', mlir,
  ], undefined, 120_000);
  if (t.code !== 0) throw new Error(t.stderr);
  const c = runCli(['run_calibration', mlir, '--dataset', join(repo, 'examples/images'), '--input_num', '12', '--tune_num', '0', '-o', table], undefined, 170_000);
  if (c.code !== 0) throw new Error(c.stderr);
  return { mlir, table };
}
