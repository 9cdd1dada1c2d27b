// Import and propagation on a top mlir in TPU-MLIR's text format (test/fixtures/tiny_block.mlir:
// conv+relu6, maxpool, 1x1 convs with LeakyRelu / Relu, concat, SiLU as Sigmoid·x, reshape,
// permute, softmax) with a calibration table in run_calibration's format. Every range below is
// worked out by hand from the rules of spec deploy.md §3.2 and §3.4.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMlir, printMlir, type Module } from '@tpu-quant/ir';
import { calibratedOf, importCalibration, propagateCalibration, type CalibrationRow } from '../src/index.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function tableRows(text: string): CalibrationRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/))
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

function ranges(m: Module): Record<string, [number, number] | 'float'> {
  const out: Record<string, [number, number] | 'float'> = {};
  for (const op of m.main.ops) {
    if (op.type === 'top.Weight' || op.type === 'top.None' || op.type === 'func.return') continue;
    const c = calibratedOf(op.result());
    out[op.name!] = c ? [c.min, c.max] : 'float';
  }
  return out;
}

describe('tiny_block.mlir + tiny_block.cali_table', () => {
  it('import: the getMinMax rules', () => {
    const m = parseMlir(fixture('tiny_block.mlir'), 'tiny_block.mlir');
    const res = importCalibration(m, tableRows(fixture('tiny_block.cali_table')));
    expect(res).toEqual({ calibrated: 13, uncovered: [], unused: [] });
    expect(ranges(m)).toEqual({
      x: [-2, 2],
      conv1: [0, 6], // do_relu
      pool1: [0, 5.5],
      conv2: [-3, 3],
      leaky2: [-2.8, 2.8],
      conv3: [-4, 4],
      relu3: [0, 3.5],
      cat: [-3.6, 3.6],
      sig: [0, 1], // forced
      silu: [-3.4, 3.4], // Mul of a Concat and a Sigmoid: not "positive"
      flat: [-3.3, 3.3],
      perm: [-3.3, 3.3],
      prob: [0, 1], // forced
    });
  });

  it('propagation: backward through MaxPool / Relu / LeakyRelu (keeping min), forward to Reshape → Permute', () => {
    const m = parseMlir(fixture('tiny_block.mlir'), 'tiny_block.mlir');
    importCalibration(m, tableRows(fixture('tiny_block.cali_table')));
    propagateCalibration(m, { processor: 'bm1684x' });
    expect(ranges(m)).toEqual({
      x: [-2, 2],
      conv1: [0, 5.5], // ← pool1
      pool1: [0, 5.5],
      conv2: [-3, 2.8], // ← leaky2's max, own min
      leaky2: [-3, 2.8], // → forward from conv2
      conv3: [0, 3.5], // ← relu3
      relu3: [0, 3.5],
      cat: [-3.6, 3.6], // inputs of mixed sign: Concat left alone
      sig: [0, 1],
      silu: [-3.4, 3.4],
      flat: [-3.4, 3.4], // → silu
      perm: [-3.4, 3.4], // → flat
      prob: [0, 1],
    });
    const text = printMlir(m);
    expect(text).toContain('module.state = "TOP_CALIBRATED"');
    expect(text).toContain('tensor<1x4x8x8x!quant.calibrated<f32<0.000000e+00:5.500000e+00>>>');
    expect(text).toContain('-> tensor<1x16x8x!quant.calibrated<f32<0.000000e+00:1.000000e+00>>> {');
    expect(ranges(parseMlir(text, 'printed'))).toEqual(ranges(m));
  });

  it('asymmetric import keeps the table min/max', () => {
    const m = parseMlir(fixture('tiny_block.mlir'), 'tiny_block.mlir');
    importCalibration(m, tableRows(fixture('tiny_block.cali_table')), { asymmetric: true });
    const r = ranges(m);
    expect(r.x).toEqual([-1.8, 2]);
    expect(r.conv2).toEqual([-2.5, 3.2]);
    expect(r.conv1).toEqual([0, 6]);
    expect(r.silu).toEqual([-3.4, 3.4]); // Mul ignores --asymmetric
  });
});
