// run_qtable, search_threshold and bias correction with their samples split over worker threads
// (@tpu-quant/mixprec's shards): each gives the single-thread result exactly (every cos, score,
// trial, float layer, corrected weight, and the log), with an even and an uneven split, compare
// layers, adopted and discarded cone runs, applied and reverted corrections; a worker's error
// comes back as the same one-line UserError, and no worker thread is left running.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { f32, Func, Module, ndarray, Op, OpBuilder, stringAttr, tensorType, top } from '@tpu-quant/ir';
import {
  runBiasCorrection, runningSearchThreads, runQtable, searchThreshold, type BiasCorrectionOptions, type RunQtableOptions, type SearchThresholdOptions, type SearchThresholdResult,
} from '@tpu-quant/mixprec';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import './fixtures/throwing-mix-target.js';
import { biasNet, biasRows, biasSamples, writeBiasNet } from './bias-fixture.js';
import { maxRows, qtableNet, qtableRows, qtableSamples } from './qtable-fixture.js';
import { rand } from './seeded-rand.js';

registerBm168x();

const chipSetup = [import.meta.resolve('@tpu-quant/chip-bm168x')];
const throwSetup = [new URL('./fixtures/throwing-mix-target.ts', import.meta.url).href];

/** x -> c1 (3x3) -> c2 .. c`k` (1x1, ReLU on the odd ones): k + 1 top ops, so #ops // 4 float layers allowed. */
function chainNet(k: number): Module {
  const m = new Module('chain', new Map([['module.state', stringAttr('TOP_F32')], ['module.weight_file', stringAttr('chain_top_f32_all_weight.npz')]]));
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  let v = top.input(b, { input: f.addArgument(tensorType([1, 4, 8, 8], f32)) }, {}, { loc: 'x' }).result();
  for (let i = 1; i <= k; i++) {
    const shape = i === 1 ? [8, 4, 3, 3] : [8, 8, 1, 1];
    const filter = b.weight(`w${i}`, ndarray('f32', shape, rand(shape.reduce((p, q) => p * q, 1), 10 + i, 0.4)));
    const bias = b.weight(`b${i}`, ndarray('f32', [8], rand(8, 40 + i, 0.1)));
    v = top.conv(b, { input: v, filter, bias }, { kernel_shape: i === 1 ? [3, 3] : [1, 1], ...(i === 1 ? { pads: [1, 1, 1, 1] } : {}), do_relu: i % 2 === 1 }, { loc: `c${i}` }).result();
  }
  f.resultTypes = [v.type];
  f.append(new Op('func.return', { operands: [v] }));
  return m;
}

/** The result without its timings, and the log, for `threads`. */
async function withThreads<R extends { stats: { threads: number } }, O extends { log?: (l: string) => void; threads?: number; workerSetup?: readonly string[] }>(
  run: (o: O) => Promise<R>, o: O, threads: number,
): Promise<{ r: Omit<R, 'stats'>; lines: string[]; threads: number }> {
  const lines: string[] = [];
  const { stats, ...r } = await run({ ...o, threads, workerSetup: chipSetup, log: (l: string) => lines.push(l) });
  return { r, lines, threads: stats.threads };
}

async function expectSameOverThreads<R extends { stats: { threads: number } }, O extends { log?: (l: string) => void; threads?: number; workerSetup?: readonly string[] }>(
  run: (o: O) => Promise<R>, o: O, counts: readonly number[], untimed: (r: Omit<R, 'stats'>) => unknown = (r) => r,
): Promise<Omit<R, 'stats'>> {
  const one = await withThreads(run, o, 1);
  expect(one.threads).toBe(1);
  for (const k of counts) {
    const many = await withThreads(run, o, k);
    expect(many.threads).toBe(k);
    expect(untimed(many.r)).toEqual(untimed(one.r));
    expect(many.lines).toEqual(one.lines);
  }
  expect(runningSearchThreads()).toBe(0);
  return one.r;
}

/** name, code, message and hint of a rejection (undefined when it resolves). */
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { code?: string; hint?: string }) => ({ name: e.name, code: e.code, message: e.message, hint: e.hint }));

describe('run_qtable over worker threads equals one thread', () => {
  test('success (the cone adopted), 5 samples over 1, 2 and 3 threads', async () => {
    const samples = qtableSamples(5);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const r = await expectSameOverThreads(runQtable, { module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples } as RunQtableOptions, [2, 3]);
    expect(r.outcome).toBe('success');
    expect(r.floatLayers).toEqual(['c2', 'c3']);
    // lowerings counted: the float reference, the INT8 model, the mixed one (threads: + the INT8 model again on this thread for its op list)
    const o: RunQtableOptions = { module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, workerSetup: chipSetup };
    expect((await runQtable({ ...o, threads: 1 })).stats.lowerings).toBe(3);
    expect((await runQtable({ ...o, threads: 2 })).stats.lowerings).toBe(4);
  }, 60_000);

  test('a chain with two sensitive convs: the first cone adopted, the next one runs on it, then fail (discarded); 4 samples over 3 threads', async () => {
    const samples = qtableSamples(4);
    const rows = await maxRows(chainNet(8), samples, { c2: 300, c5: 300 });
    const r = await expectSameOverThreads(runQtable, { module: chainNet(8), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999999 } as RunQtableOptions, [3]);
    expect(r.outcome).toBe('fail');
    expect(r.maxFloatLayers).toBe(2);
    // c2 + c3 adopted; c4 measured on the adopted cache; c5 + c6 tried on it and over the limit
    expect(r.floatLayers).toEqual(['c2', 'c3', 'c5', 'c6']);
    expect(r.layerCos.map(([n]) => n)).toEqual(['c1', 'c2', 'c4', 'c5']);
  }, 60_000);

  test('compare layers: 4 samples over 2 threads', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    await expectSameOverThreads(runQtable, { module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, globalCompareLayers: 'c3:0.4,c4:0.6' } as RunQtableOptions, [2]);
  }, 60_000);
});

describe('search_threshold over worker threads equals one thread', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tpuq-tools-shards-'));
  let net: Awaited<ReturnType<typeof writeBiasNet>>;
  beforeAll(async () => {
    net = await writeBiasNet(tmp, 6, 200);
  }, 60_000);
  const options = (benchmarkMethod: 'cos' | 'snr', chip = 'bm1684x'): SearchThresholdOptions => ({
    module: biasNet(), chip, inferenceSamples: net.samples.slice(0, 5), benchmarkMethod,
    calibration: { samples: { kind: 'npz', entries: net.samples.map((_, i) => [join(tmp, 'data', `s${i}.npz`)]) }, tuneNum: 0, histogramBinNum: 2048, statsThread: false },
  });

  // the statistics run's timings differ from run to run
  const untimed = (r: Omit<SearchThresholdResult, 'stats'>) => ({ ...r, calibration: { ...r.calibration, timings: undefined } });

  test('cos and snr: every method\'s score, the winner and the log, 5 samples over 1, 2 and 3 threads', async () => {
    const cos = await expectSameOverThreads(searchThreshold, options('cos'), [2, 3], untimed);
    expect(cos.winner.name).not.toBe('MAX');
    const snr = await expectSameOverThreads(searchThreshold, options('snr'), [3], untimed);
    expect(snr.tables.map((t) => t.score)).not.toEqual(cos.tables.map((t) => t.score));
  }, 120_000);

  test('a worker\'s lowering error: the same UserError as in one thread, no thread left', async () => {
    const o = options('cos', 'throwmix');
    const one = await errorOf(searchThreshold({ ...o, threads: 1 }));
    expect(one).toEqual({ name: 'UserError', code: 'E_TEST_LOWERING', message: 'the MAX table cannot be lowered', hint: 'a test fixture' });
    expect(await errorOf(searchThreshold({ ...o, threads: 2, workerSetup: throwSetup }))).toEqual(one);
    expect(runningSearchThreads()).toBe(0);
  }, 60_000);
});

describe('bias correction over worker threads equals one thread', () => {
  test('applied (c2): trials, corrected weights and the log, 5 samples over 1, 2 and 3 threads', async () => {
    const samples = biasSamples(5);
    const rows = await biasRows(biasNet(), samples);
    const r = await expectSameOverThreads(runBiasCorrection, { module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999 } as BiasCorrectionOptions, [2, 3]);
    expect(r.changed).toEqual(['b2']);
    expect(r.trials.some((t) => t.applied)).toBe(true);
    const one = await runBiasCorrection({ module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999, threads: 1 });
    expect(one.stats.lowerings).toBe(2 + one.trials.length);
  }, 60_000);

  test('reverted (c1) then applied, with compare layers: 4 samples over 3 threads', async () => {
    const samples = biasSamples(4);
    const rows = await biasRows(biasNet(), samples, { c1: 0.3 });
    const r = await expectSameOverThreads(runBiasCorrection, { module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999 } as BiasCorrectionOptions, [3]);
    expect(r.trials.map((t) => [t.op, t.applied])).toEqual([['c1', false], ['c2', true]]);
    const c = await expectSameOverThreads(runBiasCorrection, { module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999, globalCompareLayers: 'c3' } as BiasCorrectionOptions, [2]);
    expect(c.trials.length).toBeGreaterThan(0);
  }, 60_000);

  test('worker errors: the same UserError as in one thread (run_qtable and bias correction), no thread left', async () => {
    const samples = biasSamples(3);
    const rows = await biasRows(biasNet(), samples);
    const bc: BiasCorrectionOptions = { module: biasNet(), chip: 'throwmix', calibration: { rows }, samples, expectedCos: 0.9999 };
    const one = await errorOf(runBiasCorrection({ ...bc, threads: 1 }));
    expect(one).toEqual({ name: 'UserError', code: 'E_TEST_LOWERING', message: 'a corrected bias cannot be lowered', hint: 'a test fixture' });
    expect(await errorOf(runBiasCorrection({ ...bc, threads: 3, workerSetup: throwSetup }))).toEqual(one);
    const qs = qtableSamples(3);
    const q: RunQtableOptions = { module: qtableNet(), chip: 'throwmix', calibration: { rows: await qtableRows(qtableNet(), qs, 300) }, samples: qs };
    const qOne = await errorOf(runQtable({ ...q, threads: 1 }));
    expect(qOne).toEqual({ name: 'UserError', code: 'E_TEST_LOWERING', message: 'a mixed model cannot be lowered', hint: 'a test fixture' });
    expect(await errorOf(runQtable({ ...q, threads: 2, workerSetup: throwSetup }))).toEqual(qOne);
    expect(runningSearchThreads()).toBe(0);
  }, 60_000);

  test('threads > 1 without workerSetup, or a bad count: refused up front', async () => {
    const samples = biasSamples(2);
    const rows = await biasRows(biasNet(), samples);
    await expect(runBiasCorrection({ module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, threads: 2 })).rejects.toMatchObject({ code: 'E_THREADS' });
    await expect(runQtable({ module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, threads: 0, workerSetup: chipSetup })).rejects.toMatchObject({ code: 'E_THREADS' });
    expect(runningSearchThreads()).toBe(0);
  });
});
