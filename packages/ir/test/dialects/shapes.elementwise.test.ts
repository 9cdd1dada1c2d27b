import { describe, expect, it } from 'vitest';
import { ShapeError, top } from '../../src/dialects/index.js';
import { fixture, shapeOf } from './fixture.js';

describe('elementwise shapes', () => {
  it('broadcasts n-ary ops numpy-style', () => {
    const { b, input } = fixture();
    const add = top.add(b, { inputs: [input([2, 1, 4]), input([3, 1]), input([1])] }, {}, { loc: 'add' });
    expect(shapeOf(add)).toEqual([2, 3, 4]);
    const mul = top.mul(b, { inputs: [input([1, 64, 1, 1]), input([8, 64, 7, 7])] }, {}, { loc: 'mul' });
    expect(shapeOf(mul)).toEqual([8, 64, 7, 7]);
    for (const build of [top.sub, top.div, top.max, top.min]) {
      expect(shapeOf(build(b, { inputs: [input([5, 1]), input([1, 6])] }, {}, { loc: `x${build.name}` }))).toEqual([5, 6]);
    }
  });

  it('rejects shapes that cannot broadcast', () => {
    const { b, input } = fixture();
    expect(() => top.add(b, { inputs: [input([2, 3]), input([4, 3])] }, {}, { loc: 'bad' })).toThrow(ShapeError);
  });

  it('keeps the input shape for const ops, activations and norms', () => {
    const { b, input, weight } = fixture();
    const x = input([1, 3, 5, 5]);
    const shape = [1, 3, 5, 5];
    expect(shapeOf(top.addConst(b, { input: x }, { const_val: 1 }, { loc: 'a' }))).toEqual(shape);
    expect(shapeOf(top.subConst(b, { input: x }, { const_val: 1, is_reverse: true }, { loc: 's' }))).toEqual(shape);
    expect(shapeOf(top.mulConst(b, { input: x }, { const_val: 2 }, { loc: 'm' }))).toEqual(shape);
    expect(shapeOf(top.divConst(b, { input: x }, { const_val: 2 }, { loc: 'd' }))).toEqual(shape);
    expect(shapeOf(top.maxConst(b, { input: x }, { const_val: 0 }, { loc: 'mx' }))).toEqual(shape);
    expect(shapeOf(top.minConst(b, { input: x }, { const_val: 6 }, { loc: 'mn' }))).toEqual(shape);
    expect(shapeOf(top.clip(b, { inputs: x }, { min: 0, max: 6 }, { loc: 'clip' }))).toEqual(shape);
    expect(shapeOf(top.pRelu(b, { input: x, slope: weight('slope', [1, 3, 1, 1]) }, {}, { loc: 'pr' }))).toEqual(shape);
    expect(shapeOf(top.softmax(b, { input: x }, { axis: 1 }, { loc: 'sm' }))).toEqual(shape);
    expect(shapeOf(top.layerNorm(b, { input: x }, { normalized_shape: [5], axis: -1, eps: 1e-5 }, { loc: 'ln' }))).toEqual(shape);
    expect(shapeOf(top.batchNorm(b, { input: x, mean: weight('mu', [3]), variance: weight('var', [3]) }, {}, { loc: 'bn' }))).toEqual(shape);
    const unaries = [top.relu, top.sigmoid, top.siLU, top.gelu, top.hardSwish, top.mish, top.tanh, top.exp, top.log, top.sqrt,
      top.rsqrt, top.reciprocal, top.abs, top.erf, top.softplus, top.sin, top.cos, top.cast];
    unaries.forEach((u, i) => expect(shapeOf(u(b, { input: x }, {}, { loc: `u${i}` }))).toEqual(shape));
  });

  it('broadcasts Compare and Where, skipping a constant (None) branch', () => {
    const { b, input } = fixture();
    expect(shapeOf(top.compare(b, { lhs: input([4, 1]), rhs: input([1, 5]) }, { mode: 'Greater' }, { loc: 'cmp' }))).toEqual([4, 5]);
    const w = top.where(b, { cond: input([1, 5]), tbrn: input([3, 1]) }, { y_is_const: true, y_const_val: 0 }, { loc: 'w' });
    expect(w.operands[2]!.type.kind).toBe('none');
    expect(shapeOf(w)).toEqual([3, 5]);
    expect(shapeOf(top.compareConst(b, { input: input([2, 2]) }, { mode: 'Equal', const_val: 0, inversed: false }, { loc: 'cc' }))).toEqual([2, 2]);
  });
});
