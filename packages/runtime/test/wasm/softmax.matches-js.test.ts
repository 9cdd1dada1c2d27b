// wasm Softmax (last axis, SIMD expf, f64 sum) against the js reference: within 1e-6 relative per
// element, odd row lengths (the scalar tail), beta, and the cases that stay on js (other axes, log).
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { getKernel } from '../../src/registry.js';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { producer, runOn, WASM } from './helpers.js';

function scaled(x: NdArray, k: number): NdArray {
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * k;
  return x;
}

function build(shape: number[], attrs: { axis: number; beta?: number; log?: boolean }) {
  const b = moduleWithInputs([shape]);
  const y = top.softmax(b.b, { input: b.inputs[0]! }, attrs, { loc: 'y' }).result();
  finish(b, [y]);
  return producer(y);
}

describe('wasm Softmax matches js', () => {
  it.each([
    { shape: [7], axis: 0 },
    { shape: [1, 1], axis: -1 },
    { shape: [3, 5], axis: -1 },
    { shape: [2, 3, 8], axis: 2 },
    { shape: [1, 4, 13, 17], axis: -1, k: 10 },
    { shape: [2, 1, 3, 5, 1001], axis: 4, k: 20 },
    { shape: [5, 33], axis: -1, beta: 0.5, k: 8 },
    { shape: [5, 31], axis: -1, beta: -1.5, k: 4 },
  ])('%j', ({ shape, axis, beta, k }) => {
    const op = build(shape, { axis, ...(beta !== undefined ? { beta } : {}) });
    expect(getKernel('top.Softmax', WASM)!.supports!(op)).toBe(true);
    const x = scaled(random(shape, shape.length), k ?? 1);
    const want = runOn('js', op, [x]).data as Float32Array;
    const got = runOn(WASM, op, [x]).data as Float32Array;
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / want[i]!);
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('NaN in a row gives NaN for that row only', () => {
    const op = build([2, 9], { axis: -1 });
    const x = random([2, 9], 3);
    (x.data as Float32Array)[4] = Number.NaN;
    const got = Array.from(runOn(WASM, op, [x]).data as Float32Array);
    const want = Array.from(runOn('js', op, [x]).data as Float32Array);
    expect(got.slice(0, 9).every(Number.isNaN)).toBe(true);
    expect(want.slice(0, 9).every(Number.isNaN)).toBe(true);
    expect(got.slice(9).every((v) => !Number.isNaN(v))).toBe(true);
  });

  it.each([
    { shape: [2, 3, 8], axis: 1 },
    { shape: [2, 3, 8], axis: -2 },
    { shape: [2, 3, 8], axis: -1, log: true },
  ])('not supported (stays on js): %j', ({ shape, axis, log }) => {
    const op = build(shape, { axis, ...(log ? { log } : {}) });
    expect(getKernel('top.Softmax', WASM)!.supports!(op)).toBe(false);
    // a direct call still gives the js answer
    const x = random(shape, 2);
    expect(Array.from(runOn(WASM, op, [x]).data as Float32Array)).toEqual(Array.from(runOn('js', op, [x]).data as Float32Array));
  });
});
