// wasm Deconv (GEMM + col2im) against the js scatter reference: strides, dilations, pads,
// output_padding, odd sizes, bias and relu; grouped ones fall back to js.
import { describe, it } from 'vitest';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer } from './helpers.js';

interface Case { x: number[]; oc: number; k: number[]; s: number[]; p: number[]; d?: number[]; op?: number[]; g?: number; relu?: number }

const cases: Case[] = [
  { x: [1, 24, 15, 15], oc: 24, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], relu: 0 }, // PP-OCR's upsampling
  { x: [2, 5, 7, 9], oc: 3, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], op: [1, 1] },
  { x: [1, 3, 6, 5], oc: 7, k: [4, 3], s: [3, 1], p: [2, 0, 1, 1], d: [1, 2], relu: 2 },
  { x: [1, 4, 5, 5], oc: 4, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], g: 2 }, // grouped: js
];

describe('wasm Deconv matches js', () => {
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_, c) => {
    const b = moduleWithInputs([c.x]);
    const g = c.g ?? 1;
    const w = random([c.oc, c.x[1]! / g, ...c.k], 3);
    const bias = random([c.oc], 4);
    const y = top.deconv(b.b, { input: b.inputs[0]!, filter: b.b.weight('w', w), bias: b.b.weight('b', bias) }, {
      kernel_shape: c.k, strides: c.s, pads: c.p, dilations: c.d ?? [1, 1], group: g,
      ...(c.op ? { output_padding: c.op } : {}),
      ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
    }, { loc: 'y' }).result();
    finish(b, [y]);
    expectSame(producer(y), [random(c.x, 5), w, bias]);
  });
});
