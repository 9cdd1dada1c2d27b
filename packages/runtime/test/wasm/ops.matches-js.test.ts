// wasm broadcast arithmetic, *Const ops, activations, pools, Reduce and BatchNorm against the js
// reference on odd shapes (tails shorter than a vector), numpy broadcasting on either side, NaN.
import { describe, expect, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { finish, moduleWithInputs, random } from '../helpers/build.js';
import { expectSame, producer, runOn, WASM } from './helpers.js';

function scaled(shape: readonly number[], seed: number, k = 4, nan = true): NdArray {
  const x = random(shape, seed);
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i]! *= k;
  if (nan && d.length > 5) d[5] = Number.NaN;
  return x;
}

/** Bit-for-bit equal (max / min select, never compute). */
function expectExact(y: Value, inputs: NdArray[]): void {
  const want = runOn('js', producer(y), inputs).data as Float32Array;
  const got = runOn(WASM, producer(y), inputs).data as Float32Array;
  expect(Array.from(got)).toEqual(Array.from(want));
}

const BROADCASTS = [
  { a: [2, 3, 5, 7], b: [2, 3, 5, 7] },
  { a: [2, 3, 5, 7], b: [1, 3, 1, 1] }, // per channel
  { a: [1, 3, 1, 1], b: [2, 3, 5, 7] }, // the left side broadcast
  { a: [2, 3, 5, 7], b: [7] }, // lower rank, inner axis
  { a: [3, 1, 5], b: [1, 4, 1] }, // both sides
  { a: [2, 1, 3, 1, 5, 1], b: [2, 4, 3, 6, 1, 7] }, // collapses to ≤ 4 dims? no: js fallback
  { a: [13], b: [1] }, // scalar
];

describe('wasm broadcast arithmetic matches js', () => {
  it.each(BROADCASTS)('Add / Sub / Mul / Div / Max / Min on %j', ({ a, b: bs }) => {
    const b = moduleWithInputs([a, bs]);
    const ins = [b.inputs[0]!, b.inputs[1]!];
    const ys: Value[] = [
      top.add(b.b, { inputs: ins }, { coeff: [0.5, -2], do_relu: true, relu_limit: 3 }, { loc: 'a' }).result(),
      top.add(b.b, { inputs: ins }, {}, { loc: 'a2' }).result(),
      top.sub(b.b, { inputs: ins }, { coeff: [1.5, 0.25] }, { loc: 's' }).result(),
      top.sub(b.b, { inputs: ins }, { is_reverse: true, do_relu: true }, { loc: 'sr' }).result(),
      top.mul(b.b, { inputs: ins }, { do_relu: true }, { loc: 'm' }).result(),
      top.div(b.b, { inputs: ins }, {}, { loc: 'd' }).result(),
      top.div(b.b, { inputs: ins }, { is_reverse: true }, { loc: 'dr' }).result(),
    ];
    const exact: Value[] = [
      top.max(b.b, { inputs: ins }, {}, { loc: 'mx' }).result(),
      top.min(b.b, { inputs: ins }, {}, { loc: 'mn' }).result(),
    ];
    finish(b, [...ys, ...exact]);
    const xa = scaled(a, 5);
    const xb = scaled(bs, 6, 3, false);
    for (const y of ys) expectSame(producer(y), [xa, xb]);
    for (const y of exact) expectExact(y, [xa, xb]);
  });

  it.each([[[1, 3, 7, 5]], [[13]], [[2, 17]]])('the *Const ops on %j', (shape) => {
    const b = moduleWithInputs([shape]);
    const x = b.inputs[0]!;
    const ys: Value[] = [
      top.addConst(b.b, { input: x }, { const_val: 0.3, do_relu: true }, { loc: 'ac' }).result(),
      top.subConst(b.b, { input: x }, { const_val: 1.1 }, { loc: 'sc' }).result(),
      top.subConst(b.b, { input: x }, { const_val: 1.1, is_reverse: true, do_relu: true, relu_limit: 2 }, { loc: 'scr' }).result(),
      top.mulConst(b.b, { input: x }, { const_val: -0.7 }, { loc: 'mc' }).result(),
      top.divConst(b.b, { input: x }, { const_val: 3 }, { loc: 'dc' }).result(),
      top.divConst(b.b, { input: x }, { const_val: 3, is_reverse: true }, { loc: 'dcr' }).result(),
    ];
    const exact: Value[] = [
      top.maxConst(b.b, { input: x }, { const_val: 0.25 }, { loc: 'xc' }).result(),
      top.minConst(b.b, { input: x }, { const_val: -0.5 }, { loc: 'nc' }).result(),
    ];
    finish(b, [...ys, ...exact]);
    const xv = scaled(shape, 9);
    for (const y of ys) expectSame(producer(y), [xv]);
    for (const y of exact) expectExact(y, [xv]);
  });
});

describe('wasm activations match js', () => {
  it.each([[[1, 3, 7, 5]], [[13]], [[2, 1001]]])('on %j (incl. large magnitudes and NaN)', (shape) => {
    const b = moduleWithInputs([shape]);
    const x = b.inputs[0]!;
    const ys: Value[] = [
      top.sigmoid(b.b, { input: x }, {}, { loc: 'sg' }).result(),
      top.sigmoid(b.b, { input: x }, { scale: 2, bias: -0.5 }, { loc: 'sg2' }).result(),
      top.siLU(b.b, { input: x }, {}, { loc: 'si' }).result(),
      top.hardSigmoid(b.b, { input: x }, { alpha: 0.2, beta: 0.5 }, { loc: 'hs' }).result(),
      top.hardSwish(b.b, { input: x }, {}, { loc: 'hw' }).result(),
      top.leakyRelu(b.b, { input: x }, { alpha: 0.1 }, { loc: 'lr' }).result(),
      top.tanh(b.b, { input: x }, {}, { loc: 'th' }).result(),
    ];
    finish(b, ys);
    for (const k of [1, 8, 120]) {
      const xv = scaled(shape, 11, k);
      for (const y of ys) expectSame(producer(y), [xv]);
    }
  });

  it('Sigmoid and Exp are within 1e-6 relative of f64 everywhere in range', () => {
    const shape = [4001];
    const b = moduleWithInputs([shape]);
    const ys = [
      top.sigmoid(b.b, { input: b.inputs[0]! }, {}, { loc: 'sg' }).result(),
      top.exp(b.b, { input: b.inputs[0]! }, {}, { loc: 'ex' }).result(),
    ];
    finish(b, ys);
    const xv = random(shape, 3);
    const d = xv.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = -80 + (160 * i) / (d.length - 1);
    const [sg, ex] = ys.map((y) => runOn(WASM, producer(y), [xv]).data as Float32Array);
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      expect(Math.abs(ex![i]! - Math.exp(v))).toBeLessThanOrEqual(1e-6 * Math.exp(v));
      const s = 1 / (1 + Math.exp(-v));
      expect(Math.abs(sg![i]! - s)).toBeLessThanOrEqual(1e-6 * s);
    }
  });
});

describe('wasm pools, Reduce and BatchNorm match js', () => {
  it.each([
    { x: [1, 3, 13, 11], k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], ceil: false },
    { x: [2, 2, 9, 10], k: [3, 2], s: [2, 3], p: [0, 1, 2, 0], ceil: true },
    { x: [1, 4, 13, 13], k: [5, 5], s: [1, 1], p: [2, 2, 2, 2], ceil: false },
    { x: [1, 3, 7, 7], k: [], s: [], p: [], ceil: false }, // global
  ])('MaxPool / AvgPool %j', ({ x, k, s, p, ceil }) => {
    const b = moduleWithInputs([x]);
    const inp = b.inputs[0]!;
    const pa = { kernel_shape: k, strides: s, pads: p, ceil_mode: ceil };
    const ys: Value[] = [
      top.avgPool(b.b, { input: inp }, { ...pa }, { loc: 'ap' }).result(),
      top.avgPool(b.b, { input: inp }, { ...pa, count_include_pad: true, do_relu: true }, { loc: 'api' }).result(),
    ];
    const mp = top.maxPool(b.b, { input: inp }, { ...pa }, { loc: 'mp' }).result();
    finish(b, [...ys, mp]);
    const xv = scaled(x, 13, 4, false);
    for (const y of ys) expectSame(producer(y), [xv]);
    expectExact(mp, [xv]);
  });

  it.each([
    { x: [2, 5, 7, 3], axes: [2, 3], mode: 'ReduceMean' as const },
    { x: [3, 17], axes: [-1], mode: 'ReduceSum' as const },
    { x: [2, 5, 7, 3], axes: [1], mode: 'ReduceMean' as const }, // not trailing: js
  ])('Reduce %j', ({ x, axes, mode }) => {
    const b = moduleWithInputs([x]);
    const y = top.reduce(b.b, { input: b.inputs[0]! }, { axes, keepdims: true, mode }, { loc: 'r' }).result();
    finish(b, [y]);
    expectSame(producer(y), [scaled(x, 17, 4, false)]);
  });

  it('BatchNorm with relu on an odd plane', () => {
    const c = 5;
    const b = moduleWithInputs([[2, c, 3, 7], [c], [c], [c], [c]]);
    const [x, m, v, g, be] = b.inputs as [Value, Value, Value, Value, Value];
    const y = top.batchNorm(b.b, { input: x, mean: m, variance: v, gamma: g, beta: be }, { epsilon: 1e-3, do_relu: true }, { loc: 'bn' }).result();
    finish(b, [y]);
    const vv = random([c], 4);
    (vv.data as Float32Array).forEach((t, i, d) => { d[i] = Math.abs(t) + 0.1; });
    expectSame(producer(y), [scaled([2, c, 3, 7], 3, 4, false), random([c], 1), vv, random([c], 2), random([c], 5)]);
  });
});
