// `run_calibration --search search_threshold`, `--bc` and `run_qtable --debug_cmd
// run_bias_correction` end to end in process: the files TPU-MLIR names (per-method tables, the
// winner at -o, the logs), the corrected weights written beside the table with the input npz left
// byte for byte as it was, and one-line errors for bad input.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCaliTable } from '@tpu-quant/calib';
import { loadNpz } from '@tpu-quant/ir';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';
import { writeBiasNet } from './bias-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-st-cli-'));
let net: Awaited<ReturnType<typeof writeBiasNet>>;
let npzBytes: Buffer;
beforeAll(async () => {
  net = await writeBiasNet(join(tmp, 'net'), 6);
  npzBytes = readFileSync(net.npz);
}, 60_000);

const cali = (...args: string[]) => runInProcess(['run_calibration', net.mlir, '--data_list', net.list, ...args]);
const dir = (name: string) => {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('run_calibration --search search_threshold', () => {
  test('tune_num > 0: <table>_<M>.1 for each method, <table>_KL_tune, the winner at -o, the log', async () => {
    const d = dir('st');
    const table = join(d, 'cali_table');
    const r = await cali('--search', 'search_threshold', '--inference_num', '4', '--tune_num', '2', '-o', table);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    for (const m of ['KL', 'MAX', 'Percentile9999', 'MSE']) {
      const text = readFileSync(`${table}_${m}.1`, 'utf8');
      expect(text.split('\n')[3]).toBe(`# quantization threshold calculation method: ${m}`);
      expect(text).not.toContain('# tune number');
    }
    const tuned = readFileSync(`${table}_KL_tune`, 'utf8');
    expect(tuned).toMatch(/# sample number: 6\n# tune number: 2\n###\n/);
    const winner = /optimal_method_name: (\w+), optimal_value: ([\d.]+)/.exec(r.stdout)!;
    const scores = /cos similarity scores: \{(.*)\}/.exec(r.stdout)![1]!.split(', ').map((p) => p.split(': '));
    expect(scores.map(([m]) => m)).toEqual(["'KL'", "'MAX'", "'Percentile9999'", "'MSE'"]);
    expect(Number(winner[2])).toBe(Math.max(...scores.map(([, v]) => Number(v))));
    // -o is the winner's scored table: the tuned one for KL
    const src = winner[1] === 'KL' ? `${table}_KL_tune` : `${table}_${winner[1]}.1`;
    expect(readFileSync(table, 'utf8')).toBe(readFileSync(src, 'utf8'));
    expect(parseCaliTable(readFileSync(table, 'utf8')).rows.map((x) => x.name)).toEqual(['x', 'c1', 'c2', 'c3', 'c4']);
    const log = readFileSync(join(d, 'Search_Threshold'), 'utf8');
    expect(log).toContain(`INFO:root:optimal_method_name: ${winner[1]}, optimal_value: ${winner[2]}`);
    expect(log).toContain('INFO:root:success');
  }, 120_000);

  test('tune_num 0: the tables are <table>_<M> (no .1, no _KL_tune) and those are scored', async () => {
    const d = dir('st0');
    const table = join(d, 'cali_table');
    const r = await cali('--search', 'search_threshold', '--inference_num', '3', '--tune_num', '0', '--benchmark_method', 'snr', '-o', table);
    expect(r.code).toBe(0);
    for (const m of ['KL', 'MAX', 'Percentile9999', 'MSE']) expect(existsSync(`${table}_${m}`)).toBe(true);
    expect(existsSync(`${table}_KL_tune`)).toBe(false);
    expect(existsSync(`${table}_KL.1`)).toBe(false);
    const winner = /optimal_method_name: (\w+)/.exec(r.stdout)![1]!;
    expect(r.stdout).toMatch(/snr similarity scores: \{'KL': /);
    expect(readFileSync(table, 'utf8')).toBe(readFileSync(`${table}_${winner}`, 'utf8'));
  }, 120_000);
});

describe('bias correction', () => {
  test('--bc: c2 corrected, NAME_bc_weight.npz + NAME_bc.mlir beside the table, the input npz untouched, calibrated again', async () => {
    const d = dir('bc');
    const table = join(d, 'cali_table');
    const r = await cali('--bc', '--cali_method', 'use_max', '--tune_num', '0', '--bc_inference_num', '4', '--expected_cos', '0.9999', '-o', table);
    expect(r.code).toBe(0);
    expect(readFileSync(net.npz)).toEqual(npzBytes);
    const mlir = readFileSync(join(d, 'bnet_bc.mlir'), 'utf8');
    expect(mlir).toContain('module.weight_file = "bnet_bc_weight.npz"');
    const before = await loadNpz(net.npz);
    const after = await loadNpz(join(d, 'bnet_bc_weight.npz'));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before) {
      if (k === 'b2') expect(after.get(k)!.data).not.toEqual(v.data);
      else expect(after.get(k)!.data).toEqual(v.data);
    }
    expect(r.stdout).toMatch(/op:c2 bias correction applied, layer_cos:0\.99\d+, outputs_cos:0\.99\d+ \(old layer_cos:0\.98\d+\)/);
    expect(r.stdout).toContain(`calibrating again on the bias-corrected weights (${join(d, 'bnet_bc.mlir')})`);
    const log = readFileSync(join(d, 'Bias_Correction'), 'utf8');
    expect(log).toMatch(/INFO:root:best mix model outputs_cos:0\.99\d{4}\n/);
    expect(log).toContain('INFO:root:bias correction: 1 of 1 convs corrected');
    // the table written again, from the corrected model
    const t = parseCaliTable(readFileSync(table, 'utf8')).rows;
    expect(t.map((x) => x.name)).toEqual(['x', 'c1', 'c2', 'c3', 'c4']);
    expect(readFileSync(join(d, 'bnet_shape_ops'), 'utf8')).toContain('# op_name');
  }, 120_000);

  test('--bc when all_int8_cos already passes expected_cos: nothing written but the table', async () => {
    const d = dir('bc-none');
    const r = await cali('--bc', '--tune_num', '0', '--bc_inference_num', '4', '--expected_cos', '0.9', '-o', join(d, 'cali_table'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/job success, current int8 cos:0\.99\d+ is higher than expected_cos:0\.900000,no need for mix precsion/);
    expect(existsSync(join(d, 'bnet_bc.mlir'))).toBe(false);
    expect(existsSync(join(d, 'cali_table'))).toBe(true);
  }, 120_000);

  test('run_qtable --debug_cmd run_bias_correction: the corrected model beside -o, no qtable', async () => {
    const d = dir('rq');
    const table = join(d, 'cali_table');
    expect((await cali('--cali_method', 'use_max', '--tune_num', '0', '-o', table)).code).toBe(0);
    const q = join(d, 'qtable_out');
    const r = await runInProcess(['run_qtable', net.mlir, '--data_list', net.list, '--input_num', '4', '--calibration_table', table, '--chip', 'bm1684x', '--expected_cos', '0.9999', '--debug_cmd', 'run_bias_correction', '-o', q]);
    expect(r.code).toBe(0);
    expect(existsSync(q)).toBe(false);
    expect(existsSync(join(d, 'bnet_bc.mlir'))).toBe(true);
    expect(readFileSync(net.npz)).toEqual(npzBytes);
    expect(r.stdout).toContain('op:c2 bias correction applied');
  }, 120_000);
});

describe('bad input', () => {
  test('one-line user errors', async () => {
    const o = join(dir('bad'), 't');
    expectUserError(await cali('--search', 'search_thresholds', '-o', o), 'E_BAD_FLAG');
    expectUserError(await cali('--search', 'search_threshold', '--benchmark_method', 'sqnr', '-o', o), 'E_BAD_FLAG');
    expectUserError(await cali('--search', 'search_threshold', '--inference_num', '0', '-o', o), 'E_BAD_FLAG');
    expectUserError(await cali('--search', 'search_threshold', '--chip', 'cv183x', '-o', o), 'E_NOT_AVAILABLE');
    expectUserError(await cali('--search', 'search_threshold', '--debug_cmd', 'int4', '-o', o), 'E_NOT_AVAILABLE');
    expectUserError(await cali('--bc', '--chip', 'cv183x', '-o', o), 'E_NOT_AVAILABLE');
    expectUserError(await cali('--bc', '--bc_inference_num', '0', '-o', o), 'E_BAD_FLAG');
    expectUserError(await cali('--bc', '--expected_cos', 'high', '-o', o), 'E_BAD_FLAG');
    expect(existsSync(o)).toBe(false);
  }, 60_000);
});
