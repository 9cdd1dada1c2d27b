// wasm Conv (GEMM, 1×1 direct, im2col, depthwise) against the js reference on awkward shapes.
import { describe, expect, it } from 'vitest';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer, runOn, WASM } from './helpers.js';

interface Case {
  x: number[]; oc: number; k: number[]; s?: number[]; d?: number[]; p?: number[]; g?: number;
  bias?: boolean; relu?: number;
}

const cases: Case[] = [
  { x: [1, 13, 7, 9], oc: 17, k: [1, 1], bias: true, relu: 0 },                 // 1×1 direct
  { x: [2, 3, 5, 6], oc: 1, k: [1, 1] },                                         // one output channel
  { x: [1, 7, 9, 9], oc: 3, k: [1, 1], s: [2, 2], bias: true },                 // 1×1 strided: im2col
  { x: [1, 5, 4, 5], oc: 6, k: [1, 1], p: [1, 0, 0, 2] },                        // 1×1 padded
  { x: [2, 3, 13, 11], oc: 7, k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },
  { x: [1, 3, 17, 13], oc: 5, k: [7, 7], s: [2, 2], p: [3, 2, 1, 3] },
  { x: [1, 6, 17, 13], oc: 4, k: [3, 2], d: [2, 3], p: [2, 1, 0, 3], g: 2, bias: true },
  { x: [1, 3, 9, 8], oc: 6, k: [5, 5], s: [1, 2], p: [2, 2, 2, 2], g: 3 },     // icg = 1, not depthwise
  { x: [1, 300, 5, 5], oc: 9, k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 0 }, // K = 2700: k-blocks
  { x: [1, 1, 1, 1], oc: 3, k: [1, 1], bias: true },
  { x: [1, 17, 13, 13], oc: 17, k: [3, 3], p: [1, 1, 1, 1], g: 17, bias: true, relu: 6 }, // depthwise
  { x: [2, 7, 17, 15], oc: 7, k: [3, 3], s: [2, 2], p: [0, 0, 1, 1], g: 7, bias: true },
  { x: [1, 3, 19, 23], oc: 3, k: [5, 5], s: [3, 3], d: [2, 2], p: [4, 1, 2, 3], g: 3, relu: 0 },
  { x: [1, 13, 7, 7], oc: 13, k: [1, 1], g: 13 },
  { x: [1, 4, 6, 22], oc: 4, k: [3, 5], s: [1, 2], p: [1, 2, 1, 2], g: 4 },
  // one output position (GEMV over the filter panels): odd C, OC not a multiple of 4
  { x: [1, 1283, 1, 1], oc: 1001, k: [1, 1], bias: true },
  { x: [2, 37, 1, 1], oc: 6, k: [1, 1], bias: true, relu: 6 },
  { x: [1, 5, 3, 3], oc: 7, k: [3, 3], bias: true, relu: 0 },          // padless 3×3 onto 1×1
  // tiny N (fewer columns than one panel) and odd C
  { x: [1, 37, 1, 3], oc: 9, k: [1, 1], bias: true },
  { x: [1, 161, 2, 3], oc: 19, k: [1, 1], relu: 0 },
  { x: [1, 33, 7, 7], oc: 301, k: [1, 1], bias: true, relu: 6 },     // 49 columns, M past a row block
  { x: [1, 300, 7, 7], oc: 130, k: [1, 1] },                          // K past a k-block, M past MC
  // depthwise 3×3: widths that are not whole vectors, stride 2 on odd sizes, asymmetric pads
  { x: [2, 5, 11, 13], oc: 5, k: [3, 3], s: [2, 2], p: [1, 0, 0, 1], g: 5, bias: true, relu: 6 },
  { x: [1, 3, 9, 7], oc: 3, k: [3, 3], s: [2, 2], p: [0, 2, 1, 0], g: 3 },
  { x: [1, 4, 3, 2], oc: 4, k: [3, 3], p: [1, 1, 1, 1], g: 4, bias: true },
  { x: [1, 6, 5, 19], oc: 6, k: [3, 3], p: [2, 0, 0, 2], g: 6, relu: 0 },
  { x: [2, 3, 16, 21], oc: 3, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], g: 3, bias: true },
  { x: [1, 3, 14, 14], oc: 3, k: [3, 3], s: [2, 1], p: [1, 1, 1, 1], g: 3 },       // unequal strides
  { x: [1, 3, 12, 11], oc: 3, k: [3, 3], d: [2, 2], p: [2, 2, 2, 2], g: 3 },       // dilated 3×3
  { x: [1, 4, 17, 23], oc: 4, k: [5, 5], s: [2, 2], p: [2, 1, 3, 2], g: 4, bias: true, relu: 0 },
  { x: [1, 2, 9, 9], oc: 2, k: [3, 3], s: [3, 3], p: [1, 1, 1, 1], g: 2, bias: true },
];

function build(c: Case, seed: number) {
  const b = moduleWithInputs([c.x]);
  const g = c.g ?? 1;
  const w = random([c.oc, c.x[1]! / g, ...c.k], seed);
  const bias = c.bias ? random([c.oc], seed + 1) : undefined;
  const y = top.conv(b.b, {
    input: b.inputs[0]!, filter: b.b.weight('w', w), ...(bias ? { bias: b.b.weight('b', bias) } : {}),
  }, {
    kernel_shape: c.k, strides: c.s ?? [1, 1], dilations: c.d ?? [1, 1], pads: c.p ?? [0, 0, 0, 0], group: g,
    ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
  }, { loc: 'y' }).result();
  finish(b, [y]);
  return { op: producer(y), x: random(c.x, seed + 2), w, bias };
}

describe('wasm Conv matches js', () => {
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    const { op, x, w, bias } = build(c, 10 + i);
    expectSame(op, [x, w, bias]);
  });

  it('1-D conv runs as 2-D', () => {
    const b = moduleWithInputs([[1, 3, 20]]);
    const w = random([5, 3, 3], 3);
    const y = top.conv(b.b, { input: b.inputs[0]!, filter: b.b.weight('w', w) }, {
      kernel_shape: [3], strides: [2], dilations: [1], pads: [1, 2],
    }, { loc: 'y' }).result();
    finish(b, [y]);
    expectSame(producer(y), [random([1, 3, 20], 4), w, undefined]);
  });

  it('keeps the packed filter across runs and repacks when the weight array changes', () => {
    const c = cases[4]!;
    const { op, x, w, bias } = build(c, 3);
    const first = runOn(WASM, op, [x, w, bias]);
    expect(runOn(WASM, op, [x, w, bias]).data).toEqual(first.data);
    const w2 = random(w.shape, 99);
    expectSame(op, [x, w2, bias]);
  });
});
