// Calibration table rows → `!quant.calibrated` ranges (spec deploy.md §3.2, TPU-MLIR's
// ImportCalibration.cpp getMinMax rules).
import { describe, expect, it } from 'vitest';
import { isUserError, ndarray, printMlir } from '@tpu-quant/ir';
import { importCalibration } from '../src/index.js';
import { Graph, rows, top } from './helpers.js';

function graph(): Graph {
  const g = new Graph();
  const { b, x } = g;
  const a = top.abs(b, { input: x }, {}, { loc: 'abs' }).result();
  const s = top.sigmoid(b, { input: x }, {}, { loc: 'sig' }).result();
  const ls = top.sigmoid(b, { input: x }, { log: true }, { loc: 'logsig' }).result();
  const sm = top.softmax(b, { input: x }, { axis: 1 }, { loc: 'softmax' }).result();
  const r = top.relu(b, { input: x }, {}, { loc: 'relu' }).result();
  const sq = top.mul(b, { inputs: [a, a] }, {}, { loc: 'square' }).result();
  const gate = top.mul(b, { inputs: [s, r] }, {}, { loc: 'gate' }).result();
  const mix = top.mul(b, { inputs: [x, r] }, {}, { loc: 'mix' }).result();
  const d = top.sub(b, { inputs: [r, s] }, {}, { loc: 'diff' }).result();
  const d2 = top.sub(b, { inputs: [s, r] }, {}, { loc: 'diff2' }).result();
  const add = top.add(b, { inputs: [d, d2] }, { do_relu: true }, { loc: 'add_relu' }).result();
  const add2 = top.add(b, { inputs: [mix, gate] }, {}, { loc: 'add_norow' }).result();
  const ge = top.gelu(b, { input: add2 }, {}, { loc: 'gelu' }).result();
  return g.finish(sq, ls, sm, add, ge);
}

const TABLE = rows(`
x 2.0 -1.5 2.0
abs 3.0 0.0 3.0
sig 0.9 0.1 0.9
logsig 4.0 -4.0 -0.01
softmax 0.7 0.0 0.7
relu 2.0 0.0 2.0
square 4.0 0.0 4.0
gate 1.5 0.0 1.5
mix 2.5 -1.0 2.5
diff 1.9 0.0 1.9
add_relu 3.0 -2.0 3.0
gelu 2.2 -0.17 2.2
nowhere 1.0 -1.0 1.0
`);

describe('importCalibration: getMinMax rules', () => {
  it('applies TPU-MLIR’s rules op by op', () => {
    const g = graph();
    const r = importCalibration(g.module, TABLE);
    expect(g.range('x')).toEqual([-2, 2]); // symmetric: min < 0 → [-th, th]
    expect(g.range('relu')).toEqual([0, 2]); // min ≥ 0 → [0, th] (uint8)
    expect(g.range('abs')).toEqual([-3, 3]); // Abs: always [-th, th]
    expect(g.range('sig')).toEqual([0, 1]); // Sigmoid: [0, 1]
    expect(g.range('logsig')).toEqual([-4, 4]); // log Sigmoid: the normal rule
    expect(g.range('softmax')).toEqual([0, 1]);
    expect(g.range('square')).toEqual([0, 4]); // Mul of a value by itself
    expect(g.range('gate')).toEqual([0, 1.5]); // Mul of Sigmoid and Relu outputs
    expect(g.range('mix')).toEqual([-2.5, 2.5]); // any other Mul: the normal rule
    expect(g.range('diff')).toEqual([-1e-5, 1.9]); // Sub is never unsigned
    expect(g.range('add_relu')).toEqual([0, 3]); // do_relu → min 0
    expect(g.range('gelu')).toEqual([-2.2, 2.2]);
    expect(r.calibrated).toBe(12);
    // a Sub without a row stays float here (TPU-MLIR would give it [-1e-5, 0]); so does an op without a row
    expect(g.range('diff2')).toBe('float');
    expect(g.range('add_norow')).toBe('float');
    expect(r.uncovered).toEqual(['diff2', 'add_norow']);
    expect(r.unused).toEqual(['nowhere']);
  });

  it('asymmetric: the table min/max, still with the forced ranges and do_relu', () => {
    const g = graph();
    importCalibration(g.module, TABLE, { asymmetric: true });
    expect(g.range('x')).toEqual([-1.5, 2]);
    expect(g.range('relu')).toEqual([0, 2]);
    expect(g.range('logsig')).toEqual([-4, -0.01]);
    expect(g.range('sig')).toEqual([0, 1]);
    expect(g.range('abs')).toEqual([-3, 3]);
    expect(g.range('mix')).toEqual([-2.5, 2.5]); // Mul ignores --asymmetric
    expect(g.range('add_relu')).toEqual([0, 3]);
    expect(g.range('gelu')).toEqual([-0.17, 2.2]);
  });

  it('asym_op: a named GELU gets output_asym and the table min/max in symmetric mode', () => {
    const g = graph();
    importCalibration(g.module, TABLE, { asymOps: ['gelu'] });
    expect(g.range('gelu')).toEqual([-0.17, 2.2]);
    expect(g.v('gelu').producer!.attrs.get('output_asym')).toEqual({ kind: 'bool', value: true });
    expect(g.range('x')).toEqual([-2, 2]);
  });

  it('CV18xx: every range symmetric (min = −max), Sigmoid too', () => {
    const g = graph();
    importCalibration(g.module, TABLE, { processor: 'cv183x' });
    expect(g.range('relu')).toEqual([-2, 2]);
    expect(g.range('sig')).toEqual([-1, 1]);
  });

  it('sets module.state, the function result types, and prints as TPU-MLIR does', () => {
    const g = graph();
    importCalibration(g.module, TABLE);
    expect(g.module.attrs.get('module.state')).toEqual({ kind: 'string', value: 'TOP_CALIBRATED' });
    expect(g.module.main.resultTypes).toEqual(g.module.main.outputs.map((v) => v.type));
    const text = printMlir(g.module);
    expect(text).toContain('module.state = "TOP_CALIBRATED"');
    expect(text).toMatch(/!quant\.calibrated<f32<-2\.000000e\+00:2\.000000e\+00>>/);
  });

  it('leaves weights, None and non-float results alone', () => {
    const g = new Graph([1, 4]);
    const w = g.weight('w', ndarray('f32', [1, 4], Float32Array.of(1, 2, 3, 4)));
    const y = top.add(g.b, { inputs: [g.x, w] }, {}, { loc: 'y' }).result();
    g.finish(y);
    const r = importCalibration(g.module, rows('w 4 1 4\ny 5 -1 5\nx 1 -1 1'));
    expect(g.range('w')).toBe('float');
    expect(g.range('y')).toEqual([-5, 5]);
    expect(r.unused).toEqual(['w']);
  });

  it('refuses a module that is not in state TOP_F32', () => {
    const g = graph();
    importCalibration(g.module, TABLE);
    let err: unknown;
    try {
      importCalibration(g.module, TABLE);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err) && err.code).toBe('E_MODULE_STATE');
  });

  it('rejects an unknown processor with the registry’s user error', () => {
    expect(() => importCalibration(graph().module, TABLE, { processor: 'bm9999' })).toThrow(/unsupported processor/);
  });
});
