// wasm MatMul (packed GEMM) against the js reference: weights, batches with broadcast,
// right_transpose, the flattening 2-D right side, bias and relu.
import { describe, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer } from './helpers.js';

interface Case { a: number[]; b: number[]; weight?: boolean; rt?: boolean; bias?: boolean; relu?: number }

const cases: Case[] = [
  { a: [13, 17], b: [17, 7], weight: true, bias: true, relu: 0 },
  { a: [1, 1], b: [1, 1], weight: true },
  { a: [2, 1, 5, 9], b: [3, 9, 6] },                        // broadcast batch, right is an activation
  { a: [3, 17], b: [7, 17], weight: true, rt: true, bias: true, relu: 0.5 },
  { a: [2, 4, 3, 5], b: [2, 1, 6, 5], rt: true },
  { a: [1, 4, 3, 3], b: [36, 10], weight: true, bias: true }, // left flattened to [1, 36]
  { a: [64, 300], b: [300, 33], weight: true },              // K > the k-block
  { a: [1, 7, 1280], b: [1280, 13], weight: true, bias: true },
  // one row (GEMV over B panels): odd K, N not a multiple of 8, bias + relu cap
  { a: [1, 301], b: [301, 37], weight: true, bias: true, relu: 0.5 },
  { a: [1, 1, 1, 2], b: [2, 3], weight: true },
  { a: [3, 1, 9], b: [3, 9, 11], relu: 0 },                  // batched one-row products
  // one column (GEMV over A panels): M not a multiple of 4, odd K
  { a: [11, 33], b: [33, 1], weight: true, bias: true, relu: 0 },
  { a: [2, 6, 7], b: [7, 1] },
];

describe('wasm MatMul matches js', () => {
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    const b = moduleWithInputs(c.weight ? [c.a] : [c.a, c.b]);
    const right = random(c.b, 20 + i);
    const n = c.rt ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
    const bias: NdArray | undefined = c.bias ? random([n], 40 + i) : undefined;
    const y = top.matMul(b.b, {
      input: b.inputs[0]!, right: c.weight ? b.b.weight('r', right) : b.inputs[1]!,
      ...(bias ? { bias: b.b.weight('bias', bias) } : {}),
    }, {
      right_transpose: c.rt ?? false,
      ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
    }, { loc: 'y' }).result();
    finish(b, [y]);
    expectSame(producer(y), [random(c.a, 60 + i), right, bias]);
  });
});
