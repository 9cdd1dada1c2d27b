// `--threads` of run_qtable (search and --debug_cmd run_bias_correction), `run_calibration --search
// search_threshold` and `run_calibration --bc`: the samples split over worker threads write the
// same qtable, loss table, calibration tables, corrected weights and log lines as one thread
// (timings aside), with an even and an uneven split; a bad count is a one-line error.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runningSearchThreads } from '@tpu-quant/mixprec';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';
import { writeBiasNet } from './bias-fixture.js';
import { writeQtableNet } from './qtable-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-tools-threads-'));
let qnet: Awaited<ReturnType<typeof writeQtableNet>>;
let bnet: Awaited<ReturnType<typeof writeBiasNet>>;

beforeAll(async () => {
  qnet = await writeQtableNet(join(tmp, 'qnet'), 300);
  bnet = await writeBiasNet(join(tmp, 'bnet'), 6);
}, 60_000);

const dir = (name: string): string => {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
};
/** Lines without what differs from run to run: timings, the thread count, the output directory. */
const stable = (text: string, d: string): string[] =>
  text.split('\n').filter((l) => !/^(INFO:root:)?(time: |total time:)/.test(l)).map((l) => l.replaceAll(d, '<dir>'));
/** Every file the run wrote (the statistics cache aside), generation times dropped, logs made stable. */
const files = (d: string): Record<string, string[]> =>
  Object.fromEntries(readdirSync(d).filter((f) => !f.startsWith('.')).sort().map((f) => [f, stable(readFileSync(join(d, f), 'latin1').replace(/^# gen\w* time: .*$/m, ''), d)]));

/** Runs `args` (with -o / table paths under a fresh directory per thread count) for each count; everything written and printed must match. */
async function sameOverThreads(name: string, counts: readonly string[], args: (d: string) => string[], expectLine: RegExp): Promise<void> {
  const outs = [];
  for (const threads of counts) {
    const d = dir(`${name}-${threads}`);
    const r = await runInProcess([...args(d), '--threads', threads]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(threads === '1' ? /; 1 thread\n/ : new RegExp(`; samples over ${threads} threads \\(times summed over them\\)\\n`));
    expect(r.stdout).toMatch(expectLine);
    outs.push({ stdout: stable(r.stdout, d), files: files(d) });
  }
  for (const o of outs.slice(1)) expect(o).toEqual(outs[0]);
  expect(runningSearchThreads()).toBe(0);
}

describe('--threads: what one thread writes', () => {
  test('run_qtable: qtable, loss table, MixPrecSearcher; 4 samples over 1, 2 and 3 threads', async () => {
    await sameOverThreads('rq', ['1', '2', '3'], (d) => ['run_qtable', qnet.mlir, '--data_list', qnet.list, '--calibration_table', qnet.table, '--chip', 'bm1684x', '-o', join(d, 'qtable')], /^mix model outputs_cos:0\.99/m);
  }, 120_000);

  test('run_qtable --debug_cmd run_bias_correction: corrected npz + mlir, Bias_Correction; 5 samples over 1 and 3 threads', async () => {
    const table = join(dir('table'), 'bnet_table');
    expect((await runInProcess(['run_calibration', bnet.mlir, '--data_list', bnet.list, '--cali_method', 'use_max', '--tune_num', '0', '--threads', '1', '-o', table])).code).toBe(0);
    await sameOverThreads(
      'rqbc', ['1', '3'],
      (d) => ['run_qtable', bnet.mlir, '--data_list', bnet.list, '--input_num', '5', '--calibration_table', table, '--chip', 'bm1684x', '--expected_cos', '0.9999', '--debug_cmd', 'run_bias_correction', '-o', join(d, 'q')],
      /op:c2 bias correction applied/,
    );
  }, 120_000);

  test('run_calibration --search search_threshold: every table, the winner, Search_Threshold; 5 samples over 1 and 2 threads', async () => {
    await sameOverThreads(
      'st', ['1', '2'],
      (d) => ['run_calibration', bnet.mlir, '--data_list', bnet.list, '--search', 'search_threshold', '--inference_num', '5', '--tune_num', '0', '--benchmark_method', 'snr', '-o', join(d, 'cali_table')],
      /optimal_method_name: /,
    );
  }, 120_000);

  test('run_calibration --bc: corrected weights, Bias_Correction, the table calibrated again; 5 samples over 1 and 2 threads', async () => {
    await sameOverThreads(
      'bc', ['1', '2'],
      (d) => ['run_calibration', bnet.mlir, '--data_list', bnet.list, '--bc', '--cali_method', 'use_max', '--tune_num', '0', '--bc_inference_num', '5', '--expected_cos', '0.9999', '-o', join(d, 'cali_table')],
      /calibrating again on the bias-corrected weights/,
    );
  }, 120_000);

  test('a bad --threads: one-line error', async () => {
    const d = dir('bad');
    expectUserError(await runInProcess(['run_qtable', qnet.mlir, '--data_list', qnet.list, '--calibration_table', qnet.table, '--chip', 'bm1684x', '--threads', 'two', '-o', join(d, 'q')]), 'E_BAD_FLAG');
    expectUserError(await runInProcess(['run_qtable', qnet.mlir, '--data_list', qnet.list, '--calibration_table', qnet.table, '--chip', 'bm1684x', '--threads', '0', '-o', join(d, 'q')]), 'E_THREADS');
    expectUserError(await runInProcess(['run_calibration', bnet.mlir, '--data_list', bnet.list, '--search', 'search_threshold', '--threads', '-1', '-o', join(d, 't')]), 'E_THREADS');
  }, 60_000);
});
