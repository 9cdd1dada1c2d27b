// model_deploy --fuse_preprocess from the command line on the repo's MobileNetV1 0.25/128 (rgb,
// mean 128, scale 1/128, resize 146 → centre crop 128): the model takes the raw uint8 image,
// verification runs the tpu mlir on `<name>_in_ori.npz` against the top model on the usual
// preprocessed image, and the .bmodel run from the file on the raw image classifies the cat as
// the unfused model and the top model do. Then the bad inputs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadNpz } from '@tpu-quant/ir';
import { chelsea, prepareMbv1 } from './mbv1-fixture.js';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-fuse-'));
const mlir = join(tmp, 'mbv1.mlir');
const table = join(tmp, 'mbv1_cali_table');
const image = chelsea;
const deploy = (...args: string[]) => runCli(['model_deploy', '--mlir', mlir, ...args], undefined, 120_000);
const int8 = ['--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', table];

beforeAll(() => {
  prepareMbv1(tmp);
}, 300_000);

/** The network output (1 x 1001 probabilities, the Softmax) of an npz. */
async function probs(file: string): Promise<Float32Array> {
  const a = [...(await loadNpz(file))].filter(([k, x]) => x.shape.join() === '1,1001' && k.endsWith('_Softmax'));
  if (a.length !== 1) throw new Error(`${file}: expected one [1,1001] Softmax array, found ${a.length}`);
  return Float32Array.from(a[0]![1].data as ArrayLike<number>);
}

const argmax = (x: Float32Array): number => x.reduce((best, v, i) => (v > x[best]! ? i : best), 0);

describe('model_deploy --fuse_preprocess on MobileNetV1', () => {
  test('INT8: raw uint8 input, verification passes, the .bmodel on the raw image gives the top-1 of the unfused model', async () => {
    const out = join(tmp, 'int8');
    const r = deploy(...int8, '--test_input', image, '--fuse_preprocess', '--model', join(out, 'mbv1_fused.bmodel'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('lowering: fuse-preprocess{mode=INT8 customization_format=RGB_PLANAR align=false}');
    expect(r.stdout).toContain('fused preprocessing: input "input_raw" ui8 [1,3,146,146] (RGB_PLANAR) -> input_preprocess');
    expect(r.stdout).toMatch(/lowered: tpu\.Slice x1, tpu\.Lut x1, tpu\.Conv2D x28,/);
    expect(r.stdout).toMatch(/raw image input saved to .*mbv1_in_ori\.npz/);
    expect(r.stdout).toMatch(/tpu outputs saved to[^\n]*\n(?:.*\n)*?npz compare PASSED\./);
    const tpuText = readFileSync(join(out, 'mbv1_bm1684x_int8_sym_tpu.mlir'), 'utf8');
    expect(tpuText).toContain('func.func @main(%arg0: tensor<1x3x146x146xui8>');

    // _in_ori.npz: the 146x146 image in rgb order; its centre crop, normalized, is the top's input
    const ori = (await loadNpz(join(out, 'mbv1_in_ori.npz'))).get('input_raw')!;
    expect(ori.dtype).toBe('u8');
    expect(ori.shape).toEqual([1, 3, 146, 146]);
    const f32 = (await loadNpz(join(out, 'mbv1_in_f32.npz'))).get('input')!;
    const px = ori.data as Uint8Array;
    const x = f32.data as Float32Array;
    let i = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 128; y++) for (let w = 0; w < 128; w++, i++) {
      expect((px[(c * 146 + 9 + y) * 146 + 9 + w]! - 128) * 0.0078125).toBe(x[i]);
    }

    // model_runner runs the .bmodel from the file on the raw image: the tpu outputs exactly
    const run = runCli(['model_runner', '--model', join(out, 'mbv1_fused.bmodel'), '--input', join(out, 'mbv1_in_ori.npz'), '--output', join(out, 'runner.npz')]);
    expect(run.code, run.stderr).toBe(0);
    const cmp = runCli(['npz_tool', 'compare', join(out, 'runner.npz'), join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz')]);
    expect(cmp.stdout).toMatch(/1 compared\n1 passed\n {2}1 equal/);

    // the same classification as the unfused INT8 model and the float top model
    const plain = join(tmp, 'int8-plain');
    const p = deploy(...int8, '--test_input', image, '--model', join(plain, 'mbv1.bmodel'));
    expect(p.code, p.stderr).toBe(0);
    const fused = await probs(join(out, 'runner.npz'));
    const unfused = await probs(join(plain, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz'));
    const topRef = await probs(join(out, 'mbv1_top_outputs.npz'));
    console.log(`fused INT8 top-1 ${argmax(fused)} (p=${fused[argmax(fused)]!.toFixed(3)}), unfused ${argmax(unfused)} (p=${unfused[argmax(unfused)]!.toFixed(3)}), top f32 ${argmax(topRef)}`);
    expect(argmax(fused)).toBe(argmax(unfused));
    expect(argmax(fused)).toBe(argmax(topRef));
  }, 240_000);

  test('INT8 BGR_PACKED: permute + crop + swap folded into the first conv give exactly the RGB_PLANAR outputs', async () => {
    const out = join(tmp, 'int8-bgr-packed');
    const r = deploy(...int8, '--test_input', image, '--fuse_preprocess', '--customization_format', 'BGR_PACKED', '--model', join(out, 'm.bmodel'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fused preprocessing: input "input_raw" ui8 [1,146,146,3] (BGR_PACKED)');
    expect(r.stdout).toMatch(/lowered: tpu\.Permute x1, tpu\.Slice x1, tpu\.Lut x1, tpu\.Conv2D x28,/);
    expect(r.stdout).not.toContain('tpu.SwapChannel');
    const ori = (await loadNpz(join(out, 'mbv1_in_ori.npz'))).get('input_raw')!;
    expect(ori.shape).toEqual([1, 146, 146, 3]);
    const cmp = runCli(['npz_tool', 'compare', join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz'), join(tmp, 'int8', 'mbv1_bm1684x_int8_sym_tpu_outputs.npz')]);
    expect(cmp.stdout).toMatch(/1 compared\n1 passed\n {2}1 equal/);

    // classify feeds a fused .bmodel the raw pixels it takes: the packed and the planar model print
    // the same top-5, and its top-1 probability is the tpu output's (made from _in_ori.npz)
    const packed = runCli(['classify', '--model', join(out, 'm.bmodel'), '--input', image]);
    const planar = runCli(['classify', '--model', join(tmp, 'int8', 'mbv1_fused.bmodel'), '--input', image]);
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toBe(planar.stdout);
    const tpu = await probs(join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz'));
    const top1 = /^1\. .* \((\d+)\): (\d\.\d{4})$/m.exec(packed.stdout)!;
    expect(Number(top1[1])).toBe(argmax(tpu));
    expect(top1[2]).toBe(tpu[argmax(tpu)]!.toFixed(4));
  }, 240_000);

  test('F32 BGR_PLANAR: depthwise-conv scaling, verification at 0.99,0.99, same top-1 as the top model', async () => {
    const out = join(tmp, 'f32');
    const r = deploy('--quantize', 'F32', '--processor', 'bm1684x', '--test_input', image, '--fuse_preprocess', '--customization_format', 'BGR_PLANAR', '--model', join(out, 'm.bmodel'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lowered: tpu\.Slice x1, tpu\.Cast x1, tpu\.Conv2D x29,/);
    expect(r.stdout).toMatch(/min_similiarity = \((0\.99\d*|1\.0), (0\.99\d*|1\.0),/);
    const fused = await probs(join(out, 'mbv1_bm1684x_f32_model_outputs.npz'));
    const topRef = await probs(join(out, 'mbv1_top_outputs.npz'));
    expect(argmax(fused)).toBe(argmax(topRef));
  }, 240_000);
});

describe('model_deploy --fuse_preprocess refuses bad input with one-line errors', () => {
  test('an unknown --customization_format', () => {
    expectUserError(deploy(...int8, '--fuse_preprocess', '--customization_format', 'RGB_PLANER'), 'E_BAD_FLAG');
  });
  test('a YUV format (not built)', () => {
    const r = deploy(...int8, '--fuse_preprocess', '--customization_format', 'YUV_NV12');
    expectUserError(r, 'E_NOT_AVAILABLE');
    expect(r.stderr).toContain('YUV_NV12');
  });
  test('a model whose input has no preprocessing attributes', () => {
    const plain = join(tmp, 'plain.mlir');
    const text = readFileSync(mlir, 'utf8').replace(/"top\.Input"\(%arg0\) \{[^}]*\}/, '"top.Input"(%arg0)');
    writeFileSync(plain, text);
    const r = runCli(['model_deploy', '--mlir', plain, '--quantize', 'F32', '--processor', 'bm1684x', '--fuse_preprocess']);
    expectUserError(r, 'E_NO_PREPROCESS');
  });
  test('a preprocessed npz as the test input (the raw image cannot be rebuilt from it)', () => {
    expectUserError(deploy(...int8, '--fuse_preprocess', '--test_input', join(tmp, 'mbv1_in_f32.npz')), 'E_INPUT');
  });
  test('bm1684 (TPU-MLIR has no Preprocess lowering for it) and --aligned_input', () => {
    expectUserError(deploy('--quantize', 'F32', '--processor', 'bm1684', '--fuse_preprocess'), 'E_UNSUPPORTED');
    expectUserError(deploy('--quantize', 'F32', '--processor', 'bm1684x', '--aligned_input'), 'E_BAD_FLAG');
    expectUserError(deploy('--quantize', 'F32', '--processor', 'bm1684x', '--fuse_preprocess', '--aligned_input'), 'E_UNSUPPORTED');
  });
});
