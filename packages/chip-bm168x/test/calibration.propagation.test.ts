// Range propagation before lowering (spec deploy.md §3.4; TPU-MLIR's calibration_process).
import { describe, expect, it } from 'vitest';
import { isUserError, ndarray } from '@tpu-quant/ir';
import { importCalibration, propagateCalibration } from '../src/index.js';
import { Graph, rows, top } from './helpers.js';

const pool = { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] };

function run(g: Graph, table: string, processor = 'bm1684x'): Graph {
  importCalibration(g.module, rows(table), { processor });
  propagateCalibration(g.module, { processor });
  return g;
}

describe('backward through Relu / MaxPool, forward through Reshape', () => {
  it('a Conv → Relu → MaxPool chain ends with one range: the MaxPool output’s', () => {
    const g = new Graph();
    const n = top.sub(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'conv' }).result(); // stands for a conv
    const r = top.relu(g.b, { input: n }, {}, { loc: 'relu' }).result();
    const p = top.maxPool(g.b, { input: r }, pool, { loc: 'pool' }).result();
    const s = top.reshape(g.b, { input: p }, { shape: [1, 8] }, { loc: 'flat' }).result();
    g.finish(s);
    run(g, 'x 3 -3 3\nconv 4 -4 6\nrelu 5 0 5\npool 4.5 0 4.5');
    expect(g.range('conv')).toEqual([0, 4.5]);
    expect(g.range('relu')).toEqual([0, 4.5]);
    expect(g.range('pool')).toEqual([0, 4.5]);
    expect(g.range('flat')).toEqual([0, 4.5]); // the Reshape had no row: it takes its input's
  });

  it('Relu copies a calibrated input’s range forward, signed or not (INT8 Relu keeps the scale)', () => {
    const g = new Graph();
    const r = top.relu(g.b, { input: g.x }, {}, { loc: 'relu' }).result();
    g.finish(r, top.abs(g.b, { input: g.x }, {}, { loc: 'other' }).result());
    run(g, 'x 3 -3 3\nrelu 2 0 2\nother 3 0 3');
    expect(g.range('relu')).toEqual([-3, 3]);
  });

  it('Relu backward reaches the producer of its input', () => {
    const g = new Graph();
    const c = top.sub(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'conv' }).result();
    const r = top.relu(g.b, { input: c }, { relu_limit: 6 }, { loc: 'relu6' }).result();
    g.finish(r);
    run(g, 'x 3 -3 3\nconv 9 -8 9\nrelu6 6 0 6');
    expect(g.range('conv')).toEqual([0, 6]);
  });

  it('does not push a range back into an input with other users', () => {
    const g = new Graph();
    const c = top.abs(g.b, { input: g.x }, {}, { loc: 'a' }).result();
    const r = top.relu(g.b, { input: c }, {}, { loc: 'relu' }).result();
    const o = top.sigmoid(g.b, { input: c }, {}, { loc: 'other' }).result();
    g.finish(r, o);
    run(g, 'x 3 -3 3\na 3 0 3\nrelu 2 0 2');
    expect(g.range('a')).toEqual([-3, 3]);
  });

  it('LeakyRelu / PRelu keep their input’s min (BM168x), take the output’s max', () => {
    const g = new Graph();
    const a = top.mulConst(g.b, { input: g.x }, { const_val: 2 }, { loc: 'a' }).result();
    const l = top.leakyRelu(g.b, { input: a }, { alpha: 0.1 }, { loc: 'leaky' }).result();
    g.finish(l);
    importCalibration(g.module, rows('a 5 -5 5\nleaky 4 -0.5 4'));
    propagateCalibration(g.module);
    // backward keeps min: a = [-5, 4]; then forward copies a onto the LeakyRelu output
    expect(g.range('a')).toEqual([-5, 4]);
    expect(g.range('leaky')).toEqual([-5, 4]);
  });
});

describe('multi-input ops', () => {
  it('Concat: inputs with different ranges take the output’s range', () => {
    const g = new Graph();
    const a = top.relu(g.b, { input: g.x }, {}, { loc: 'a' }).result();
    const b2 = top.sigmoid(g.b, { input: g.x }, {}, { loc: 'b' }).result();
    const c = top.concat(g.b, { inputs: [a, b2] }, { axis: 1 }, { loc: 'cat' }).result();
    g.finish(c);
    // x has no row: the Relu forward rule (which would copy x's range) stays out of the way
    run(g, 'a 3 0 3\ncat 2.5 0 2.5');
    expect(g.range('a')).toEqual([0, 2.5]);
    expect(g.range('b')).toEqual([0, 2.5]);
    expect(g.range('cat')).toEqual([0, 2.5]);
  });

  it('Concat: inputs sharing one range give it to the output; inputs of mixed sign stop the rule', () => {
    const g = new Graph();
    const a = top.relu(g.b, { input: g.x }, {}, { loc: 'a' }).result();
    const b2 = top.relu(g.b, { input: g.x }, {}, { loc: 'b' }).result();
    g.finish(top.concat(g.b, { inputs: [a, b2] }, { axis: 1 }, { loc: 'cat' }).result());
    run(g, 'a 2 0 2\nb 2 0 2\ncat 1.5 0 1.5');
    expect(g.range('cat')).toEqual([0, 2]);

    const h = new Graph();
    const p = top.relu(h.b, { input: h.x }, {}, { loc: 'p' }).result();
    const q = top.abs(h.b, { input: h.x }, {}, { loc: 'q' }).result();
    h.finish(top.concat(h.b, { inputs: [p, q] }, { axis: 1 }, { loc: 'cat' }).result());
    run(h, 'p 2 0 2\nq 3 0 3\ncat 3 -3 3');
    expect(h.range('p')).toEqual([0, 2]);
    expect(h.range('q')).toEqual([-3, 3]);
  });

  it('Add of single-use Muls gives them its range (BM1684X family only)', () => {
    const build = () => {
      const g = new Graph();
      const m1 = top.mul(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'm1' }).result();
      const y = top.abs(g.b, { input: g.x }, {}, { loc: 'y' }).result();
      const m2 = top.mul(g.b, { inputs: [y, g.x] }, {}, { loc: 'm2' }).result();
      return g.finish(top.add(g.b, { inputs: [m1, m2] }, {}, { loc: 'sum' }).result());
    };
    const table = 'x 3 -3 3\ny 3 0 3\nm1 9 0 9\nm2 4 -4 4\nsum 10 -10 10';
    const g = run(build(), table);
    expect(g.range('m1')).toEqual([-10, 10]);
    expect(g.range('m2')).toEqual([-10, 10]);
    // BM1684 does not have the rule; m1 (x·x, signed inputs) was only made signed by the Mul sign rule
    const h = run(build(), table, 'bm1684');
    expect(h.range('m1')).toEqual([Math.fround(-0.9), 9]);
  });

  it('Compare: both sides get the union of their ranges', () => {
    const g = new Graph();
    const a = top.relu(g.b, { input: g.x }, {}, { loc: 'a' }).result();
    g.finish(top.compare(g.b, { lhs: a, rhs: g.x }, { mode: 'Greater' }, { loc: 'gt' }).result());
    run(g, 'x 3 -3 3\na 4 0 4\ngt 1 0 1');
    expect(g.range('a')).toEqual([-3, 4]);
    expect(g.range('x')).toEqual([-3, 4]);
  });
});

describe('sign rules', () => {
  it('AvgPool / MaxPool keep the input’s sign: min = −0.1·max in C float', () => {
    const g = new Graph();
    const a = top.avgPool(g.b, { input: g.x }, pool, { loc: 'avg' }).result();
    g.finish(a);
    run(g, 'x 2 -2 2\navg 1.5 0 1.5');
    expect(g.range('avg')).toEqual([Math.fround(-0.15), 1.5]);
  });

  it('SubConst of an unsigned input and Sub stay signed: [−0.1·max, max]', () => {
    const g = new Graph();
    const r = top.relu(g.b, { input: g.x }, {}, { loc: 'r' }).result();
    const s = top.subConst(g.b, { input: r }, { const_val: 0.5 }, { loc: 'sc' }).result();
    g.finish(s);
    run(g, 'x 2 -2 2\nr 2 0 2\nsc 1.5 0 1.5');
    expect(g.range('sc')).toEqual([1.5 * -0.1, 1.5]);
  });

  it('Mul: swaps inputs so the first has the output’s sign', () => {
    const g = new Graph();
    const u = top.relu(g.b, { input: g.x }, {}, { loc: 'u' }).result();
    const m = top.mul(g.b, { inputs: [u, g.x] }, {}, { loc: 'm' });
    g.finish(m.result());
    run(g, 'x 2 -2 2\nu 2 0 2\nm 4 -4 4');
    expect(m.operands.map((v) => v.name)).toEqual(['x', 'u']);
  });

  it('Mul: two signed inputs and an unsigned output make the output signed', () => {
    const g = new Graph();
    const y = top.abs(g.b, { input: g.x }, {}, { loc: 'y' }).result();
    g.finish(top.mul(g.b, { inputs: [y, g.x] }, {}, { loc: 'm' }).result());
    run(g, 'x 2 -2 2\ny 2 -2 2\nm 4 0 4');
    expect(g.range('m')).toEqual([Math.fround(-0.4), 4]);
  });

  it('Mul: two unsigned inputs with a signed output is a calibration error', () => {
    const g = new Graph();
    const a = top.add(g.b, { inputs: [g.x, g.x] }, { do_relu: true }, { loc: 'a' }).result();
    const c = top.add(g.b, { inputs: [g.x, g.x] }, { do_relu: true }, { loc: 'c' }).result();
    g.finish(top.mul(g.b, { inputs: [a, c] }, {}, { loc: 'm' }).result());
    importCalibration(g.module, rows('x 2 -2 2\na 4 -1 4\nc 4 -1 4\nm 9 -1 9'));
    let err: unknown;
    try {
      propagateCalibration(g.module);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err) && err.code).toBe('E_CALIBRATION');
  });
});

describe('forward rules', () => {
  it('MulConst scales the range, swapping ends for a negative constant', () => {
    const g = new Graph();
    const r = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'a' }).result();
    g.finish(top.mulConst(g.b, { input: r }, { const_val: -2 }, { loc: 'mc' }).result());
    importCalibration(g.module, rows('a 3 -1 3\nmc 5 -5 5'), { asymmetric: true });
    propagateCalibration(g.module);
    expect(g.range('mc')).toEqual([-6, 2]);
  });

  it('Where grows its output to a constant branch and pushes its range to tensor branches', () => {
    const g = new Graph();
    const c = top.compare(g.b, { lhs: g.x, rhs: g.x }, { mode: 'Greater' }, { loc: 'cond' }).result();
    const t = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 't' }).result();
    const w = top.where(g.b, { cond: c, tbrn: t }, { y_is_const: true, y_const_val: 10 }, { loc: 'w' }).result();
    const t2 = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 't2' }).result();
    const f2 = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'f2' }).result();
    const w2 = top.where(g.b, { cond: c, tbrn: t2, fbrn: f2 }, {}, { loc: 'w2' }).result();
    g.finish(w, w2);
    run(g, 'x 2 -2 2\ncond 1 0 1\nt 2 0 2\nw 5 0 5\nt2 2 0 2\nf2 1 0 1\nw2 3 0 3');
    expect(g.range('w')).toEqual([0, 10]);
    // the first run grows the output (and pushes nothing back); the second run, after the forward
    // rules, finds it large enough and pushes it to the tensor branch
    expect(g.range('t')).toEqual([0, 10]);
    expect(g.range('t2')).toEqual([0, 3]);
    expect(g.range('f2')).toEqual([0, 3]);
  });

  it('a qtable keeping the Where in float stops the backward push', () => {
    const g = new Graph();
    const c = top.compare(g.b, { lhs: g.x, rhs: g.x }, { mode: 'Greater' }, { loc: 'cond' }).result();
    const t = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 't' }).result();
    const f = top.add(g.b, { inputs: [g.x, g.x] }, {}, { loc: 'f' }).result();
    g.finish(top.where(g.b, { cond: c, tbrn: t, fbrn: f }, {}, { loc: 'w' }).result());
    importCalibration(g.module, rows('x 2 -2 2\ncond 1 0 1\nt 2 0 2\nf 1 0 1\nw 3 0 3'));
    propagateCalibration(g.module, { quantizeTable: new Map([['w', 'F16']]) });
    expect(g.range('t')).toEqual([0, 2]);
  });

  it('does nothing on a module that was not calibrated', () => {
    const g = new Graph();
    g.finish(top.relu(g.b, { input: g.x }, {}, { loc: 'r' }).result());
    expect(propagateCalibration(g.module)).toBe(0);
  });

  it('a one-value constant counts by its sign in the Mul rule', () => {
    const g = new Graph();
    const w = g.weight('k', ndarray('f32', [1], Float32Array.of(-0.5)));
    const r = top.relu(g.b, { input: g.x }, {}, { loc: 'r' }).result();
    const m = top.mul(g.b, { inputs: [r, w] }, {}, { loc: 'm' });
    g.finish(m.result());
    run(g, 'x 2 -2 2\nr 2 0 2\nm 1 -1 1');
    expect(m.operands.map((v) => v.name)).toEqual(['k', 'r']);
  });
});
