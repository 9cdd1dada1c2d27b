import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../src/core/index.js';
import { attrsEqual, calibratedType, f16, f32, floatAttr, i64ArrayAttr, locName, ndarray, Op, tensorType } from '../../src/core/index.js';
import { top } from '../../src/dialects/index.js';
import { fixture } from './fixture.js';

describe('generated builders', () => {
  it('write the table defaults for omitted attributes, in table order', () => {
    const { b, input, weight } = fixture();
    const c = top.conv(b, { input: input([1, 3, 8, 8]), filter: weight('w', [4, 3, 3, 3]) }, { kernel_shape: [3, 3] }, { loc: 'c' });
    expect([...c.attrs.keys()]).toEqual(['kernel_shape', 'strides', 'pads', 'group', 'dilations', 'do_relu', 'relu_limit']);
    expect(attrsEqual(c.attr('pads')!, i64ArrayAttr([0, 0, 0, 0]))).toBe(true);
    expect(c.attr('group')).toEqual({ kind: 'int', value: 1, type: { kind: 'int', width: 64, signedness: 'signless' } });
    expect(attrsEqual(c.attr('relu_limit')!, floatAttr(-1))).toBe(true);
  });

  it('leave out quiet defaults (internal flags TPU-MLIR’s importer never writes)', () => {
    const { b, input } = fixture();
    const x = input([1, 4]);
    const add = top.add(b, { inputs: [x, x] }, {}, { loc: 'add' });
    expect([...add.attrs.keys()]).toEqual(['do_relu', 'relu_limit']);
    const sig = top.sigmoid(b, { input: x }, {}, { loc: 's' });
    expect(sig.attrs.has('round_mode')).toBe(false);
    expect(top.sigmoidAttrs(sig).round_mode).toBe('HalfAwayFromZero');
  });

  it('print si32 axes and i32 arrays with their widths', () => {
    const { b, input } = fixture();
    const c = top.concat(b, { inputs: [input([1, 2]), input([1, 2])] }, {}, { loc: 'c' });
    expect(c.attr('axis')).toMatchObject({ kind: 'int', value: 1, type: { width: 32, signedness: 'signed' } });
    const q = top.quantizeLinear(b, { input: input([4]) }, { y_scale: [0.5], y_zero_point: [3] }, { loc: 'q' });
    expect(q.attr('y_zero_point')).toMatchObject({ kind: 'array', value: [{ kind: 'int', value: 3, type: { width: 32 } }] });
  });

  it('fill a left-out optional operand with the function’s single top.None, created first', () => {
    const { b, f, input, weight } = fixture();
    const x = input([1, 3, 8, 8]);
    const c1 = top.conv(b, { input: x, filter: weight('w1', [4, 3, 1, 1]) }, { kernel_shape: [1, 1] }, { loc: 'c1' });
    const c2 = top.conv(b, { input: x, filter: weight('w2', [4, 3, 1, 1]) }, { kernel_shape: [1, 1] }, { loc: 'c2' });
    const nones = f.ops.filter((o) => o.type === 'top.None');
    expect(nones).toHaveLength(1);
    expect(f.ops[0]).toBe(nones[0]);
    expect(c1.operand(2)).toBe(c2.operand(2));
    expect(c1.operand(2).type.kind).toBe('none');
  });

  it('drop a left-out omittable operand from the operand list', () => {
    const { b, input } = fixture();
    const r = top.reshape(b, { input: input([2, 3]) }, { shape: [3, 2] }, { loc: 'r' });
    expect(r.operands).toHaveLength(1);
  });

  it('accept an op for its only result, and infer the element type of the first operand', () => {
    const { b, f } = fixture();
    const arg = f.addArgument(tensorType([2, 3], f16));
    const x = top.input(b, { input: arg }, {}, { loc: 'x' });
    const r = top.relu(b, { input: x }, {}, { loc: 'r' });
    expect(r.operand(0)).toBe(x.result());
    expect((r.result().type as TensorType).element).toEqual(f16);
    const cal = f.addArgument(tensorType([2, 3], calibratedType(-1, 1)));
    const y = top.relu(b, { input: cal }, {}, { loc: 'y', resultType: undefined });
    expect((y.result().type as TensorType).element).toEqual(f32);
  });

  it('refuse a result-type list of the wrong length', () => {
    const { b, input } = fixture();
    const t = tensorType([2], f32);
    expect(() => top.topK(b, { input: input([2]) }, { axis: 0, K: 1 }, { loc: 'tk', resultTypes: [t] })).toThrow(/2 results, 1 result types given/);
  });

  it('take explicit result types and a name location', () => {
    const { b, input } = fixture();
    const t = tensorType([9, 9], f32);
    const r = top.relu(b, { input: input([2, 2]) }, {}, { loc: 'relu_out', resultType: t });
    expect(r.result().type).toBe(t);
    expect(locName(r.loc)).toBe('relu_out');
  });

  it('refuse unknown attributes, ill-typed values and enum values outside the list', () => {
    const { b, input } = fixture();
    const x = input([1, 4]);
    expect(() => top.relu(b, { input: x }, { bogus: 1 } as never, { loc: 'r' })).toThrow(/no attribute 'bogus'/);
    expect(() => top.relu(b, { input: x }, { relu_limit: 'six' } as never, { loc: 'r' })).toThrow(/should be a number/);
    expect(() => top.gelu(b, { input: x }, { approx_mode: 'cubic' } as never, { loc: 'g' })).toThrow(/one of normal, tanh, sigm/);
    expect(() => top.flatten(b, { input: x }, { start_dim: 1.5 }, { loc: 'f' })).toThrow(/integer/);
  });

  it('refuse missing operands and a variadic operand given as one value', () => {
    const { b, input } = fixture();
    const x = input([1, 4]);
    expect(() => top.matMul(b, { input: x } as never, {}, { loc: 'm' })).toThrow(/needs operand 'right'/);
    expect(() => top.add(b, { inputs: x } as never, {}, { loc: 'a' })).toThrow(/array of values/);
  });
});

describe('OpBuilder', () => {
  it('registers weights in the module under their name and types them by dtype', () => {
    const { b, m } = fixture();
    const data = ndarray('i8', [2, 2]);
    const w = b.weight('conv1_w', data);
    expect(m.weights.get('conv1_w')).toBe(data);
    expect(w.type).toEqual(tensorType([2, 2], { kind: 'int', width: 8, signedness: 'signless' }));
    expect(w.name).toBe('conv1_w');
    expect(() => b.weight('conv1_w', ndarray('i8', [2, 2]))).toThrow(/already defined/);
  });

  it('inserts before and after an op, keeping creation order', () => {
    const { b, f, input } = fixture();
    const x = input([4], 'x');
    const last = top.relu(b, { input: x }, {}, { loc: 'last' });
    b.setInsertionPointBefore(last);
    top.exp(b, { input: x }, {}, { loc: 'b1' });
    top.exp(b, { input: x }, {}, { loc: 'b2' });
    b.setInsertionPointAfter(x.producer!);
    top.log(b, { input: x }, {}, { loc: 'a1' });
    top.log(b, { input: x }, {}, { loc: 'a2' });
    b.setInsertionPointToEnd();
    top.abs(b, { input: x }, {}, { loc: 'end' });
    expect(f.ops.map((o) => o.name)).toEqual(['x', 'a1', 'a2', 'b1', 'b2', 'last', 'end']);
  });

  it('keeps a return last when appending', () => {
    const { b, f, input } = fixture();
    const x = input([4]);
    f.append(new Op('func.return', { operands: [x] }));
    top.relu(b, { input: x }, {}, { loc: 'r' });
    expect(f.ops.map((o) => o.type)).toEqual(['top.Input', 'top.Relu', 'func.return']);
  });
});
