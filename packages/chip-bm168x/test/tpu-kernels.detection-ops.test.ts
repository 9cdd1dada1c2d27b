// The tpu kernels added for the detection / OCR models on hand-computed integer examples (spec
// deploy.md §3.9/§3.10: Mul, Sub, MulShift requant with HalfUp; RequantIntAxis with its round
// mode; Deconv's int32 accumulator) and the data-movement ops on small tensors.
import { describe, expect, it } from 'vitest';
import { f32, Func, i32, i8, Module, ndarray, type Op, OpBuilder, tensorType, ui8, uniformType, type NdArray, type TensorType } from '@tpu-quant/ir';
import { getKernel } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';

function run(op: Op, inputs: (NdArray | undefined)[]): number[] {
  const k = getKernel(op.type, 'js')!;
  const out = k.run({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() });
  return Array.from(out[0]!.data as ArrayLike<number>);
}

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1] = f32) => f.addArgument(tensorType(shape, el)) };
}
const arr = (shape: number[], v: number[]) => ndarray('f32', shape, Float32Array.from(v));
const s8 = (scale: number, zp = 0) => uniformType(i8, scale, zp);
const u8 = (scale: number, zp = 0) => uniformType(ui8, scale, zp);

describe('tpu elementwise kernels, integer examples', () => {
  it('Mul: saturate(RightShiftRound(q1·q2·m, r, HalfUp)), broadcast, ReLU at the zero point', () => {
    const { b, arg } = setup();
    const x = arg([1, 4], s8(0.1));
    const y = arg([1, 1], s8(0.1));
    const op = tpu.mul(b, { inputs: [x, y] }, { multiplier: 5, rshift: 3 }, { loc: 'm', resultType: tensorType([1, 4], s8(0.1)) });
    // q·(−3)·5/8: 4 → −7.5 → −7 (half up), −4 → 7.5 → 8, 100 → −187.5 → −128, 1 → −1.875 → −2
    expect(run(op, [arr([1, 4], [4, -4, 100, 1]), arr([1, 1], [-3])])).toEqual([-7, 8, -128, -2]);
    const relu = tpu.mul(b, { inputs: [x, y] }, { multiplier: 5, rshift: 3, do_relu: true }, { loc: 'r', resultType: tensorType([1, 4], u8(0.1)) });
    expect(run(relu, [arr([1, 4], [4, -4, 100, 1]), arr([1, 1], [-3])])).toEqual([0, 8, 0, 0]);
  });

  it('Sub: each side RightShiftRound(q_i·m_i, r_i, HalfUp), then the difference saturates', () => {
    const { b, arg } = setup();
    const t = s8(0.1);
    const op = tpu.sub(b, { inputs: [arg([3], t), arg([3], t)] }, { multipliers: [3, 1], rshifts: [1, 0] }, { loc: 's', resultType: tensorType([3], t) });
    // (3q0 >> 1) − q1: (3 → 1.5 → 2) − 5 = −3; (−3 → −1.5 → −1) − (−2) = 1; 150 − (−100) → 127
    expect(run(op, [arr([3], [1, -1, 100]), arr([3], [5, -2, -100])])).toEqual([-3, 1, 127]);
    const rev = tpu.sub(b, { inputs: [arg([3], t), arg([3], t)] }, { multipliers: [3, 1], rshifts: [1, 0], is_reverse: true }, { loc: 'r', resultType: tensorType([3], t) });
    expect(run(rev, [arr([3], [1, -1, 100]), arr([3], [5, -2, -100])])).toEqual([3, -1, -128]);
  });

  it('MulShift: (q − zx)·m >> r (HalfUp) + zy, saturated to the result type', () => {
    const { b, arg } = setup();
    const op = tpu.mulShift(b, { input: arg([4], u8(0.1, 10)) }, { multiplier: 3, rshift: 2 }, { loc: 'ms', resultType: tensorType([4], s8(0.2, -5)) });
    // (q − 10)·3/4 − 5: 12 → 1.5 → 2 − 5 = −3; 8 → −1.5 → −1 − 5 = −6; 255 → 183.75 → 184 − 5 → 127; 0 → −7.5 → −7 − 5 = −12
    expect(run(op, [arr([4], [12, 8, 255, 0])])).toEqual([-3, -6, 127, -12]);
  });

  it('AddConst: RightShiftRound(q·m + const_val, r, HalfUp), const_val already shifted; ReLU at 0', () => {
    const { b, arg } = setup();
    const t = s8(0.1);
    const op = tpu.addConst(b, { input: arg([4], t) }, { const_val: 8, multiplier: 3, rshift: 2 }, { loc: 'ac', resultType: tensorType([4], t) });
    // (3q + 8)/4: 10 → 9.5 → 10; −10 → −5.5 → −5; 100 → 77; −128 → −94
    expect(run(op, [arr([4], [10, -10, 100, -128])])).toEqual([10, -5, 77, -94]);
    const relu = tpu.addConst(b, { input: arg([4], t) }, { const_val: 8, multiplier: 3, rshift: 2, do_relu: true }, { loc: 'acr', resultType: tensorType([4], t) });
    expect(run(relu, [arr([4], [10, -10, 100, -128])])).toEqual([10, 0, 77, 0]);
  });

  it('RequantIntAxis: per channel zp + RightShiftRound(x·m, rshift, HalfAwayFromZero)', () => {
    const { b, arg } = setup();
    const quant = arg([1, 2, 1, 3], i32);
    const op = tpu.requantIntAxis(b, { input: arg([1, 2, 1, 2], i32), quant }, { quant_mode: 'MultiplierShift' }, { loc: 'rq', resultType: tensorType([1, 2, 1, 2], s8(0.1)) });
    // channel 0: m 1, rshift 1, zp 0: 5 → 2.5 → 3, −5 → −2.5 → −3 (away from zero)
    // channel 1: m 3, rshift 2, zp 4: 2·3/4 = 1.5 → 2 + 4 = 6; −100·3/4 = −75 + 4 = −71
    expect(run(op, [arr([1, 2, 1, 2], [5, -5, 2, -100]), arr([1, 2, 1, 3], [1, -1, 0, 3, -2, 4])])).toEqual([3, -3, 6, -71]);
  });

  it('Deconv: the int32 accumulator of a stride-2 scatter, plus the bias', () => {
    const { b, arg } = setup();
    const op = tpu.deconv(
      b,
      { input: arg([1, 1, 2, 2], s8(0.1)), filter: arg([1, 1, 2, 2], i8), bias: arg([1, 1, 1, 1], i32) },
      { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], with_bias: true },
      { loc: 'd', resultType: tensorType([1, 1, 4, 4], i32) },
    );
    const y = run(op, [arr([1, 1, 2, 2], [1, -2, 3, 4]), arr([1, 1, 2, 2], [1, 2, 3, 4]), arr([1, 1, 1, 1], [10])]);
    expect(y).toEqual([11, 12, 8, 6, 13, 14, 4, 2, 13, 16, 14, 18, 19, 22, 22, 26]);
  });
});

describe('tpu data-movement kernels', () => {
  const t = s8(0.1);
  it('Concat joins along an axis (codes unchanged)', () => {
    const { b, arg } = setup();
    const op = tpu.concat(b, { inputs: [arg([1, 2, 2], t), arg([1, 1, 2], t)] }, { axis: 1 }, { loc: 'c', resultType: tensorType([1, 3, 2], t) });
    expect(run(op, [arr([1, 2, 2], [1, 2, 3, 4]), arr([1, 1, 2], [5, 6])])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Slice with offsets, steps (negative too) and axes; end clamps', () => {
    const { b, arg } = setup();
    const x = arr([2, 5], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    const s1 = tpu.slice(b, { input: arg([2, 5], t) }, { offset: [1], ends: [2147483647], steps: [2], axes: [1] }, { loc: 's1', resultType: tensorType([2, 2], t) });
    expect(run(s1, [x])).toEqual([1, 3, 11, 13]);
    const s2 = tpu.slice(b, { input: arg([2, 5], t) }, { offset: [-1, -1], ends: [-3, -6], steps: [-1, -2], axes: [0, 1] }, { loc: 's2', resultType: tensorType([1, 3], t) });
    expect(run(s2, [x])).toEqual([14, 12, 10]);
  });

  it('Permute, Upsample and Pad (constant code, edge, reflect)', () => {
    const { b, arg } = setup();
    const p = tpu.permute(b, { input: arg([1, 2, 3], t) }, { order: [0, 2, 1] }, { loc: 'p', resultType: tensorType([1, 3, 2], t) });
    expect(run(p, [arr([1, 2, 3], [1, 2, 3, 4, 5, 6])])).toEqual([1, 4, 2, 5, 3, 6]);
    const u = tpu.upsample(b, { input: arg([1, 1, 1, 2], t) }, { scale_h: 2, scale_w: 2 }, { loc: 'u', resultType: tensorType([1, 1, 2, 4], t) });
    expect(run(u, [arr([1, 1, 1, 2], [7, -8])])).toEqual([7, 7, -8, -8, 7, 7, -8, -8]);
    const x = arr([1, 3], [1, 2, 3]);
    const c = tpu.pad(b, { input: arg([1, 3], t) }, { paddings: [0, 1, 0, 2], val: -5 }, { loc: 'pc', resultType: tensorType([1, 6], t) });
    expect(run(c, [x])).toEqual([-5, 1, 2, 3, -5, -5]);
    const e = tpu.pad(b, { input: arg([1, 3], t) }, { paddings: [0, 2, 0, 1], mode: 'edge' }, { loc: 'pe', resultType: tensorType([1, 6], t) });
    expect(run(e, [x])).toEqual([1, 1, 1, 2, 3, 3]);
    const r = tpu.pad(b, { input: arg([1, 3], t) }, { paddings: [0, 2, 0, 2], mode: 'reflect' }, { loc: 'pr', resultType: tensorType([1, 7], t) });
    expect(run(r, [x])).toEqual([3, 2, 1, 2, 3, 2, 1]);
  });
});
