import { describe, expect, it } from 'vitest';
import type { Attr } from '../../src/core/index.js';
import {
  boolAttr, f32, floatAttr, f64ArrayAttr, i64ArrayAttr, intAttr, noneType, Op, stringAttr, tensorType,
} from '../../src/core/index.js';
import { checkOpAgainstDef, top, unknownAttrs } from '../../src/dialects/index.js';
import { fixture } from './fixture.js';

function convAttrs(): Record<string, Attr> {
  return { kernel_shape: i64ArrayAttr([3, 3]), strides: i64ArrayAttr([1, 1]), pads: i64ArrayAttr([0, 0, 0, 0]) };
}

describe('checkOpAgainstDef', () => {
  it('finds nothing wrong with built ops', () => {
    const { b, input, weight } = fixture();
    const x = input([1, 3, 8, 8]);
    const c = top.conv(b, { input: x, filter: weight('w', [4, 3, 3, 3]) }, { kernel_shape: [3, 3] }, { loc: 'c' });
    const s = top.split(b, { input: c }, { axis: 1, num: 2 }, { loc: 's' });
    const r = top.reshape(b, { input: x }, { shape: [1, -1] }, { loc: 'r' });
    for (const op of [x.producer!, c, s, r]) expect(checkOpAgainstDef(op)).toEqual([]);
  });

  it('reports missing and mis-typed attributes', () => {
    const { input } = fixture();
    const x = input([1, 3, 8, 8]);
    const w = input([4, 3, 3, 3]);
    const none = new Op('top.None', { resultTypes: [noneType] }).result();
    const op = new Op('top.Conv', {
      operands: [x, w, none],
      resultTypes: [tensorType([1, 4, 6, 6], f32)],
      attrs: { strides: f64ArrayAttr([1, 1]), pads: i64ArrayAttr([0, 0, 0, 0]), group: floatAttr(1), do_relu: intAttr(0) },
    });
    expect(checkOpAgainstDef(op)).toEqual([
      "missing required attribute 'kernel_shape' (i64[])",
      "attribute 'strides' element 0 should be an int, is float",
      "attribute 'group' should be an integer (i64), is float",
      "attribute 'do_relu' should be a bool, is int",
    ]);
  });

  it('reports enum values outside the list', () => {
    const { input } = fixture();
    const op = new Op('top.Interp', {
      operands: [input([1, 1, 2, 2]), new Op('top.None', { resultTypes: [noneType] }).result()],
      resultTypes: [tensorType([1, 1, 4, 4], f32)],
      attrs: { mode: stringAttr('cubic'), coord_mode: stringAttr('half_pixel') },
    });
    expect(checkOpAgainstDef(op)).toEqual(['attribute \'mode\' is "cubic", expected one of nearest, linear']);
  });

  it('counts operands, allowing optional, omittable and variadic ones', () => {
    const { input } = fixture();
    const x = input([2, 3]);
    const out = [tensorType([2, 3], f32)];
    const conv2 = new Op('top.Conv', { operands: [x, x], resultTypes: out, attrs: convAttrs() });
    expect(checkOpAgainstDef(conv2)).toEqual(['expects 3 operands, has 2']);
    const reshape = (n: number): Op => new Op('top.Reshape', { operands: new Array(n).fill(x), resultTypes: out });
    expect(checkOpAgainstDef(reshape(1))).toEqual([]);
    expect(checkOpAgainstDef(reshape(2))).toEqual([]);
    expect(checkOpAgainstDef(reshape(3))).toEqual(['expects 1 to 2 operands, has 3']);
    expect(checkOpAgainstDef(new Op('top.Concat', { operands: [x, x, x, x], resultTypes: out }))).toEqual([]);
    expect(checkOpAgainstDef(new Op('top.Where', { operands: [x], resultTypes: out }))).toEqual(['expects 3 operands, has 1']);
  });

  it('reports None where an operand is not optional, and result count or none-ness', () => {
    const { input } = fixture();
    const x = input([2, 3]);
    const none = new Op('top.None', { resultTypes: [noneType] }).result();
    const t = tensorType([2, 3], f32);
    expect(checkOpAgainstDef(new Op('top.Relu', { operands: [none], resultTypes: [t] }))).toEqual([
      "operand 'input' is none but is not optional",
    ]);
    expect(checkOpAgainstDef(new Op('top.Relu', { operands: [x], resultTypes: [t, t] }))).toEqual(['expects 1 results, has 2']);
    expect(checkOpAgainstDef(new Op('top.Relu', { operands: [x], resultTypes: [noneType] }))).toEqual([
      "result 'output' is none but is not optional",
    ]);
    const arg = new Op('top.Arg', {
      operands: [x],
      resultTypes: [t, noneType],
      attrs: { axis: intAttr(1), keepdims: boolAttr(true), mode: stringAttr('ArgMax') },
    });
    expect(checkOpAgainstDef(arg)).toEqual([]);
  });

  it('allows unknown attributes but lists them separately', () => {
    const { input } = fixture();
    const op = new Op('top.Relu', { operands: [input([2])], resultTypes: [tensorType([2], f32)], attrs: { from_future: boolAttr(true) } });
    expect(checkOpAgainstDef(op)).toEqual([]);
    expect(unknownAttrs(op)).toEqual(['from_future']);
  });

  it('says nothing about ops without a definition', () => {
    expect(checkOpAgainstDef(new Op('func.return'))).toEqual([]);
    expect(unknownAttrs(new Op('func.return', { attrs: { x: boolAttr(true) } }))).toEqual([]);
  });
});
