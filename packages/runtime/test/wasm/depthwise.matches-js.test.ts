// wasm depthwise Conv (group = C, OC = m·C) against the js reference: the flat and per-row paths,
// strides 1, 2 (even/odd phase planes) and 3 (scalar), dilation, asymmetric and oversized pads,
// channel multipliers, fused relu / relu_limit, batches, and channel blocks (the JS side runs big
// planes a few channels per call on one plane), plus a seeded sweep of random shapes.
import { describe, expect, it } from 'vitest';
import { top } from '@tpu-quant/ir';
import { getKernel } from '../../src/registry.js';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer, runOn, WASM } from './helpers.js';

interface Case {
  x: number[]; m?: number; k: number[]; s?: number[]; d?: number[]; p?: number[]; bias?: boolean; relu?: number;
}

function build(c: Case, seed: number) {
  const rank = c.x.length;
  const b = moduleWithInputs([c.x]);
  const ch = c.x[1]!;
  const oc = ch * (c.m ?? 1);
  const w = random([oc, 1, ...c.k], seed);
  const bias = c.bias ? random([oc], seed + 1) : undefined;
  const y = top.conv(b.b, {
    input: b.inputs[0]!, filter: b.b.weight('w', w), ...(bias ? { bias: b.b.weight('b', bias) } : {}),
  }, {
    kernel_shape: c.k, strides: c.s ?? c.k.map(() => 1), dilations: c.d ?? c.k.map(() => 1),
    pads: c.p ?? new Array<number>(2 * (rank - 2)).fill(0), group: ch,
    ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
  }, { loc: 'y' }).result();
  finish(b, [y]);
  // inputs of either sign and some magnitude, so relu and relu_limit both bite
  const x = random(c.x, seed + 2);
  const xd = x.data as Float32Array;
  for (let i = 0; i < xd.length; i++) xd[i] = xd[i]! * 4;
  return { op: producer(y), x, w, bias };
}

const cases: Case[] = [
  // flat (stride 1, narrow rows): odd sizes, one column, one row
  { x: [1, 3, 7, 7], k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },
  { x: [2, 5, 9, 1], k: [3, 3], p: [1, 1, 1, 1], bias: true },
  { x: [1, 4, 1, 13], k: [3, 3], p: [1, 1, 1, 1], relu: 0 },
  { x: [1, 2, 13, 30], k: [3, 3], p: [2, 0, 1, 3], relu: 0.5 },                 // asymmetric pads
  { x: [1, 3, 11, 9], k: [3, 3], d: [2, 3], p: [2, 3, 2, 3], bias: true },      // dilation
  // per row (wide rows): every step width (24, 16, 8, 4) and a ragged end
  { x: [1, 2, 5, 91], k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },
  { x: [1, 3, 6, 61], k: [5, 3], p: [2, 1, 2, 1], s: [2, 1], bias: true },     // unequal strides
  // stride 2: odd and even widths, pads on either side, dilation, 5×5
  { x: [1, 4, 15, 17], k: [3, 3], s: [2, 2], p: [0, 0, 1, 1], bias: true, relu: 6 },
  { x: [2, 3, 10, 75], k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], relu: 0 },
  { x: [1, 3, 12, 13], k: [3, 3], s: [2, 2], p: [1, 2, 0, 1] },
  { x: [1, 2, 17, 19], k: [3, 3], s: [2, 2], d: [2, 2], p: [2, 1, 2, 3], bias: true },
  { x: [1, 3, 23, 21], k: [5, 5], s: [2, 2], p: [2, 2, 2, 2], bias: true, relu: 6 },
  { x: [1, 2, 9, 2], k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], bias: true },      // two columns
  // stride 3 (one output at a time)
  { x: [1, 3, 19, 23], k: [5, 5], s: [3, 3], d: [2, 2], p: [4, 1, 2, 3], relu: 0 },
  { x: [1, 2, 9, 9], k: [3, 3], s: [3, 3], p: [1, 1, 1, 1], bias: true },
  // channel multiplier > 1 (group = C, OC = m·C)
  { x: [1, 3, 8, 8], m: 2, k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },
  { x: [2, 2, 11, 40], m: 3, k: [3, 3], s: [2, 2], p: [0, 1, 1, 0], bias: true },
  { x: [1, 1, 6, 7], m: 4, k: [3, 3], p: [1, 1, 1, 1] },                        // one input channel
  // 1×1 and pads wider than the kernel (border outputs are all padding: bias only)
  { x: [1, 4, 5, 6], k: [1, 1], bias: true },
  { x: [1, 2, 4, 5], k: [3, 3], p: [4, 3, 4, 5], bias: true, relu: 0 },
  // 1-D
  { x: [2, 3, 29], k: [3], s: [2], p: [1, 0], bias: true },
  { x: [1, 4, 40], k: [5], d: [2], p: [4, 4], relu: 6 },
  // planes big enough that the JS side runs a few channels per call (blocks of 32 Ki floats),
  // with a last, shorter block, a multiplier and a batch
  { x: [2, 5, 90, 100], k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },
  { x: [1, 3, 130, 131], m: 2, k: [3, 3], s: [2, 2], p: [0, 0, 1, 1], bias: true },
];

describe('wasm depthwise Conv matches js', () => {
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    const { op, x, w, bias } = build(c, 100 + i);
    expect(getKernel('top.Conv', WASM)!.supports!(op)).toBe(true);
    expectSame(op, [x, w, bias]);
  });

  it('random shapes (seeded sweep)', () => {
    let s = 12345;
    const rnd = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((s / 2 ** 31) * n);
    };
    let ran = 0;
    while (ran < 60) {
      const k = [1 + rnd(5), 1 + rnd(5)], st = [1 + rnd(3), 1 + rnd(3)], d = [1 + rnd(2), 1 + rnd(2)];
      const p = [rnd(4), rnd(4), rnd(4), rnd(4)];
      const x = [1 + rnd(2), 1 + rnd(5), 1 + rnd(40), 1 + rnd(70)];
      const oh = Math.floor((x[2]! + p[0]! + p[2]! - (k[0]! - 1) * d[0]! - 1) / st[0]!) + 1;
      const ow = Math.floor((x[3]! + p[1]! + p[3]! - (k[1]! - 1) * d[1]! - 1) / st[1]!) + 1;
      if (oh < 1 || ow < 1) continue;
      const relu = [undefined, 0, 6, 0.25][rnd(4)];
      const c: Case = { x, m: 1 + rnd(3), k, s: st, d, p, bias: rnd(2) === 1, ...(relu !== undefined ? { relu } : {}) };
      const { op, x: xv, w, bias } = build(c, 1000 + ran);
      expectSame(op, [xv, w, bias]);
      ran++;
    }
  });

  it('is deterministic across runs and follows a changed weight array', () => {
    const c = cases[7]!;
    const { op, x, w, bias } = build(c, 7);
    const first = runOn(WASM, op, [x, w, bias]);
    expect(runOn(WASM, op, [x, w, bias]).data).toEqual(first.data);
    expectSame(op, [x, random(w.shape, 77), bias]);
  });

  it('keeps NaN where js has it and clamps it to 0 under relu', () => {
    const plain = build({ x: [1, 2, 6, 30], k: [3, 3], p: [1, 1, 1, 1] }, 5);
    (plain.x.data as Float32Array)[40] = Number.NaN;
    expectSame(plain.op, [plain.x, plain.w, plain.bias]);
    const relu = build({ x: [1, 2, 6, 30], k: [3, 3], p: [1, 1, 1, 1], relu: 6 }, 5);
    (relu.x.data as Float32Array)[40] = Number.NaN;
    expectSame(relu.op, [relu.x, relu.w, relu.bias]);
  });
});
