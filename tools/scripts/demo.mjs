#!/usr/bin/env node
// `pnpm demo` (after `pnpm build`): the seed's mobilenet walkthrough on the example model and
// images the repo ships: transform, calibrate, deploy INT8 and F32 .bmodels, classify one image
// with both and print their agreement; then the IR tools on a tiny example.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'bin', 'tpu-quant.js');
const example = join('examples', 'tiny_conv');
const mlir = join(example, 'tiny_conv.mlir');
const weights = join(example, 'tiny_conv_top_f32_all_weight.npz');
const out = 'demo-out';
mkdirSync(join(root, out), { recursive: true });

function step(title, args, { capture = false } = {}) {
  console.log(`\n== ${title}\n$ tpu-quant ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (capture) process.stdout.write(r.stdout);
  if (r.status !== 0) {
    console.error(`demo: "${title}" failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return r.stdout ?? '';
}

/** The class indices of classify's top-5 lines ("1. label (index): prob"). */
function top5(stdout) {
  return [...stdout.matchAll(/^\s*\d+\. .*\((\d+)\): ([\d.]+)$/gm)].map((m) => Number(m[1]));
}

step('processors tpu-quant can target', ['processors']);

// model_transform on the shipped MobileNetV1 (RGB, crop 87.5 % of 146 -> 128, (x - 128) / 128),
// verified against onnxruntime-node on a shipped image, as TPU-MLIR verifies against the framework.
step('model_transform: ONNX -> top .mlir + weights, verified against onnxruntime', [
  'model_transform', '--model_name', 'mobilenet_v1', '--model_def', 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx',
  '--input_shapes', '[[1,3,128,128]]', '--resize_dims', '146,146', '--mean', '128,128,128', '--scale', '0.0078125,0.0078125,0.0078125',
  '--pixel_format', 'rgb', '--test_input', 'examples/images/skimage/chelsea.png',
  '--test_result', join(out, 'mobilenet_v1_top_outputs.npz'), '--mlir', join(out, 'mobilenet_v1.mlir'),
]);
step('model_runner: run the top model again on the saved input', [
  'model_runner', '--model', join(out, 'mobilenet_v1.mlir'), '--input', join(out, 'mobilenet_v1_in_f32.npz'),
  '--output', join(out, 'mobilenet_v1_runner_outputs.npz'),
]);
step('the two runs agree', [
  'npz_tool', 'compare', join(out, 'mobilenet_v1_runner_outputs.npz'), join(out, 'mobilenet_v1_top_outputs.npz'), '-v',
]);

// run_calibration on the shipped images (12 photos): KLD thresholds + auto-tune, then a second
// method from the cached statistics (no model runs). A cache from an earlier demo run is removed
// first, so the statistics pass really runs.
rmSync(join(root, out, '.tpu-quant-cache'), { recursive: true, force: true });
step('run_calibration: KLD calibration table from the shipped images', [
  'run_calibration', join(out, 'mobilenet_v1.mlir'), '--dataset', 'examples/images', '--input_num', '12',
  '-o', join(out, 'mobilenet_v1_cali_table'),
]);
step('run_calibration: another method from the cached statistics', [
  'run_calibration', join(out, 'mobilenet_v1.mlir'), '--dataset', 'examples/images', '--input_num', '12',
  '--cali_method', 'use_mse', '-o', join(out, 'mobilenet_v1_cali_table.mse'),
]);
const table = readFileSync(join(root, out, 'mobilenet_v1_cali_table'), 'utf8').split('\n');
console.log(`\nfirst lines of ${join(out, 'mobilenet_v1_cali_table')}:\n${table.slice(0, 12).join('\n')}`);

// model_deploy: INT8 for bm1684x with the table, simulated with integer-exact kernels and verified
// against the float top model on the same image (TPU-MLIR's default INT8 tolerance)
step('model_deploy: INT8 bm1684x, verified against the float model', [
  'model_deploy', '--mlir', join(out, 'mobilenet_v1.mlir'), '--quantize', 'INT8', '--processor', 'bm1684x',
  '--calibration_table', join(out, 'mobilenet_v1_cali_table'), '--test_input', join(out, 'mobilenet_v1_in_f32.npz'),
  '--test_reference', join(out, 'mobilenet_v1_top_outputs.npz'), '--model', join(out, 'mobilenet_v1_int8.bmodel'),
]);

// the seed's walkthrough ends with both models deployed and classifying the same image
step('model_deploy: F32 bm1684x', [
  'model_deploy', '--mlir', join(out, 'mobilenet_v1.mlir'), '--quantize', 'F32', '--processor', 'bm1684x',
  '--test_input', join(out, 'mobilenet_v1_in_f32.npz'), '--test_reference', join(out, 'mobilenet_v1_top_outputs.npz'),
  '--model', join(out, 'mobilenet_v1_f32.bmodel'),
]);
step('model_tool: what the INT8 bmodel holds', ['model_tool', '--info', join(out, 'mobilenet_v1_int8.bmodel')]);
const image = 'examples/images/skimage/coffee.png';
const f32 = top5(step('classify with the F32 bmodel', ['classify', '--model', join(out, 'mobilenet_v1_f32.bmodel'), '--input', image, '--output', join(out, 'coffee_f32.jpg')], { capture: true }));
const int8 = top5(step('classify with the INT8 bmodel', ['classify', '--model', join(out, 'mobilenet_v1_int8.bmodel'), '--input', image, '--output', join(out, 'coffee_int8.jpg')], { capture: true }));
const shared = int8.filter((c) => f32.includes(c)).length;
console.log(`\nfloat vs int8 on ${image}: top-1 ${f32[0] === int8[0] ? 'agrees' : 'DIFFERS'} (class ${f32[0]} vs ${int8[0]}), top-5 share ${shared} of 5 classes`);
if (f32.length !== 5 || int8.length !== 5) process.exit(1);

const roundTrip = join(out, 'tiny_conv.roundtrip.mlir');
step('parse and print a TPU-MLIR top file with no passes (tpuc-opt analog)', ['opt', mlir, '-o', roundTrip]);
const same = readFileSync(join(root, mlir)).equals(readFileSync(join(root, roundTrip)));
console.log(`byte-identical to the input: ${same ? 'yes' : 'NO'}`);
if (!same) process.exit(1);

step('run a pass pipeline with timings', [
  'opt', mlir, '--pass-pipeline', 'sort-topologically,dce,set-module-attr{name=module.state value=TOP_F32}',
  '--mlir-timing', '-o', join(out, 'tiny_conv.opt.mlir'),
]);
step('list the passes', ['opt', '--list-passes']);
step('weights of the example model', ['npz_tool', 'get_shape', weights]);
step('one weight in detail', ['npz_tool', 'dump', weights, 'conv1_w', '--K', '6']);
console.log(`\ndemo done: outputs in ${out}/`);
