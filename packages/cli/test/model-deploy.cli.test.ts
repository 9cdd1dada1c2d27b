// model_deploy from the command line on the model and images the repo ships: model_transform
// (MobileNetV1 0.25/128 with its preprocessing), run_calibration (12 images, no tuning), then INT8
// bm1684x with TPU-MLIR's verification at the mode's default tolerance, and the bad inputs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadNpz } from '@tpu-quant/ir';
import { chelsea, prepareMbv1 } from './mbv1-fixture.js';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-deploy-'));
const mlir = join(tmp, 'mbv1.mlir');
const table = join(tmp, 'mbv1_cali_table');
const image = chelsea;
const deploy = (...args: string[]) => runCli(['model_deploy', '--mlir', mlir, ...args], undefined, 120_000);
const int8 = ['--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', table];

beforeAll(() => {
  prepareMbv1(tmp);
}, 300_000);

/** `min_similiarity = (cos, euc, sqnr)` of npz_tool's summary. */
function minSimilarity(stdout: string): number[] {
  const m = /min_similiarity = \(([^,]+), ([^,]+), ([^)]+)\)/.exec(stdout);
  if (!m) throw new Error(`no summary in:\n${stdout}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe('model_deploy INT8 bm1684x on MobileNetV1', () => {
  test('writes the tpu mlir, its weights and the tpu outputs, and passes verification at the default tolerance', async () => {
    const out = join(tmp, 'out');
    const r = deploy(...int8, '--test_input', join(tmp, 'mbv1_in_f32.npz'), '--test_reference', join(tmp, 'mbv1_top_outputs.npz'), '--compare_all', '--model', join(out, 'mbv1.bmodel'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['mbv1_bm1684x_int8_sym_tpu.mlir', 'mbv1_bm1684x_int8_sym_tpu_weights.npz', 'mbv1_bm1684x_int8_sym_tpu_outputs.npz']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(existsSync(join(out, 'mbv1.bmodel'))).toBe(true);
    expect(r.stdout).toContain('lowering: convert-top-to-tpu{chip=bm1684x mode=INT8}');
    expect(r.stdout).toMatch(/lowered: .*tpu\.Conv2D x28.*; left in float: none/);
    expect(r.stdout).toMatch(/address-assign: coeff \d+ bytes at 0x100000000, neuron \d+ bytes at 0x[0-9a-f]+ \((FitFirstAssign|OpSizeOrderAssign)\)/);
    expect(r.stdout).toMatch(/bmodel saved to .*mbv1\.bmodel \(\d+ bytes; it carries tpu-quant's program/);
    expect(r.stdout).toMatch(/\n32 compared\n32 passed\n.*\n0 failed\n/);
    // spec §4.4 step 3: the program read back from the .bmodel gives the tpu outputs exactly
    expect(r.stdout).toMatch(/mbv1\.bmodel outputs saved to .*mbv1_bm1684x_int8_sym_model_outputs\.npz/);
    expect(r.stdout).toMatch(/bmodel outputs saved to[^\n]*\n(?:.*\n)*?(\d+) compared\n\1 passed\n {2}\1 equal/);
    expect(r.stdout).toMatch(/\nnpz compare PASSED\.\n/);
    const [cos, euc, sqnr] = minSimilarity(r.stdout);
    console.log(`mbv1 INT8 bm1684x vs top (chelsea.png): min cosine ${cos}, min euclidean ${euc}, min sqnr ${sqnr} dB`);
    expect(cos).toBeGreaterThan(0.9);
    expect(euc).toBeGreaterThan(0.8);

    const text = readFileSync(join(out, 'mbv1_bm1684x_int8_sym_tpu.mlir'), 'utf8');
    expect(text).toMatch(/module @mbv1 attributes \{module.asymmetric = false, module.chip = "bm1684x", module.mode = "INT8", .*module.state = "TPU_LOWERED", .*module.weight_file = "mbv1_bm1684x_int8_sym_tpu_weights.npz"\}/);
    // tpu outputs: every tensor, quantized ones dequantized to f32 as model_runner stores them
    const outs = await loadNpz(join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz'));
    expect([...outs.values()].every((a) => a.dtype === 'f32')).toBe(true);

    // the written files are a model model_runner runs on their own, to the same outputs
    const run = runCli(['model_runner', '--model', join(out, 'mbv1_bm1684x_int8_sym_tpu.mlir'), '--input', join(tmp, 'mbv1_in_f32.npz'), '--output', join(out, 'runner.npz')]);
    expect(run.code).toBe(0);
    const cmp = runCli(['npz_tool', 'compare', join(out, 'runner.npz'), join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz')]);
    expect(cmp.stdout).toMatch(/1 compared\n1 passed\n {2}1 equal/);
    // and model_runner runs the .bmodel from the file alone (float input quantized as its input says)
    const fromFile = runCli(['model_runner', '--model', join(out, 'mbv1.bmodel'), '--input', join(tmp, 'mbv1_in_f32.npz'), '--output', join(out, 'bmodel_runner.npz')]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const cmp2 = runCli(['npz_tool', 'compare', join(out, 'bmodel_runner.npz'), join(out, 'mbv1_bm1684x_int8_sym_tpu_outputs.npz')]);
    expect(cmp2.stdout).toMatch(/1 compared\n1 passed\n {2}1 equal/);
    const info = runCli(['model_tool', '--info', join(out, 'mbv1.bmodel')]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('BM1684X');
  }, 180_000);

  test('an image test input without a reference: the top reference is made first (spec §4.4 step 1)', () => {
    const out = join(tmp, 'img');
    const r = deploy(...int8, '--test_input', image, '--model', join(out, 'mbv1.bmodel'));
    expect(r.code).toBe(0);
    for (const f of ['mbv1_in_f32.npz', 'mbv1_top_outputs.npz', 'mbv1_bm1684x_int8_sym_tpu_outputs.npz']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(r.stdout).toContain('npz compare PASSED.');
  }, 180_000);

  test('a tolerance the model does not meet fails the way npz_tool does, with a clear line', () => {
    const out = join(tmp, 'strict');
    const r = deploy(...int8, '--test_input', join(tmp, 'mbv1_in_f32.npz'), '--test_reference', join(tmp, 'mbv1_top_outputs.npz'), '--tolerance', '0.9999,0.99', '--model', join(out, 'm.bmodel'));
    expectUserError(r, 'E_VERIFY_FAILED');
    expect(r.stdout).toContain('npz compare FAILED.');
    expect(r.stderr).toMatch(/beyond tolerance 0\.9999,0\.99/);
    expect(r.stderr).toMatch(/hint: .*search_qtable/);
  }, 180_000);
});

describe('model_deploy bad inputs', () => {
  test('an unknown processor lists the valid ones', () => {
    const r = deploy('--quantize', 'INT8', '--processor', 'bm9999', '--calibration_table', table);
    expectUserError(r, 'E_PROCESSOR');
    expect(r.stderr).toMatch(/bm1684x/);
    expect(r.stderr).toMatch(/lowering available for (.*, )?bm1684x/);
  });

  test('INT8 without a calibration table, or with a missing file', () => {
    expectUserError(deploy('--quantize', 'INT8', '--processor', 'bm1684x'), 'E_CALIBRATION_TABLE');
    const r = deploy('--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', join(tmp, 'no_such_table'));
    expectUserError(r, 'E_CALIBRATION_TABLE');
    expect(r.stderr).toContain('no_such_table');
  });

  test.each([
    ['F32', 'f32', 0.99, 0.99],
    ['F16', 'f16', 0.99, 0.9],
    ['BF16', 'bf16', 0.99, 0.9],
  ])('%s bm1684x: lowered, verified at the mode\'s default tolerance', (mode, tag, minCos, minEuc) => {
    const out = join(tmp, tag);
    const r = deploy('--quantize', mode, '--processor', 'bm1684x', '--test_input', join(tmp, 'mbv1_in_f32.npz'), '--test_reference', join(tmp, 'mbv1_top_outputs.npz'), '--model', join(out, 'm.bmodel'));
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, `mbv1_bm1684x_${tag}_tpu.mlir`))).toBe(true);
    expect(r.stdout).toMatch(/\nnpz compare PASSED\.\n/);
    const [cos, euc] = minSimilarity(r.stdout);
    console.log(`mbv1 ${mode} bm1684x vs top: min cosine ${cos}, min euclidean ${euc}`);
    expect(cos).toBeGreaterThanOrEqual(minCos);
    expect(euc).toBeGreaterThanOrEqual(minEuc);
  });

  test('--asymmetric: uint8/int8 codes with zero points, `_int8_asym_` files, module.asymmetric = true, verification passing', () => {
    const out = join(tmp, 'asym');
    const r = deploy(...int8, '--asymmetric', '--test_input', join(tmp, 'mbv1_in_f32.npz'), '--test_reference', join(tmp, 'mbv1_top_outputs.npz'), '--model', join(out, 'mbv1.bmodel'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('lowering: convert-top-to-tpu{chip=bm1684x mode=INT8 asymmetric=true}');
    expect(r.stdout).toMatch(/lowered: .*tpu\.Conv2D x28.*; left in float: none/);
    for (const f of ['mbv1_bm1684x_int8_asym_tpu.mlir', 'mbv1_bm1684x_int8_asym_tpu_weights.npz', 'mbv1_bm1684x_int8_asym_tpu_outputs.npz', 'mbv1.bmodel']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const text = readFileSync(join(out, 'mbv1_bm1684x_int8_asym_tpu.mlir'), 'utf8');
    expect(text).toMatch(/module\.asymmetric = true/);
    expect(text).toContain('module.weight_file = "mbv1_bm1684x_int8_asym_tpu_weights.npz"');
    // the network input is signed: an int8 type with a zero point (`scale:zp`)
    expect(text).toMatch(/!quant\.uniform<i8:f32, [0-9.e-]+:-?[1-9]\d*>/);
    expect(r.stdout).toMatch(/\nnpz compare PASSED\.\n/);
    const [cos, euc] = minSimilarity(r.stdout);
    console.log(`mbv1 INT8 asymmetric bm1684x vs top (chelsea.png): min cosine ${cos}, min euclidean ${euc}`);
    expect(cos).toBeGreaterThan(0.9);
    expect(euc).toBeGreaterThan(0.8);
  });

  test('what the lowering lacks is named: a mode, a processor, --asymmetric; a qtable naming a missing op', () => {
    const w8 = deploy('--quantize', 'W8F16', '--processor', 'bm1684x');
    expectUserError(w8, 'E_NOT_AVAILABLE');
    expect(w8.stderr).toMatch(/W8F16/);
    const cv183x = deploy(...int8.slice(0, 2), '--processor', 'cv183x', '--calibration_table', table);
    expectUserError(cv183x, 'E_NOT_AVAILABLE');
    expect(cv183x.stderr).toMatch(/no lowering for cv183x yet/);
    // asymmetric INT8 is the BM1684X family's; BM1684 treats it as unsupported (spec §3.13)
    const asym = deploy('--quantize', 'INT8', '--processor', 'bm1684', '--calibration_table', table, '--asymmetric', '--model', join(tmp, 'asym', 'm.bmodel'));
    expectUserError(asym, 'E_NOT_AVAILABLE');
    expect(asym.stderr).toMatch(/--asymmetric on bm1684 /);
    const qtable = join(tmp, 'qtable');
    writeFileSync(qtable, 'not_an_op F16\n');
    const bad = deploy(...int8, '--quantize_table', qtable);
    expectUserError(bad, 'E_QTABLE');
    expect(bad.stderr).toMatch(/not_an_op/);
  });

  test('the calibration table of another model is refused; rows for unknown tensors among good ones are ignored with a warning', () => {
    const other = join(tmp, 'other_table');
    writeFileSync(other, '# mlir version: x\n###\n# op_name    threshold    min    max\n' +
      'input.1 2.6400 -2.1179 2.6400\n/features/features.0/features.0.0/Conv_output_0_Conv 9.1021 -10.4411 11.0293\n');
    const r = deploy('--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', other);
    expectUserError(r, 'E_CALIBRATION_TABLE');
    expect(r.stderr).toMatch(/no row of .*other_table names a tensor of mbv1/);

    const mixed = join(tmp, 'mixed_table');
    writeFileSync(mixed, `${readFileSync(table, 'utf8')}stray_tensor 1.0 -1.0 1.0\n`);
    const m = deploy('--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', mixed, '--model', join(tmp, 'mixed', 'm.bmodel'));
    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/^warning: 1 rows of .*mixed_table name no tensor of the module and are ignored \(as TPU-MLIR does\): stray_tensor$/m);
  }, 120_000);

  test('a reference without the model output is refused naming it, instead of "0 compared ... PASSED"', () => {
    const ref = join(tmp, 'foreign_ref.npz');
    const mk = runCli(['npz_tool', 'rename', join(tmp, 'mbv1_top_outputs.npz'), 't88_MobilenetV1_Predictions_Reshape_1_Softmax', 'other', '-o', join(tmp, 'renamed.npz')]);
    expect(mk.code).toBe(0);
    const ex = runCli(['npz_tool', 'extract', join(tmp, 'renamed.npz'), ref, 'other']);
    expect(ex.code).toBe(0);
    const r = deploy(...int8, '--test_input', join(tmp, 'mbv1_in_f32.npz'), '--test_reference', ref, '--model', join(tmp, 'foreign', 'm.bmodel'));
    expectUserError(r, 'E_TEST_REFERENCE');
    expect(r.stderr).toMatch(/foreign_ref\.npz has no tensor for the model output t88_MobilenetV1_Predictions_Reshape_1_Softmax \(it holds 1: other\)/);
  }, 120_000);
});
