// wasm-backend Concat (block copies into pooled memory) against the js reference, bit for bit:
// random shapes, every axis (positive and negative), odd sizes, 2-5 inputs, fused relu / relu_limit,
// small blocks (the plain-loop path) and a zero-length input.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { producer, runOn, WASM } from './helpers.js';

/** Deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function check(shapes: number[][], axis: number, attrs: { do_relu?: boolean; relu_limit?: number } = {}, seed = 1): void {
  const b = moduleWithInputs(shapes);
  const y = top.concat(b.b, { inputs: b.inputs }, { axis, ...attrs }, { loc: 'y' }).result();
  finish(b, [y]);
  const inputs: NdArray[] = shapes.map((s, i) => random(s, seed * 10 + i));
  const want = runOn('js', producer(y), inputs);
  const got = runOn(WASM, producer(y), inputs);
  expect(got.shape).toEqual(want.shape);
  expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
}

describe('wasm Concat matches js', () => {
  const cases: { shapes: number[][]; axis: number; relu: boolean; limit: number }[] = [];
  const r = rng(7);
  const pick = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  for (let t = 0; t < 40; t++) {
    const rank = pick(1, 5);
    const base = Array.from({ length: rank }, () => pick(1, rank > 3 ? 7 : 13));
    const axis = pick(0, rank - 1);
    const n = pick(2, 5);
    const shapes = Array.from({ length: n }, () => base.map((d, i) => (i === axis ? pick(1, 9) : d)));
    cases.push({ shapes, axis: r() < 0.5 ? axis : axis - rank, relu: r() < 0.3, limit: r() < 0.5 ? 0 : 0.5 });
  }
  it.each(cases)('random %#: %j', ({ shapes, axis, relu, limit }) => {
    check(shapes, axis, relu ? { do_relu: true, relu_limit: limit } : {}, shapes.length);
  });

  it.each([
    { shapes: [[1, 3, 13, 17], [1, 3, 13, 17], [1, 3, 13, 17], [1, 3, 13, 17]], axis: 1 }, // Focus
    { shapes: [[1, 4, 5, 7], [1, 1, 5, 7], [1, 80, 5, 7]], axis: 1 }, // yolox head
    { shapes: [[1, 85, 64], [1, 85, 16], [1, 85, 4]], axis: 2 }, // yolox output, large outer
    { shapes: [[3, 5, 1], [3, 5, 2], [3, 5, 1]], axis: -1 }, // tiny blocks
    { shapes: [[2, 0, 3], [2, 4, 3]], axis: 1 }, // empty input
  ])('%j', ({ shapes, axis }) => check(shapes, axis));
});
