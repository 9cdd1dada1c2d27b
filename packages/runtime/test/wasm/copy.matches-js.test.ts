// wasm Slice, Permute and Upsample (one strided gather) against the js reference, bit for bit:
// odd sizes, negative and stride-2 steps (the vector even-lane path), repeats of 2 and 3.
import { describe, expect, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { producer, runOn, WASM } from './helpers.js';

function expectExact(y: Value, inputs: NdArray[]): void {
  const want = runOn('js', producer(y), inputs);
  const got = runOn(WASM, producer(y), inputs);
  expect(got.shape).toEqual(want.shape);
  expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
}

describe('wasm data movement matches js', () => {
  it.each([
    { shape: [1, 3, 13, 17], offset: [0, 0, 0, 0], steps: [1, 1, 2, 2], ends: [1, 3, 13, 17] }, // Focus, even
    { shape: [1, 3, 13, 17], offset: [0, 0, 1, 1], steps: [1, 1, 2, 2], ends: [1, 3, 13, 17] }, // Focus, odd
    { shape: [2, 5, 9, 31], offset: [0, 1, 2, 3], steps: [1, 1, 1, 1], ends: [2, 4, 7, 30] }, // contiguous rows
    { shape: [2, 5, 9, 31], offset: [1, 4, 8, 30], steps: [-1, -2, -3, -1], ends: [-3, -10, -10, -40] }, // negative steps
    { shape: [3, 7, 41], offset: [0, 0, 1], steps: [1, 3, 5], ends: [3, 7, 41] }, // stride 5
    { shape: [1, 85, 23], offset: [0, 4, 0], steps: [1, 1, 1], ends: [1, 5, 23] }, // one channel
  ])('Slice %j', ({ shape, offset, steps, ends }) => {
    const b = moduleWithInputs([shape]);
    const y = top.slice(b.b, { input: b.inputs[0]! }, { offset, steps, ends }, { loc: 'y' }).result();
    finish(b, [y]);
    expectExact(y, [random(shape, 3)]);
  });

  it('Slice on named axes', () => {
    const b = moduleWithInputs([[2, 6, 11]]);
    const y = top.slice(b.b, { input: b.inputs[0]! }, { offset: [1], steps: [2], ends: [11], axes: [-1] }, { loc: 'y' }).result();
    finish(b, [y]);
    expectExact(y, [random([2, 6, 11], 4)]);
  });

  it.each([
    { shape: [1, 85, 3549], order: [0, 2, 1] },
    { shape: [2, 3, 5, 7], order: [0, 2, 3, 1] },
    { shape: [2, 3, 5, 7], order: [3, 1, 0, 2] },
    { shape: [3, 1, 5, 1, 7], order: [4, 3, 2, 1, 0] },
    { shape: [2, 3, 2, 3, 2, 3, 2], order: [6, 0, 5, 1, 4, 2, 3] }, // seven dims: js fallback
  ])('Permute %j', ({ shape, order }) => {
    const b = moduleWithInputs([shape]);
    const y = top.permute(b.b, { input: b.inputs[0]! }, { order }, { loc: 'y' }).result();
    finish(b, [y]);
    expectExact(y, [random(shape, 5)]);
  });

  it.each([
    { shape: [1, 3, 5, 7], h: 2, w: 2 },
    { shape: [2, 3, 9, 13], h: 2, w: 2 },
    { shape: [1, 2, 5, 3], h: 3, w: 3 },
    { shape: [1, 2, 5, 6], h: 1, w: 2 },
    { shape: [1, 2, 5, 6], h: 2, w: 1 },
    { shape: [3, 11], h: 2, w: 3 },
  ])('Upsample %j', ({ shape, h, w }) => {
    const b = moduleWithInputs([shape]);
    const y = top.upsample(b.b, { input: b.inputs[0]! }, { scale_h: h, scale_w: w }, { loc: 'y' }).result();
    finish(b, [y]);
    expectExact(y, [random(shape, 6)]);
  });
});
