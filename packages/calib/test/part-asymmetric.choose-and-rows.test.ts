// --part_asymmetric (spec §3.2, §3.4, §4.6, §4.8, §11.1): which ops TPU-MLIR's choose_asym_op
// picks, the rows they get (percentile range, threshold max(|v_min|,|v_max|), whatever the
// method), and the #asym_op section written and read back.
import { describe, expect, test } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { chooseAsymOps } from '../src/patterns/index.js';
import { computeThresholds } from '../src/thresholds/index.js';
import { formatCaliTable, parseCaliTable } from '../src/tables/index.js';
import type { TensorSummary } from '../src/stats/types.js';
import { chainModule } from './chain-module.js';

describe('chooseAsymOps (choose_asym_op)', () => {
  const m = chainModule(
    [
      { type: 'top.Conv', name: 'c0' },
      { type: 'top.SiLU', name: 's1' }, // -> c2, c3: chosen
      { type: 'top.Conv', name: 'c2', from: ['s1'] },
      { type: 'top.Conv', name: 'c3', from: ['s1'] },
      { type: 'top.Add', name: 'add', from: ['c2', 'c3'] },
      { type: 'top.SiLU', name: 's2' }, // -> c4 and an Add: not chosen
      { type: 'top.Conv', name: 'c4', from: ['s2'] },
      { type: 'top.Add', name: 'add2', from: ['s2', 'c4'] },
      { type: 'top.GELU', name: 'g' }, // -> MatMul: chosen
      { type: 'top.MatMul', name: 'mm', from: ['g'] },
      { type: 'top.Sigmoid', name: 'sig' }, // another activation: never
      { type: 'top.Conv', name: 'c5' },
      { type: 'top.SiLU', name: 's3' }, // returned only: all() of no consumers is true upstream
    ],
    ['mm', 's3'],
  );

  test('SiLU/GELU whose consumers are all Conv/MatMul, in tensor order; the list adds their consumers', () => {
    const r = chooseAsymOps(m);
    expect(r.ops).toEqual(['s1', 'g', 's3']);
    expect(r.listed).toEqual(['s1', 'c2', 'c3', 'g', 'mm', 's3']);
  });

  test('the #asym_op section is written after a blank line and read back by the importer rules', () => {
    const r = chooseAsymOps(m);
    const text = formatCaliTable(
      { mlirVersion: 'v', mlirPath: 'p.mlir', time: new Date(2025, 0, 2, 3, 4, 5), histogramBins: 2048, sampleNumber: 4 },
      [{ name: 's1', threshold: 5, min: -0.25, max: 5 }, { name: 'c2', threshold: 2, min: -2, max: 1 }],
      { asymOps: r.listed },
    );
    expect(text.endsWith('c2 2.0000000 -2.0000000 1.0000000\n\n#asym_op\ns1\nc2\nc3\ng\nmm\ns3\n')).toBe(true);
    const t = parseCaliTable(text);
    expect(t.asymOps).toEqual(r.listed);
    expect(t.rows.map((x) => x.name)).toEqual(['s1', 'c2']);
  });
});

function summary(name: string, s: { min: number; max: number; pctMin: number; pctMax: number; octav?: number; last5?: number }, opIndex = 0): TensorSummary {
  const absmax = Math.max(Math.abs(s.min), Math.abs(s.max));
  return {
    info: { name, opIndex, opCount: 4, opType: 'top.SiLU', isInput: false, size: 64 },
    samples: 2,
    min: s.min,
    max: s.max,
    hist: { counts: new Float64Array(2048).fill(3), width: absmax / 2047, th: absmax },
    maxAbs: absmax,
    pctMin: s.pctMin,
    pctMax: s.pctMax,
    octav: s.octav ?? absmax / 2,
    aciqGauss: absmax / 3,
    aciqLaplace: absmax / 4,
    kurtosis: 3,
    ...(s.last5 === undefined ? {} : { last5: s.last5 }),
  };
}

describe('rows of asymmetric ops', () => {
  const silu = summary('silu', { min: -0.2784, max: 9, pctMin: -0.2781, pctMax: 7.5 }, 1);
  const other = summary('other', { min: -3, max: 6, pctMin: -2, pctMax: 5 }, 2);

  test('every method: min/max = the percentile range, threshold = its absmax, tuned no further', () => {
    for (const method of ['kl', 'mse', 'max', 'percentile9999', 'aciq_gauss', 'aciq_laplace'] as const) {
      const r = computeThresholds([silu, other], method, { asymOps: ['silu'] });
      expect(r.rows[0], method).toEqual({ name: 'silu', threshold: 7.5, min: -0.2781, max: 7.5 });
      expect(r.tuneAbsmax.get('silu'), method).toBe(7.5);
      // the other tensors as without the option
      expect(r.rows[1], method).toEqual(computeThresholds([silu, other], method).rows[1]);
    }
  });

  test('no all-zero rule for them (TPU-MLIR applies it to the other tensors only)', () => {
    const tiny = summary('z', { min: -1e-7, max: 2e-6, pctMin: -1e-7, pctMax: 2e-6 });
    expect(computeThresholds([tiny], 'max', { asymOps: ['z'] }).rows[0]).toEqual({ name: 'z', threshold: 2e-6, min: -1e-7, max: 2e-6 });
    expect(computeThresholds([tiny], 'max').rows[0]).toEqual({ name: 'z', threshold: 1e-5, min: -1e-5, max: 1e-5 });
  });

  test('mse: an asymmetric op among the last tensors stops the trailing walk', () => {
    const last = summary('last', { min: -1, max: 4, pctMin: -1, pctMax: 4, octav: 1, last5: 4 }, 3);
    expect(computeThresholds([last], 'mse').rows[0]!.threshold).toBe(4); // trailing: its last5 value
    const before = summary('before', { min: -3, max: 6, pctMin: -2, pctMax: 5, octav: 3, last5: 6 }, 2);
    expect(computeThresholds([before, last], 'mse').rows.map((r) => r.threshold)).toEqual([6, 4]); // both trailing
    const asymLast = computeThresholds([before, last], 'mse', { asymOps: ['last'] });
    expect(asymLast.rows.map((r) => r.threshold)).toEqual([3, 4]); // walk stopped: Octav for 'before'
  });

  test('int4 and the torch observer are refused with them', () => {
    expect(() => computeThresholds([silu], 'kl', { asymOps: ['silu'], int4: true })).toThrow(UserError);
    expect(() => computeThresholds([silu], 'torch_observer', { asymOps: ['silu'] })).toThrow(/--part_asymmetric cannot be combined/);
  });
});
