// wasm Relu / Clip / Add / Mul against the js reference, including tails, NaN, the fused relu and
// the js fallback for broadcasting.
import { describe, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer } from './helpers.js';

function scaled(shape: number[], seed: number): NdArray {
  const x = random(shape, seed);
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i]! *= 10;
  if (d.length > 5) d[5] = Number.NaN;
  return x;
}

describe('wasm element-wise matches js', () => {
  it.each([[[1, 3, 7, 5]], [[13]], [[2, 17]]])('Relu / relu6 / Clip on %j', (shape) => {
    const b = moduleWithInputs([shape]);
    const ys: Value[] = [
      top.relu(b.b, { input: b.inputs[0]! }, {}, { loc: 'r' }).result(),
      top.relu(b.b, { input: b.inputs[0]! }, { relu_limit: 6 }, { loc: 'r6' }).result(),
      top.clip(b.b, { inputs: b.inputs[0]! }, { min: -2.5, max: 3 }, { loc: 'c' }).result(),
    ];
    finish(b, ys);
    const x = scaled(shape, 3);
    for (const y of ys) expectSame(producer(y), [x]);
  });

  it.each([
    { a: [1, 3, 7, 5], b: [1, 3, 7, 5] },
    { a: [2, 1, 3], b: [4, 1] }, // broadcast: runs on js
  ])('Add (coeff, relu) and Mul on %j', ({ a, b: bs }) => {
    const b = moduleWithInputs([a, bs]);
    const ys: Value[] = [
      top.add(b.b, { inputs: [b.inputs[0]!, b.inputs[1]!] }, { coeff: [0.5, -2], do_relu: true, relu_limit: 4 }, { loc: 'a' }).result(),
      top.add(b.b, { inputs: [b.inputs[0]!, b.inputs[1]!] }, {}, { loc: 'a2' }).result(),
      top.mul(b.b, { inputs: [b.inputs[0]!, b.inputs[1]!] }, { do_relu: true }, { loc: 'm' }).result(),
    ];
    finish(b, ys);
    const xa = scaled(a, 5);
    const xb = random(bs, 6);
    for (const y of ys) expectSame(producer(y), [xa, xb]);
  });
});
