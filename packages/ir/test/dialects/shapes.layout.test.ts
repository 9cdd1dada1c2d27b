import { describe, expect, it } from 'vitest';
import { ShapeError, top } from '../../src/dialects/index.js';
import { fixture, shapeOf } from './fixture.js';

describe('Reshape and friends', () => {
  it('resolves 0 (copy) and -1 (the rest)', () => {
    const { b, input } = fixture();
    const x = input([2, 3, 4, 5]);
    expect(shapeOf(top.reshape(b, { input: x }, { shape: [0, -1] }, { loc: 'r1' }))).toEqual([2, 60]);
    expect(shapeOf(top.reshape(b, { input: x }, { shape: [-1, 0, 20] }, { loc: 'r2' }))).toEqual([2, 3, 20]);
    expect(shapeOf(top.reshape(b, { input: x }, { shape: [6, 20] }, { loc: 'r3' }))).toEqual([6, 20]);
  });

  it('rejects impossible targets and two -1s', () => {
    const { b, input } = fixture();
    const x = input([2, 3]);
    expect(() => top.reshape(b, { input: x }, { shape: [4, -1] }, { loc: 'r' })).toThrow(ShapeError);
    expect(() => top.reshape(b, { input: x }, { shape: [-1, -1] }, { loc: 'r' })).toThrow(ShapeError);
    expect(() => top.reshape(b, { input: x }, { shape: [5] }, { loc: 'r' })).toThrow(ShapeError);
  });

  it('reads the target from a constant shapeT, and cannot infer from a computed one', () => {
    const { b, input, weight } = fixture();
    const x = input([2, 3, 4]);
    const r = top.reshape(b, { input: x, shapeT: weight('shape', [2], [-1, 4]) }, {}, { loc: 'r' });
    expect(r.operands).toHaveLength(2);
    expect(shapeOf(r)).toEqual([6, 4]);
    expect(() => top.reshape(b, { input: x, shapeT: input([2]) }, {}, { loc: 'r2' })).toThrow(/not known/);
  });

  it('flattens, squeezes and unsqueezes', () => {
    const { b, input } = fixture();
    const x = input([2, 1, 3, 1]);
    expect(shapeOf(top.flatten(b, { input: x }, { start_dim: 1 }, { loc: 'f' }))).toEqual([2, 3]);
    expect(shapeOf(top.flatten(b, { input: x }, { start_dim: 1, end_dim: 2 }, { loc: 'f2' }))).toEqual([2, 3, 1]);
    expect(shapeOf(top.squeeze(b, { input: x }, { axes: [-1] }, { loc: 's' }))).toEqual([2, 1, 3]);
    expect(shapeOf(top.squeeze(b, { input: x }, { axes: [] }, { loc: 's2' }))).toEqual([2, 3]);
    expect(shapeOf(top.squeeze(b, { input: input([1, 1]) }, { axes: [0, 1] }, { loc: 's3' }))).toEqual([1]);
    expect(() => top.squeeze(b, { input: x }, { axes: [0] }, { loc: 's4' })).toThrow(ShapeError);
    expect(shapeOf(top.unsqueeze(b, { input: input([3, 4]) }, { axes: [0, -1] }, { loc: 'u' }))).toEqual([1, 3, 4, 1]);
  });

  it('permutes and transposes', () => {
    const { b, input } = fixture();
    const x = input([1, 2, 3, 4]);
    expect(shapeOf(top.permute(b, { input: x }, { order: [0, 2, 3, 1] }, { loc: 'p' }))).toEqual([1, 3, 4, 2]);
    expect(() => top.permute(b, { input: x }, { order: [0, 1, 1, 2] }, { loc: 'p2' })).toThrow(ShapeError);
    expect(shapeOf(top.transpose(b, { input: x }, { dim0: 1, dim1: -1 }, { loc: 't' }))).toEqual([1, 4, 3, 2]);
  });

  it('depth2space both ways and in NHWC', () => {
    const { b, input } = fixture();
    const attrs = { block_h: 2, block_w: 2, is_CRD: true, is_inversed: false };
    expect(shapeOf(top.depth2Space(b, { input: input([1, 16, 3, 5]) }, attrs, { loc: 'd' }))).toEqual([1, 4, 6, 10]);
    expect(shapeOf(top.depth2Space(b, { input: input([1, 4, 6, 10]) }, { ...attrs, is_inversed: true }, { loc: 'd2' }))).toEqual([1, 16, 3, 5]);
    expect(shapeOf(top.depth2Space(b, { input: input([1, 3, 5, 16]) }, { ...attrs, in_is_NCHW: false, out_is_NCHW: false }, { loc: 'd3' }))).toEqual([
      1, 6, 10, 4,
    ]);
  });

  it('tiles, expands, pads and upsamples', () => {
    const { b, input, weight } = fixture();
    const x = input([2, 1, 3]);
    expect(shapeOf(top.tile(b, { input: x }, { tile: [1, 4, 2] }, { loc: 't' }))).toEqual([2, 4, 6]);
    expect(shapeOf(top.tile(b, { input: x, tileT: weight('reps', [4], [2, 1, 1, 1]) }, {}, { loc: 't2' }))).toEqual([2, 2, 1, 3]);
    expect(shapeOf(top.expand(b, { input: x }, { shape: [5, 2, 4, 3] }, { loc: 'e' }))).toEqual([5, 2, 4, 3]);
    expect(shapeOf(top.pad(b, { input: x }, { paddings: [0, 1, 2, 0, 3, 4] }, { loc: 'pad' }))).toEqual([2, 5, 9]);
    expect(() => top.pad(b, { input: x }, { paddings: [1, 1] }, { loc: 'pad2' })).toThrow(ShapeError);
    expect(shapeOf(top.upsample(b, { input: input([1, 3, 4, 5]) }, { scale_h: 2, scale_w: 3 }, { loc: 'up' }))).toEqual([1, 3, 8, 15]);
  });
});

describe('Interp', () => {
  it('scales by floor(dim × scale)', () => {
    const { b, input } = fixture();
    const i = top.interp(b, { input: input([1, 3, 5, 7]) }, { coord_mode: 'half_pixel', scale_h: 2, scale_w: 1.5 }, { loc: 'i' });
    expect(shapeOf(i)).toEqual([1, 3, 10, 10]);
    expect(i.operands[1]!.type.kind).toBe('none');
  });

  it('takes a constant target shape [h, w] over the scales', () => {
    const { b, input, weight } = fixture();
    const i = top.interp(b, { input: input([1, 3, 5, 7]), target_shape: weight('ts', [2], [20, 30]) }, { mode: 'linear', coord_mode: 'align_corners' }, { loc: 'i' });
    expect(shapeOf(i)).toEqual([1, 3, 20, 30]);
  });

  it('needs one or the other', () => {
    const { b, input } = fixture();
    expect(() => top.interp(b, { input: input([1, 3, 5, 7]) }, { coord_mode: 'asymmetric' }, { loc: 'i' })).toThrow(/target_shape or positive scales/);
  });
});
