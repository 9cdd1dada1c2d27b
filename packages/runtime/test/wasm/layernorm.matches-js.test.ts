// wasm LayerNorm against the js reference: one or several normalised axes, weight / bias of the
// full normalised shape, of a suffix of it (js indexes them modulo their size) or absent, rows
// that are not whole vectors, rows far from zero (the f64 mean matters there), constant rows, NaN.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { getKernel } from '../../src/registry.js';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer, runOn, WASM } from './helpers.js';

interface Case { x: number[]; axis: number; w?: number[]; b?: number[]; eps?: number; offset?: number }

function build(c: Case, seed: number) {
  const bl = moduleWithInputs([c.x]);
  const w = c.w ? random(c.w, seed) : undefined;
  const b = c.b ? random(c.b, seed + 1) : undefined;
  const axis = c.axis < 0 ? c.axis + c.x.length : c.axis;
  const y = top.layerNorm(bl.b, {
    input: bl.inputs[0]!, ...(w ? { weight: bl.b.weight('w', w) } : {}), ...(b ? { bias: bl.b.weight('b', b) } : {}),
  }, { normalized_shape: c.x.slice(axis), axis: c.axis, eps: c.eps ?? 1e-5 }, { loc: 'y' }).result();
  finish(bl, [y]);
  const x = random(c.x, seed + 2);
  if (c.offset) {
    const d = x.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = c.offset + d[i]! * 0.01;
  }
  return { op: producer(y), x, w, b };
}

const cases: Case[] = [
  { x: [2, 5, 8], axis: -1, w: [8], b: [8] },
  { x: [3, 7], axis: 1, w: [7], b: [7] },                       // odd row: the scalar tail
  { x: [2, 3, 4, 6], axis: 2, w: [4, 6], b: [4, 6] },           // two axes
  { x: [2, 3, 4, 6], axis: 1, w: [6], b: [6] },                 // weight of the last axis only
  { x: [2, 3, 4, 5], axis: -2, w: [5] },                        // no bias
  { x: [4, 1, 13], axis: -1, b: [13], eps: 1e-3 },               // no weight
  { x: [5, 3], axis: -1 },                                      // neither
  { x: [1, 1, 1], axis: -1, w: [1], b: [1] },                   // one element: (x - mean) = 0
  { x: [2, 1, 1003], axis: -1, w: [1003], b: [1003] },
  { x: [3, 64], axis: -1, w: [64], b: [64], offset: 1000 },     // far from zero, small spread
  { x: [2, 4, 9], axis: 0, w: [4, 9], b: [9] },                 // every axis
];

describe('wasm LayerNorm matches js', () => {
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    const { op, x, w, b } = build(c, 10 + i);
    expect(getKernel('top.LayerNorm', WASM)!.supports?.(op) ?? true).toBe(true);
    expectSame(op, [x, w, b]);
  });

  it('a constant row normalises to the bias', () => {
    const { op, w, b } = build({ x: [2, 6], axis: -1, w: [6], b: [6] }, 3);
    const x = random([2, 6], 4);
    (x.data as Float32Array).fill(2.5, 0, 6);
    expectSame(op, [x, w, b]);
    const got = runOn(WASM, op, [x, w, b]).data as Float32Array;
    expect(Array.from(got.slice(0, 6))).toEqual(Array.from(b!.data as Float32Array));
  });

  it('NaN in a row gives NaN for that row only', () => {
    const { op, x, w, b } = build({ x: [2, 9], axis: -1, w: [9], b: [9] }, 5);
    (x.data as Float32Array)[3] = Number.NaN;
    const got = Array.from(runOn(WASM, op, [x, w, b]).data as Float32Array);
    expect(got.slice(0, 9).every(Number.isNaN)).toBe(true);
    expect(got.slice(9).some(Number.isNaN)).toBe(false);
    expectSame(op, [x, w, b]);
  });

  it('follows changed weight arrays (resident rows are remade)', () => {
    const { op, x, w, b } = build({ x: [3, 10], axis: -1, w: [10], b: [10] }, 6);
    expectSame(op, [x, w, b]);
    const w2: NdArray = random([10], 60);
    expectSame(op, [x, w2, b]);
  });
});
