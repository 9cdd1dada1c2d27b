// `run_qtable` end to end in process: the files it writes (exact header, qtable lines, loss table
// order), the "no need" exit that writes nothing, model_deploy taking the qtable, and one-line
// errors for bad input.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { parseQtable } from '@tpu-quant/calib';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';
import { writeQtableNet } from './qtable-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-qtable-'));
let bad: Awaited<ReturnType<typeof writeQtableNet>>;
let good: Awaited<ReturnType<typeof writeQtableNet>>;

beforeAll(async () => {
  bad = await writeQtableNet(join(tmp, 'bad'), 300);
  good = await writeQtableNet(join(tmp, 'good'), 1);
}, 60_000);

afterEach(() => {
  vi.useRealTimers();
});

const run = (...args: string[]) => runInProcess(['run_qtable', ...args]);

describe('run_qtable writes the qtable and the loss table', () => {
  test('sensitive conv: c2 and its consumer c3 in F16; files and console as TPU-MLIR prints them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2025, 5, 6, 7, 8, 9, 123));
    const q = join(tmp, 'bad', 'qtable');
    const r = await run(bad.mlir, '--data_list', bad.list, '--input_num', '4', '--calibration_table', bad.table, '--chip', 'BM1684X', '-o', q);
    expect(r.stderr).not.toMatch(/warning|error/); // progress lines only
    expect(r.code).toBe(0);
    expect(readFileSync(q, 'utf8')).toBe(
      ['# genetated time: 2025-06-06 07:08:09.123000', '# sample number: 4', '# chip: bm1684x  mix_mode: F16', '# number of F16 layer: 2', '###', '# op_name   quantize_mode', 'c2 F16', 'c3 F16', ''].join('\n'),
    );
    const loss = readFileSync(join(tmp, 'bad', 'full_loss_table.txt'), 'utf8').split('\n');
    expect(loss.slice(0, 4)).toEqual(['# genetated time: 2025-06-06 07:08:09.123000', '# sample number: 4', '# chip: bm1684x  mix_mode: F16', '###']);
    expect(loss[4]).toMatch(/^No\.0   : Layer: c2 {48}\t\t\tCos: 0\.\d{6}$/);
    expect(loss[5]).toMatch(/^No\.1   : Layer: c1 {48}\t\t\tCos: 0\.99\d{4}$/);
    const out = r.stdout.split('\n');
    expect(out).toContain(loss[4]);
    const int8 = out.find((l) => l.startsWith('int8 outputs_cos:'));
    const mix = out.find((l) => l.startsWith('mix model outputs_cos:'));
    expect(int8).toMatch(/^int8 outputs_cos:0\.\d{6} old$/);
    expect(Number(mix!.slice('mix model outputs_cos:'.length))).toBeGreaterThan(0.99);
    expect(out).toContain(`Output mix quantization table to ${q}`);
    expect(out.some((l) => /^total time:\d+\.\d+$/.test(l))).toBe(true);
    expect(readFileSync(join(tmp, 'bad', 'MixPrecSearcher'), 'utf8')).toMatch(/^INFO:root:run_qtable: /);

    // model_deploy takes it: c2 and c3 lowered in F16, the rest INT8
    const d = await runInProcess(['model_deploy', '--mlir', bad.mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', bad.table, '--quantize_table', q]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`qtable ${q}: F16 x2 (c2, c3)`);
    expect([...parseQtable(readFileSync(q, 'utf8'))]).toEqual([['c2', 'F16'], ['c3', 'F16']]);
  }, 120_000);

  test('an easy model: "job success ... no need for mix precsion", no qtable, no loss table', async () => {
    const q = join(tmp, 'good', 'qtable');
    const r = await run(good.mlir, '--dataset', good.dataset, '--calibration_table', good.table, '--processor', 'bm1684x', '-o', q);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\njob success, current int8 cos:0\.99\d+ is higher than expected_cos:0\.99,no need for mix precsion\n/);
    expect(existsSync(q)).toBe(false);
    expect(existsSync(join(tmp, 'good', 'full_loss_table.txt'))).toBe(false);
  }, 60_000);
});

describe('run_qtable refuses bad input in one line', () => {
  const q = join(tmp, 'never');
  test('missing table, unknown chip, chip without lowering, no chip', async () => {
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', join(tmp, 'nope'), '--chip', 'bm1684x', '-o', q), 'E_CALIBRATION_TABLE');
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'bm9999', '-o', q), 'E_PROCESSOR');
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'cv183x', '-o', q), 'E_NOT_AVAILABLE');
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '-o', q), 'E_BAD_FLAG');
  });

  test('no samples, an empty list', async () => {
    expectUserError(await run(bad.mlir, '--calibration_table', bad.table, '--chip', 'bm1684x', '-o', q), 'E_NO_DATA');
    const empty = join(tmp, 'empty.txt');
    writeFileSync(empty, '');
    const r = await run(bad.mlir, '--data_list', empty, '--calibration_table', bad.table, '--chip', 'bm1684x', '-o', q);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[E_[A-Z_]+\]: .*\nhint: /);
  });

  test('global compare layers: a name the model lacks, rates not summing to 1', async () => {
    const r = await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'bm1684x', '-o', q, '--global_compare_layers', 'c4,nope');
    expectUserError(r, 'E_BAD_FLAG');
    expect(r.stderr).toContain('nope is not a tensor of qnet');
    const r2 = await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'bm1684x', '-o', q, '--global_compare_layers', 'c2:0.5,c4:0.6');
    expectUserError(r2, 'E_BAD_FLAG');
    expect(r2.stderr).toContain('rates sum to 1.1, not 1');
  });

  test('fp_type the chip does not mix, a bad cos', async () => {
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'bm1684', '--fp_type', 'F16', '-o', q), 'E_FP_TYPE');
    expectUserError(await run(bad.mlir, '--data_list', bad.list, '--calibration_table', bad.table, '--chip', 'bm1684x', '--expected_cos', 'high', '-o', q), 'E_BAD_FLAG');
    expect(existsSync(q)).toBe(false);
  });
});
