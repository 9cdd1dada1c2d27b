// model_deploy with a qtable (mixed precision, spec deploy.md §3.5-3.7), --quant_input /
// --quant_output (strip-io-quant, §3.6), --compare_all, and the bad inputs around them, on the
// model the repo ships (MobileNetV1 0.25/128, calibrated on 12 shipped images, no tuning).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadNpz, parseMlir, type Module, type Op, type TensorType } from '@tpu-quant/ir';
import { prepareMbv1 } from './mbv1-fixture.js';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-qtable-'));
const mlir = join(tmp, 'mbv1.mlir');
const table = join(tmp, 'mbv1_cali_table');
const input = join(tmp, 'mbv1_in_f32.npz');
const reference = join(tmp, 'mbv1_top_outputs.npz');
const deploy = (...args: string[]) => runCli(['model_deploy', '--mlir', mlir, '--processor', 'bm1684x', ...args], undefined, 120_000);
const verify = ['--test_input', input, '--test_reference', reference];
let convs: string[] = [];

beforeAll(() => {
  prepareMbv1(tmp);
  convs = parseMlir(readFileSync(mlir, 'utf8'), mlir).main.ops.filter((o) => o.type === 'top.Conv').map((o) => o.name!);
}, 300_000);

function qtable(file: string, lines: string[]): string {
  const path = join(tmp, file);
  writeFileSync(path, `# qtable written by the test\n# op_name   quantize_mode\n${lines.join('\n')}\n`);
  return path;
}

const lowered = (file: string): Module => parseMlir(readFileSync(file, 'utf8'), file);
const opNamed = (m: Module, name: string): Op => m.main.ops.find((o) => o.name === name)!;
/** `f16`, `f32`, `i8`, `u8` of a value's element type. */
function element(t: TensorType): string {
  const e = t.element;
  if (e.kind === 'quant.uniform') return e.storage.signedness === 'unsigned' ? 'u8' : 'i8';
  return e.kind === 'float' ? e.name : e.kind;
}
const elementOf = (m: Module, name: string): string => element(opNamed(m, name).result().type as TensorType);
const summaries = (stdout: string): string[] => [...stdout.matchAll(/\n(\d+ compared\n\d+ passed\n.*\n\d+ failed)\n/g)].map((x) => x[1]!.split('\n')[0]!);

describe('model_deploy --quantize_table', () => {
  test('INT8 with three convs in F16: f16 tpu convs, casts at their boundaries, qtable weights, verification passing', async () => {
    const out = join(tmp, 'int8-f16');
    const picked = [convs[1]!, convs[2]!, convs[27]!];
    const q = qtable('q_f16', picked.map((n) => `${n} F16`));
    const r = deploy('--quantize', 'INT8', '--calibration_table', table, '--quantize_table', q, ...verify, '--model', join(out, 'mbv1.bmodel'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`qtable .*q_f16: F16 x3 \\(`));
    expect(r.stdout).toContain(`lowering: convert-top-to-tpu{chip=bm1684x mode=INT8 qtable=${q}}`);
    // TPU-MLIR names the weights of a qtable deploy `<prefix>_tpu_qtable_weights.npz` (mlir_shell.py)
    expect(existsSync(join(out, 'mbv1_bm1684x_int8_sym_tpu_qtable_weights.npz'))).toBe(true);
    expect(existsSync(join(out, 'mbv1_bm1684x_int8_sym_tpu_weights.npz'))).toBe(false);
    const m = lowered(join(out, 'mbv1_bm1684x_int8_sym_tpu.mlir'));
    expect(m.attrs.get('module.weight_file')).toEqual(expect.objectContaining({ value: 'mbv1_bm1684x_int8_sym_tpu_qtable_weights.npz' }));
    for (const n of picked) {
      expect(opNamed(m, n).type).toBe('tpu.Conv2D');
      expect(elementOf(m, n)).toBe('f16');
    }
    expect(elementOf(m, convs[0]!)).toBe('u8');
    expect(elementOf(m, convs[3]!)).toBe('u8');
    // where int8 meets f16 there is a cast named after the value it casts (§3.6)
    const casts = m.main.ops.filter((o) => o.type === 'tpu.Cast').map((o) => [o.name, element(o.operand(0).type as TensorType), element(o.result().type as TensorType)]);
    expect(casts).toContainEqual([`${convs[0]}_f16`, 'u8', 'f16']);
    expect(casts).toContainEqual([`${convs[2]}_u8`, 'f16', 'u8']);
    // the f16 convs' filters are f16 in the weight file
    const weights = await loadNpz(join(out, 'mbv1_bm1684x_int8_sym_tpu_qtable_weights.npz'));
    expect(weights.get(opNamed(m, picked[0]!).operand(1).name!)!.dtype).toBe('f16');
    // outputs only (TPU-MLIR without --compare_all): the softmax output
    // then the .bmodel's program against the tpu outputs (spec §4.4 step 3)
    expect(summaries(r.stdout)).toEqual(['1 compared', '1 compared']);
    expect(r.stdout).toMatch(/\nnpz compare PASSED\.\n/);
    const cos = Number(/cosine_similarity +=\s*([\d.]+)/.exec(r.stdout)![1]);
    console.log(`mbv1 INT8 + 3 convs F16 bm1684x vs top: output cosine ${cos}`);
    expect(cos).toBeGreaterThan(0.9);
  }, 180_000);

  test('F16 with the first convs in INT8 (calibrated), --quant_input --quant_output --compare_all: _tpu_opt.mlir takes int8 and gives f16', async () => {
    const out = join(tmp, 'f16-int8');
    const q = qtable('q_int8', convs.slice(0, 4).map((n) => `${n} INT8`));
    const r = deploy('--quantize', 'F16', '--calibration_table', table, '--quantize_table', q, '--quant_input', '--quant_output', '--compare_all', ...verify, '--model', join(out, 'mbv1.bmodel'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = lowered(join(out, 'mbv1_bm1684x_f16_tpu.mlir'));
    for (const n of convs.slice(0, 4)) expect(['i8', 'u8']).toContain(elementOf(m, n));
    expect(elementOf(m, convs[4]!)).toBe('f16');
    expect(r.stdout).toContain('tpu optimisation: strip-io-quant{quant_input=true quant_output=true}');
    expect(r.stdout).toMatch(/stripped casts: input "input" i8, output "t88_MobilenetV1_Predictions_Reshape_1_Softmax" f16/);
    const opt = lowered(join(out, 'mbv1_bm1684x_f16_tpu_opt.mlir'));
    expect(elementOf(opt, 'input')).toBe('i8');
    expect(element(opt.main.resultTypes[0] as TensorType)).toBe('f16');
    // --compare_all: every tensor the reference has (32), then the stripped module against the tpu run
    const s = summaries(r.stdout);
    expect(s[0]).toBe('32 compared');
    // tpu vs top, the stripped module vs tpu, the .bmodel (which holds the stripped program) vs tpu
    expect(s).toHaveLength(3);
    expect(r.stdout.match(/\nnpz compare PASSED\.\n/g)).toHaveLength(3);
    expect(existsSync(join(out, 'mbv1_bm1684x_f16_tpu_opt_outputs.npz'))).toBe(true);
  }, 180_000);

  test('INT8 --quant_input: the input fed as int8 codes gives exactly the tpu outputs', () => {
    const out = join(tmp, 'qin');
    const r = deploy('--quantize', 'INT8', '--calibration_table', table, '--quant_input', ...verify, '--model', join(out, 'mbv1.bmodel'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stripped casts: input "input" i8');
    expect(r.stdout).toMatch(/tpu_opt_outputs\.npz\n[^]*\n1 compared\n1 passed\n {2}1 equal/);
  }, 180_000);

  test('a calibration table missing some tensors: they stay float (as TPU-MLIR leaves them uncalibrated), with a warning naming them', () => {
    const partial = join(tmp, 'partial_table');
    const dropped = [convs[5]!, convs[9]!];
    writeFileSync(partial, readFileSync(table, 'utf8').split('\n').filter((l) => !dropped.includes(l.split(' ')[0]!)).join('\n'));
    const r = deploy('--quantize', 'INT8', '--calibration_table', partial, ...verify, '--model', join(tmp, 'partial', 'm.bmodel'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`warning: 2 tensors have no row in ${partial} and stay float: ${dropped.join(', ')}\n`);
    // the two convs, and the two that read them: an int8 consumer cannot quantize a tensor without a range
    expect(r.stdout).toMatch(/; not INT8 \(float\): top\.Conv x4, top\.Softmax x1\n/); // Softmax is float in INT8 anyway
    expect(r.stdout).toContain('npz compare PASSED.');
  }, 180_000);
});

describe('model_deploy bad input around qtables and verification', () => {
  const int8 = () => ['--quantize', 'INT8', '--calibration_table', table];

  test('a qtable naming ops the module lacks: one error naming them', () => {
    const r = deploy(...int8(), '--quantize_table', qtable('q_unknown', ['conv_nope F16', `${convs[0]} F16`, 'other_nope F32']));
    expectUserError(r, 'E_QTABLE');
    expect(r.stderr).toMatch(/q_unknown names 2 ops the module lacks: conv_nope, other_nope\n/);
    expect(r.stderr).toMatch(/hint: .*op names/);
  });

  test('a bad mode or a malformed line: the error names the line', () => {
    const bad = deploy(...int8(), '--quantize_table', qtable('q_mode', [`${convs[0]} F17`]));
    expectUserError(bad, 'E_QTABLE');
    expect(bad.stderr).toMatch(/q_mode:3: unknown quantize mode "F17" for /);
    const words = deploy(...int8(), '--quantize_table', qtable('q_words', ['a b c']));
    expectUserError(words, 'E_QTABLE');
    expect(words.stderr).toMatch(/q_words:3: "a b c" is not "<op name> <mode>"/);
  });

  test('modes not lowered yet are refused naming the ops; INT8 entries need a calibration table; BM1684 has no F16', () => {
    const int4 = deploy(...int8(), '--quantize_table', qtable('q_int4', [`${convs[0]} INT4`]));
    expectUserError(int4, 'E_NOT_AVAILABLE');
    expect(int4.stderr).toContain(`qtable mode INT4 (${convs[0]})`);
    const nocali = deploy('--quantize', 'F16', '--quantize_table', qtable('q_i8', [`${convs[0]} INT8`]));
    expectUserError(nocali, 'E_CALIBRATION_TABLE');
    expect(nocali.stderr).toContain(`asks INT8 for ${convs[0]} but no --calibration_table was given`);
    const bm1684 = deploy(...int8(), '--processor', 'bm1684', '--quantize_table', qtable('q_bm1684', [`${convs[0]} F16`]));
    expectUserError(bm1684, 'E_NOT_AVAILABLE');
    expect(bm1684.stderr).toContain(`bm1684 has no F16: qtable entries ${convs[0]}`);
    const missing = deploy(...int8(), '--quantize_table', join(tmp, 'no_such_qtable'));
    expectUserError(missing, 'E_QTABLE');
    expect(missing.stderr).toMatch(/no_such_qtable does not exist/);
  });

  test('an unknown processor; --fuse_preprocess and --asymmetric are refused clearly', () => {
    expectUserError(deploy('--processor', 'bm9999', '--quantize', 'F16'), 'E_PROCESSOR');
    const fuse = deploy('--quantize', 'F16', '--fuse_preprocess', '--customization_format', 'YUV_NV21');
    expectUserError(fuse, 'E_NOT_AVAILABLE');
    expect(fuse.stderr).toMatch(/--customization_format YUV_NV21 is not available yet/);
    expectUserError(deploy('--quantize', 'INT8', '--calibration_table', table, '--asymmetric', '--processor', 'bm1684'), 'E_NOT_AVAILABLE');
  });

  test('a test reference without the model output, or test files that do not exist: errors naming them', () => {
    const r = deploy(...int8(), '--test_input', input, '--test_reference', input, '--model', join(tmp, 'badref', 'm.bmodel'));
    expectUserError(r, 'E_TEST_REFERENCE');
    expect(r.stderr).toMatch(/mbv1_in_f32\.npz has no tensor for the model output t88_MobilenetV1_Predictions_Reshape_1_Softmax \(it holds 1: input\)/);
    expectUserError(deploy(...int8(), '--test_input', join(tmp, 'nope.npz')), 'E_INPUT');
    expectUserError(deploy(...int8(), '--test_input', input, '--test_reference', join(tmp, 'nope_ref.npz')), 'E_TEST_REFERENCE');
  });
});
