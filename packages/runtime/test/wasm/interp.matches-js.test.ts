// wasm Interp against the js reference on NCHW resizes: nearest in each coordinate mode and
// nearest_mode, bilinear in each coordinate mode, scales up and down, integer and not, given as
// scale_h / scale_w or only by the output shape, and single rows / columns; other ranks stay on js.
import { describe, expect, it } from 'vitest';
import { f32 as F32, tensorType, top } from '@tpu-quant/ir';
import { getKernel } from '../../src/registry.js';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer, runOn, WASM } from './helpers.js';

type InterpAttrs = top.InterpAttrs;
type Mode = InterpAttrs['coord_mode'];
const COORDS: Mode[] = ['half_pixel', 'align_corners', 'asymmetric', 'pytorch_half_pixel'];

function build(x: number[], out: number[], attrs: InterpAttrs) {
  const b = moduleWithInputs([x]);
  const y = top.interp(b.b, { input: b.inputs[0]! }, attrs, { loc: 'y', resultType: tensorType(out, F32) }).result();
  finish(b, [y]);
  return producer(y);
}

// [input, output, scale_h, scale_w] (scales -1: out / in)
const RESIZES: [number[], number[], number, number][] = [
  [[1, 3, 5, 7], [1, 3, 10, 14], 2, 2],          // up ×2
  [[2, 2, 4, 6], [2, 2, 12, 18], -1, -1],        // up ×3 by shape only
  [[1, 3, 9, 11], [1, 3, 4, 5], 0.5, 0.5],       // down ×2 (floors)
  [[1, 2, 13, 17], [1, 2, 22, 29], 1.7, 1.7],    // non-integer up
  [[1, 2, 19, 23], [1, 2, 7, 9], -1, -1],        // non-integer down
  [[1, 4, 6, 5], [1, 4, 6, 13], 1, 2.6],         // W only
  [[1, 1, 1, 1], [1, 1, 3, 4], -1, -1],          // from one pixel
  [[1, 2, 5, 6], [1, 2, 1, 1], -1, -1],          // to one pixel (align_corners: outSize 1)
  [[2, 3, 1, 9], [2, 3, 1, 18], -1, -1],         // one row
];

describe('wasm Interp matches js', () => {
  for (const coord of COORDS) {
    for (const mode of ['nearest', 'linear'] as const) {
      it.each(RESIZES.map((r) => [JSON.stringify(r), r] as const))(`${mode} ${coord} %s`, (_, [x, out, sh, sw]) => {
        const op = build(x, out, { mode, coord_mode: coord, scale_h: sh, scale_w: sw });
        expect(getKernel('top.Interp', WASM)!.supports!(op)).toBe(true);
        expectSame(op, [random(x, x.length + out[2]! + 3 * out[3]!)]);
      });
    }
  }

  it.each(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const)('nearest_mode %s', (nm) => {
    for (const coord of COORDS) {
      for (const [x, out, sh, sw] of RESIZES) {
        const op = build(x, out, { mode: 'nearest', coord_mode: coord, scale_h: sh, scale_w: sw, nearest_mode: nm });
        expectSame(op, [random(x, 9)]);
      }
    }
  });

  it('nearest copies exactly (NaN and infinities too); linear spreads NaN as js does', () => {
    const op = build([1, 1, 3, 4], [1, 1, 7, 9], { mode: 'nearest', coord_mode: 'asymmetric' });
    const x = random([1, 1, 3, 4], 2);
    const d = x.data as Float32Array;
    d[1] = Number.NaN;
    d[5] = Number.POSITIVE_INFINITY;
    expect(Array.from(runOn(WASM, op, [x]).data as Float32Array)).toEqual(Array.from(runOn('js', op, [x]).data as Float32Array));
    // linear: NaN spreads to the outputs that blend it (infinities would make Inf - Inf here)
    d[5] = 0.5;
    const lin = build([1, 1, 3, 4], [1, 1, 7, 9], { mode: 'linear', coord_mode: 'half_pixel' });
    expectSame(lin, [x]);
  });

  it('rank 3 stays on js', () => {
    const b = moduleWithInputs([[2, 3, 8]]);
    const y = top.interp(b.b, { input: b.inputs[0]! }, { mode: 'linear', coord_mode: 'half_pixel', scale_w: 2 }, { loc: 'y' }).result();
    finish(b, [y]);
    const op = producer(y);
    expect(getKernel('top.Interp', WASM)!.supports!(op)).toBe(false);
    expectSame(op, [random([2, 3, 8], 1)]);
  });
});
