import { describe, expect, it } from 'vitest';
import { f32, floatAttr, i64ArrayAttr, intAttr, Op, stringAttr, tensorType } from '../../src/core/index.js';
import { top } from '../../src/dialects/index.js';
import { fixture } from './fixture.js';

describe('attribute readers', () => {
  it('read built ops back, defaults applied', () => {
    const { b, input, weight } = fixture();
    const c = top.conv(b, { input: input([1, 3, 8, 8]), filter: weight('w', [4, 3, 3, 3]) }, { kernel_shape: [3, 3], group: 1, do_relu: true, relu_limit: 6 }, { loc: 'c' });
    const a = top.convAttrs(c);
    expect(a).toMatchObject({ kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, do_relu: true, relu_limit: 6 });
    expect(a.weight_is_coeff).toBe(1);
    expect(a.do_winograd).toBeUndefined();
  });

  it('apply defaults to a sparse op as a parser would produce it, per kernel rank', () => {
    const op = new Op('top.Conv', {
      attrs: { kernel_shape: i64ArrayAttr([3, 3, 3]), strides: i64ArrayAttr([1, 1, 1]), pads: i64ArrayAttr([0, 0, 0, 0, 0, 0]) },
      resultTypes: [tensorType([1], f32)],
    });
    const a = top.convAttrs(op);
    expect(a.dilations).toEqual([1, 1, 1]);
    expect(a.group).toBe(1);
    expect(a.relu_limit).toBe(-1);
  });

  it('type enums and keep optional attributes optional', () => {
    const op = new Op('top.Interp', {
      attrs: { mode: stringAttr('linear'), coord_mode: stringAttr('align_corners'), scale_h: floatAttr(2) },
    });
    const a = top.interpAttrs(op);
    const mode: 'nearest' | 'linear' = a.mode;
    expect(mode).toBe('linear');
    expect(a.scale_h).toBe(2);
    expect(a.scale_w).toBe(-1);
    const input = top.inputAttrs(new Op('top.Input'));
    expect(input.mean).toBeUndefined();
    expect(input.do_preprocess).toBe(false);
  });

  it('refuse another op type, a missing required attribute and a mis-typed one', () => {
    expect(() => top.convAttrs(new Op('top.Relu'))).toThrow(/expected a top.Conv/);
    expect(() => top.softmaxAttrs(new Op('top.Softmax'))).toThrow(/missing required attribute 'axis'/);
    expect(() => top.softmaxAttrs(new Op('top.Softmax', { attrs: { axis: floatAttr(1) } }))).toThrow(/should be an integer/);
    expect(top.softmaxAttrs(new Op('top.Softmax', { attrs: { axis: intAttr(-1) } })).axis).toBe(-1);
  });
});
