// Method selection from --cali_method/--debug_cmd (TPU-MLIR's substring rules) and the statistics
// cache round trip.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Func, Module, nameLoc, Op, f32, ndarray, tensorType } from '@tpu-quant/ir';
import { parseDebugCmd, resolveMethod } from '../src/calibrate/method-options.js';
import { cachePath, loadStatistics, saveStatistics, statisticsKey } from '../src/calibrate/statistics-cache.js';
import type { TensorSummary } from '../src/stats/types.js';

describe('method selection', () => {
  test('debug_cmd keys are lower-cased and split on ";"', () => {
    expect([...parseDebugCmd(' Use_MSE ; tune_steps=7;;int4')]).toEqual([['use_mse', ''], ['tune_steps', '7'], ['int4', '']]);
  });
  test('--cali_method by substring and by short name; debug_cmd wins', () => {
    const none = new Map<string, string>();
    expect(resolveMethod(undefined, none)).toBe('kl');
    expect(resolveMethod('use_kl', none)).toBe('kl');
    expect(resolveMethod('use_mse', none)).toBe('mse');
    expect(resolveMethod('mse', none)).toBe('mse');
    expect(resolveMethod('use_percentile9999', none)).toBe('percentile9999');
    expect(resolveMethod('aciq_laplace', none)).toBe('aciq_laplace');
    expect(resolveMethod('use_max_x', none)).toBe('max'); // substring, as TPU-MLIR
    expect(resolveMethod('use_kl', parseDebugCmd('use_mse'))).toBe('mse');
    expect(resolveMethod('use_kl', parseDebugCmd('use_torch_observer_for_cali'))).toBe('torch_observer');
    // priority of spec §3.2: percentile9999 > mse > aciq_gauss > aciq_laplace > max
    expect(resolveMethod('use_kl', parseDebugCmd('use_max;use_percentile9999'))).toBe('percentile9999');
  });
  test('an unknown method is a user error, not a silent KLD', () => {
    expect(() => resolveMethod('use_entropy', new Map())).toThrow(/names no calibration method/);
  });
});

function tinyModule(w: number): Module {
  const m = new Module('tiny');
  const t = tensorType([1, 4], f32);
  const f = m.addFunc(new Func('main', { resultTypes: [t] }));
  const arg = f.addArgument(t);
  const v = f.append(new Op('top.Input', { operands: [arg], resultTypes: [t], loc: nameLoc('in') })).result();
  f.append(new Op('func.return', { operands: [v] }));
  m.weights = new Map([['w', ndarray('f32', [2], new Float32Array([w, 1]))]]);
  return m;
}

const summary = (name: string, counts: number[]): TensorSummary => ({
  info: { name, opIndex: 0, opCount: 2, opType: 'top.Conv', isInput: false, size: 4 },
  samples: 3, min: -1.5, max: 2.25, hist: { counts: Float64Array.from(counts), width: 0.5, th: 2.25 }, maxAbs: 2.25,
  pctMin: -1.25, pctMax: 2, octav: 1.1, aciqGauss: Number.POSITIVE_INFINITY, aciqLaplace: 0.3, last5: 2.25, kurtosis: Number.NaN,
});

describe('statistics cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpuq-cache-'));
  const sample = join(dir, 'a.npy');
  writeFileSync(sample, 'sample-bytes');
  const key = (w: number, extra: Partial<{ binNum: number; inputNum: number }> = {}) =>
    statisticsKey({ module: tinyModule(w), sampleFiles: [sample], binNum: 2048, inputNum: 3, torchObserver: false, ...extra });

  test('the key changes with weights, samples and options', async () => {
    const k = await key(0.5);
    expect(await key(0.5)).toBe(k);
    expect(await key(0.25)).not.toBe(k);
    expect(await key(0.5, { binNum: 1024 })).not.toBe(k);
    expect(await key(0.5, { inputNum: 2 })).not.toBe(k);
    writeFileSync(sample, 'other-bytes');
    expect(await key(0.5)).not.toBe(k);
  });

  test('summaries round-trip, non-finite numbers included; another key misses', async () => {
    const k = await key(0.5);
    const path = cachePath(join(dir, 'c'), k);
    const s = [summary('a', [0, 3, 1]), summary('b', [5])];
    await saveStatistics(path, k, s);
    const back = await loadStatistics(path, k);
    expect(back).toEqual(s);
    expect(await loadStatistics(path, 'x'.repeat(64))).toBeUndefined();
    writeFileSync(path, 'garbage');
    expect(await loadStatistics(path, k)).toBeUndefined();
  });
});
