// model_transform and model_runner from the command line, on the model and images the repo ships.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { encodeNpz, loadNpz, ndarray } from '@tpu-quant/ir';
import { expectUserError, runCli } from './run-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const model = join(repo, 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx');
const image = join(repo, 'examples/images/skimage/chelsea.png');
const tmp = mkdtempSync(join(tmpdir(), 'tpuq-mt-'));
const base = ['model_transform', '--model_name', 'mbv1', '--model_def', model, '--input_shapes', '[[1,3,128,128]]'];
const preprocess = ['--resize_dims', '146,146', '--mean', '128,128,128', '--scale', '0.0078125,0.0078125,0.0078125', '--pixel_format', 'rgb'];

describe('model_transform', () => {
  test('writes the files TPU-MLIR writes and passes the comparison with onnxruntime', async () => {
    const mlir = join(tmp, 'mbv1.mlir');
    const r = runCli([...base, ...preprocess, '--test_input', image, '--mlir', mlir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/npz compare PASSED\./);
    for (const f of ['mbv1.mlir', 'mbv1_top_f32_all_weight.npz', 'mbv1_in_f32.npz', 'mbv1_top_outputs.npz', 'mbv1_ref_outputs.npz']) {
      expect(existsSync(join(tmp, f)), f).toBe(true);
    }
    const text = readFileSync(mlir, 'utf8');
    expect(text).toMatch(/"top.Input"\(%arg0\) \{channel_format = "nchw", keep_aspect_ratio = false, keep_ratio_mode = "letterbox", mean = \[1.280000e\+02, 1.280000e\+02, 1.280000e\+02\], pad_type = "center", pad_value = 0 : i64, pixel_format = "rgb", resize_dims = \[146, 146\], scale = \[7.812500e-03/);
    expect(text).toMatch(/module @mbv1 attributes \{module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32", module.top_run_mode = "STATIC", module.weight_file = "mbv1_top_f32_all_weight.npz"\}/);
    const inputs = await loadNpz(join(tmp, 'mbv1_in_f32.npz'));
    expect(inputs.get('input')!.shape).toEqual([1, 3, 128, 128]);

    // model_runner reproduces the top outputs from the written files alone.
    const out = join(tmp, 'runner.npz');
    const run = runCli(['model_runner', '--model', mlir, '--input', join(tmp, 'mbv1_in_f32.npz'), '--output', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Result saved to:${out}`);
    const cmp = runCli(['npz_tool', 'compare', out, join(tmp, 'mbv1_top_outputs.npz')]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/1 compared\n1 passed\n {2}1 equal/);
  }, 120_000);

  test('a wrong --input_shapes rank names the input and both shapes', () => {
    const r = runCli(['model_transform', '--model_name', 'x', '--model_def', model, '--input_shapes', '[[1,3,128]]', '--mlir', join(tmp, 'x.mlir')]);
    expectUserError(r, 'E_INPUT_SHAPES');
    expect(r.stderr).toMatch(/input/);
  });

  test('a --tolerance without two numbers is refused before any work', () => {
    const mlir = join(tmp, 'tol.mlir');
    const r = runCli([...base, '--tolerance', '0.9', '--mlir', mlir]);
    expectUserError(r, 'E_BAD_FLAG');
    expect(existsSync(mlir)).toBe(false);
  });

  test('a missing model file', () => {
    expectUserError(runCli(['model_transform', '--model_name', 'x', '--model_def', join(tmp, 'none.onnx'), '--mlir', join(tmp, 'x.mlir')]), 'E_FILE');
  });

  test('a truncated model', () => {
    const cut = join(tmp, 'cut.onnx');
    writeFileSync(cut, readFileSync(model).subarray(0, 5000));
    expectUserError(runCli(['model_transform', '--model_name', 'x', '--model_def', cut, '--mlir', join(tmp, 'x.mlir')]), 'E_ONNX_PARSE');
  });

  test('a test input that is not an image', () => {
    const fake = join(tmp, 'fake.jpg');
    writeFileSync(fake, 'this is not a jpeg');
    const r = runCli([...base, ...preprocess, '--test_input', fake, '--mlir', join(tmp, 'y.mlir')]);
    expectUserError(r, 'E_IMAGE');
  });

  test('model_runner on .onnx with no array for an input names it (not an onnxruntime trace)', () => {
    const npz = join(tmp, 'wrong-name.npz');
    writeFileSync(npz, encodeNpz({ not_the_input: ndarray('f32', [1, 3, 128, 128]) }));
    const r = runCli(['model_runner', '--model', model, '--input', npz, '--output', join(tmp, 'never.npz')]);
    expectUserError(r, 'E_INPUT');
    expect(r.stderr).toMatch(/no data for input "input"/);
  });

  test('an unsupported pixel format', () => {
    const r = runCli([...base, '--pixel_format', 'cmyk', '--mlir', join(tmp, 'z.mlir')]);
    expectUserError(r, 'E_BAD_FLAG');
    expect(r.stderr).toMatch(/hint: use one of: rgb, bgr/);
  });
});
