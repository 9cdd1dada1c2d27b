// `--threads` of run_sensitive_layer and `run_calibration --search search_qtable`: the search's
// samples split over worker threads write the same qtable, new_cali_table.txt and log lines as
// one thread (timings aside); a bad count is a one-line error.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runningSearchThreads } from '@tpu-quant/mixprec';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';
import { writeQtableNet } from './qtable-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-search-threads-'));
let net: Awaited<ReturnType<typeof writeQtableNet>>;

beforeAll(async () => {
  net = await writeQtableNet(join(tmp, 'net'), 300);
}, 60_000);

/** stdout without what differs from run to run: timings, the thread count, output paths. */
const stable = (out: string, dir: string): string[] =>
  out.split('\n').filter((l) => !/^(time: |total time:)/.test(l)).map((l) => l.replaceAll(dir, '<dir>'));
const noTime = (text: string): string => text.replace(/^# genetated time: .*$/m, '');

describe('--threads: the search over worker threads writes what one thread writes', () => {
  test('run_sensitive_layer --threads 1 and --threads 2', async () => {
    const outs = [];
    for (const threads of ['1', '2']) {
      const dir = join(tmp, `sl-${threads}`);
      mkdirSync(dir, { recursive: true });
      const q = join(dir, 'qtable');
      const r = await runInProcess(['run_sensitive_layer', net.mlir, '--data_list', net.list, '--calibration_table', net.table, '--chip', 'bm1684x', '--tune_num', '0', '--max_float_layers', '1', '--threads', threads, '-o', q]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(threads === '1' ? /; 1 thread\n/ : /; samples over 2 threads \(times summed over them\)\n/);
      outs.push({ stdout: stable(r.stdout, dir), qtable: noTime(readFileSync(q, 'utf8')), table: readFileSync(join(dir, 'new_cali_table.txt'), 'utf8') });
    }
    expect(outs[1]).toEqual(outs[0]);
    expect(runningSearchThreads()).toBe(0);
  }, 120_000);

  test('a bad --threads: one-line error', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    expectUserError(await runInProcess(['run_sensitive_layer', net.mlir, '--data_list', net.list, '--calibration_table', net.table, '--chip', 'bm1684x', '--threads', 'two', '-o', join(dir, 'q')]), 'E_BAD_FLAG');
    expectUserError(await runInProcess(['run_calibration', net.mlir, '--data_list', net.list, '--search', 'search_qtable', '--processor', 'bm1684x', '--threads', '0', '--quantize_table', join(dir, 'q2'), '-o', join(dir, 't')]), 'E_THREADS');
  }, 60_000);
});
