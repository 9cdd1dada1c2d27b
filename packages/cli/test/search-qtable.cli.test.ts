// `run_calibration --search search_qtable` and `run_sensitive_layer` end to end in process: the
// per-method tables and their headers, the base table, the qtable, new_cali_table.txt, the logs,
// model_deploy taking the result, and one-line errors for bad input.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCaliTable, parseQtable } from '@tpu-quant/calib';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';
import { writeQtableNet } from './qtable-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-searchq-'));
let net: Awaited<ReturnType<typeof writeQtableNet>>;

beforeAll(async () => {
  net = await writeQtableNet(join(tmp, 'net'), 300);
}, 60_000);

const search = (dir: string, ...args: string[]) => {
  mkdirSync(dir, { recursive: true });
  return runInProcess(['run_calibration', net.mlir, '--data_list', net.list, '--search', 'search_qtable', '--inference_num', '4', '--processor', 'bm1684x', '-o', join(dir, 'table'), ...args]);
};

describe('run_calibration --search search_qtable', () => {
  test('per-method tables, the base table, the qtable, new_cali_table.txt and Search_Qtable; model_deploy takes them', async () => {
    const dir = join(tmp, 's1');
    const q = join(dir, 'qtable');
    // the honest tables leave the small net above 0.99: a stricter expected_cos makes it search
    const r = await search(dir, '--quantize_method_list', 'KL,MSE', '--tune_num', '2', '--expected_cos', '0.99999', '--max_float_layers', '1', '--quantize_table', q);
    expect(r.code).toBe(0);
    const table = join(dir, 'table');
    for (const m of ['KL', 'MSE']) {
      const one = readFileSync(`${table}_${m}.1`, 'utf8');
      const tuned = readFileSync(`${table}_${m}_tune`, 'utf8');
      expect(one).toContain(`# quantization threshold calculation method: ${m}\n`);
      expect(one).not.toContain('# tune number');
      expect(tuned).toContain(`# quantization threshold calculation method: ${m}\n`);
      expect(tuned).toMatch(/# sample number: 4\n# tune number: 2\n###\n# op_name {4}threshold {4}min {4}max\n/);
    }
    // the base table is the MSE tuned one (§6.1 step 3)
    expect(readFileSync(table, 'utf8')).toBe(readFileSync(`${table}_MSE_tune`, 'utf8'));
    const qt = parseQtable(readFileSync(q, 'utf8'));
    expect(readFileSync(q, 'utf8')).toMatch(/^# genetated time: .+\n# sample number: 4\n# chip: bm1684x {2}mix_mode: F16\n# number of F16 layer: \d+\n###\n# op_name {3}quantize_mode\n/);
    expect(qt.size).toBeGreaterThanOrEqual(1);
    for (const mode of qt.values()) expect(mode).toBe('F16');
    const base = parseCaliTable(readFileSync(table, 'utf8'));
    const next = parseCaliTable(readFileSync(join(dir, 'new_cali_table.txt'), 'utf8'));
    expect(next.rows.map((x) => x.name)).toEqual(base.rows.map((x) => x.name));
    const out = r.stdout.split('\n');
    expect(out).toContain("quantize_method_list=['KL', 'MSE']");
    expect(out.filter((l) => l.startsWith('start to handle layer: '))).toEqual(['c1', 'c2', 'c3', 'c4'].map((c) => `start to handle layer: ${c}, type: top.Conv`));
    expect(out.filter((l) => l.startsWith('adjust layer c1 th, with method '))).toHaveLength(2);
    expect(out.some((l) => /^the layer c\d is 0 sensitive layer, loss is [0-9.e-]+, type is top\.Conv$/.test(l))).toBe(true);
    expect(out.some((l) => /^float layer number: 1, mix model outputs_cos: 0\.\d+$/.test(l))).toBe(true);
    expect(out).toContain(`Output mix quantization table to ${q}`);
    expect(out.at(-2)).toBe('success search qtable');
    const log = readFileSync(join(dir, 'Search_Qtable'), 'utf8').trim().split('\n');
    expect(log.every((l) => l.startsWith('INFO:root:'))).toBe(true);
    expect(log.at(-1)).toBe('INFO:root:success search qtable');
    // spec §1.2 step 2: the shape-op table is written by every run_calibration, this search too
    expect(readFileSync(join(dir, 'qnet_shape_ops'), 'utf8')).toMatch(/^# genetated time: .+\n/);
    const d = await runInProcess(['model_deploy', '--mlir', net.mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', join(dir, 'new_cali_table.txt'), '--quantize_table', q]);
    expect(d.code).toBe(0);
  }, 180_000);

  test('an easy model: "no need for mix precsion", tables written, no qtable', async () => {
    const dir = join(tmp, 's2');
    const q = join(dir, 'qtable');
    const r = await search(dir, '--tune_num', '0', '--quantize_table', q);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/job success, current int8 cos:0\.99\d* is higher than expected_cos:0\.99,no need for mix precsion/);
    expect(r.stdout).toContain('tune_num 0: the searches use the untuned <table>_<M>.1 tables');
    expect(existsSync(join(dir, 'table_MSE.1'))).toBe(true);
    expect(existsSync(join(dir, 'table_MSE_tune'))).toBe(false);
    expect(readFileSync(join(dir, 'table'), 'utf8')).toBe(readFileSync(join(dir, 'table_MSE.1'), 'utf8'));
    expect(existsSync(q)).toBe(false);
  }, 120_000);

  test('bad input: one-line errors', async () => {
    const dir = join(tmp, 'bad');
    const q = join(dir, 'qtable');
    expectUserError(await search(dir, '--quantize_method_list', 'KL,FOO', '--quantize_table', q), 'E_BAD_METHOD');
    expectUserError(await search(dir), 'E_BAD_FLAG'); // no --quantize_table
    expectUserError(await search(dir, '--quantize_table', q, '--processor', 'bm9999'), 'E_PROCESSOR');
    expectUserError(await search(dir, '--quantize_table', q, '--processor', 'cv183x'), 'E_NOT_AVAILABLE');
    expectUserError(await search(dir, '--quantize_table', q, '--global_compare_layers', 'nope'), 'E_BAD_FLAG');
    expectUserError(await search(dir, '--quantize_table', q, '--inference_num', '0'), 'E_BAD_FLAG');
    expectUserError(await search(dir, '--quantize_table', q, '--fp_type', 'BF16'), 'E_FP_TYPE');
  }, 60_000);
});

describe('run_sensitive_layer', () => {
  const run = (...args: string[]) => runInProcess(['run_sensitive_layer', ...args]);

  test('MAX, Percentile9999 and KL tables beside the input table; qtable, new_cali_table.txt, SensitiveLayerSearcher', async () => {
    const dir = join(tmp, 'sl');
    mkdirSync(dir, { recursive: true });
    const table = join(dir, 'bad_table');
    copyFileSync(net.table, table);
    const q = join(dir, 'qtable');
    const r = await run(net.mlir, '--data_list', net.list, '--calibration_table', table, '--chip', 'bm1684x', '--tune_num', '2', '--max_float_layers', '1', '-o', q);
    expect(r.code).toBe(0);
    for (const f of ['MAX.1', 'MAX_tune', 'Percentile9999.1', 'Percentile9999_tune', 'KL.1', 'KL_tune']) expect(existsSync(`${table}_${f}`)).toBe(true);
    const out = r.stdout.split('\n');
    expect(out).toContain("quantize_method_list=['MAX', 'Percentile9999', 'KL']");
    expect(out.filter((l) => l.startsWith('adjust layer c2 th, with method ')).map((l) => l.split(' ')[6])).toEqual(['MAX,', 'Percentile9999,', 'KL,']);
    // no float-op filter: the f32 input is searched too
    expect(out).toContain('start to handle layer: x, type: top.Input');
    expect(out.at(-2)).toBe('success sensitive layer search');
    expect(parseQtable(readFileSync(q, 'utf8')).size).toBe(1);
    // c2's 300x threshold is replaced by a method's (better) one
    const next = parseCaliTable(readFileSync(join(dir, 'new_cali_table.txt'), 'utf8'));
    const given = parseCaliTable(readFileSync(table, 'utf8'));
    expect(next.rows.find((x) => x.name === 'c2')!.threshold).toBeLessThan(given.rows.find((x) => x.name === 'c2')!.threshold / 10);
    expect(readFileSync(join(dir, 'SensitiveLayerSearcher'), 'utf8').trim().split('\n').at(-1)).toBe('INFO:root:success sensitive layer search');
    expect(out.some((l) => l.startsWith('float layer number: 1, mix model outputs_cos: '))).toBe(true);
  }, 180_000);

  test('bad input: one-line errors', async () => {
    const q = join(tmp, 'sl-bad-q');
    expectUserError(await run(net.mlir, '--data_list', net.list, '--calibration_table', join(tmp, 'nope'), '--chip', 'bm1684x', '-o', q), 'E_CALIBRATION_TABLE');
    expectUserError(await run(net.mlir, '--data_list', net.list, '--calibration_table', net.table, '-o', q), 'E_BAD_FLAG');
    expectUserError(await run(net.mlir, '--data_list', net.list, '--calibration_table', net.table, '--chip', 'bm9999', '-o', q), 'E_PROCESSOR');
    expectUserError(await run(net.mlir, '--calibration_table', net.table, '--chip', 'bm1684x', '-o', q), 'E_NO_DATA');
    expectUserError(await run(net.mlir, '--data_list', net.list, '--calibration_table', net.table, '--chip', 'bm1684x', '--global_compare_layers', 'c1:0.5,c9:0.5', '-o', q), 'E_BAD_FLAG');
    expectUserError(await run(net.mlir, '--data_list', net.list, '--calibration_table', net.table, '--chip', 'bm1684x', '--post_process', 'p.py', '-o', q), 'E_NOT_AVAILABLE');
  }, 60_000);
});
