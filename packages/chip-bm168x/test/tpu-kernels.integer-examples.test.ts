// The tpu kernels on hand-computed integer examples (spec deploy.md §3.9/§3.10 arithmetic), and
// the fast requant against the exact BigInt RightShiftRound.
import { describe, expect, it } from 'vitest';
import { f32, Func, Module, ndarray, Op, OpBuilder, tensorType, ui8, i8, uniformType, type NdArray, type TensorType } from '@tpu-quant/ir';
import { getKernel } from '@tpu-quant/runtime';
import { mulRightShiftRound, mulShiftHalfUp, tpu } from '../src/index.js';

function run(op: Op, inputs: (NdArray | undefined)[]): Float32Array {
  const k = getKernel(op.type, 'js')!;
  const out = k.run({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() });
  return out[0]!.data as Float32Array;
}

function setup(): { b: OpBuilder; arg: (shape: number[], el?: Parameters<typeof tensorType>[1]) => import('@tpu-quant/ir').Value } {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape, el = f32) => f.addArgument(tensorType(shape, el)) };
}
const arr = (shape: number[], v: number[]) => ndarray('f32', shape, Float32Array.from(v));

describe('tpu kernels, integer examples', () => {
  it('mulShiftHalfUp equals RightShiftRound(acc·m, r, HalfUp) exactly, past 2^53 too', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20000; i++) {
      const acc = Math.round((rnd() * 2 - 1) * 2 ** (8 + 23 * rnd()));
      const m = Math.floor(rnd() * 2 ** 31);
      const r = 1 + Math.floor(rnd() * 40);
      expect(mulShiftHalfUp(acc, m, r)).toBe(mulRightShiftRound(acc, m, r, 'HalfUp'));
    }
    expect(mulShiftHalfUp(-5, 1, 1)).toBe(-2); // -2.5 → -2 (half up)
    expect(mulShiftHalfUp(5, 1, 1)).toBe(3);
  });

  it('Conv2D: int32 accumulation + bias, per-channel multiplier/rshift, ReLU clamp', () => {
    const { b, arg } = setup();
    const inT = tensorType([1, 1, 2, 2], i8);
    const x = arg([1, 1, 2, 2], uniformType(i8, 0.1));
    const w = arg([2, 1, 1, 1], i8);
    const bias = arg([2], i8);
    const op = tpu.conv2D(b, { input: x, filter: w, bias }, {
      kernel_shape: [1, 1], with_bias: true, do_relu: true, multiplier: [3, 1], rshift: [2, 0],
    }, { loc: 'c', resultType: tensorType([1, 2, 2, 2], uniformType(ui8, 0.05)) });
    void inT;
    // channel 0: (q·2 + 1)·3 >> 2 ; channel 1: (q·(−1) + 0)·1 >> 0, ReLU at 0, uint8 max 255
    const y = run(op, [arr([1, 1, 2, 2], [10, -3, 100, 0]), arr([2, 1, 1, 1], [2, -1]), arr([2], [1, 0])]);
    // ch0: acc 21, -5, 201, 1 → 63/4=15.75→16, -15/4=-3.75→-4→0, 603/4=150.75→151, 3/4→1
    expect([...y]).toEqual([16, 0, 151, 1, 0, 3, 0, 0]);
  });

  it('Add: Σ (q_i · m_i) >> r_i per input, then saturate', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.1);
    const op = tpu.add(b, { inputs: [arg([4], u), arg([1], u)] }, { multipliers: [3, 5], rshifts: [1, 2] }, { loc: 'a', resultType: tensorType([4], u) });
    // 3q>>1 + (5·7)>>2 = 3q/2 + 9 (35/4 = 8.75 → 9)
    const y = run(op, [arr([4], [1, -1, 100, -128]), arr([1], [7])]);
    expect([...y]).toEqual([2 + 9, -1 + 9, 127, -128]); // 1.5→2, -1.5→-1; 150+9 → 127; -192+9 → -128
  });

  it('Pool2D: int average = window sum · m >> r; max = max code', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.1);
    const x = arg([1, 1, 2, 2], u);
    const avg = tpu.pool2D(b, { input: x }, { kernel_shape: [2, 2], pool_mode: 'Avg', multiplier: 1, rshift: 2 }, { loc: 'p', resultType: tensorType([1, 1, 1, 1], u) });
    expect([...run(avg, [arr([1, 1, 2, 2], [1, 2, 3, 4])])]).toEqual([3]); // 10/4 = 2.5 → 3
    const mx = tpu.pool2D(b, { input: x }, { kernel_shape: [2, 2], pool_mode: 'Max' }, { loc: 'q', resultType: tensorType([1, 1, 1, 1], u) });
    expect([...run(mx, [arr([1, 1, 2, 2], [1, -2, 3, -4])])]).toEqual([3]);
  });

  it('MatMul: int8 weight, int32 bias, per-tensor requant', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.1);
    const op = tpu.matMul(b, { input: arg([1, 2], u), right: arg([2, 2], i8), bias: arg([2], i8) }, { multipliers: [1], rshifts: [1] }, { loc: 'm', resultType: tensorType([1, 2], u) });
    // [3, 4]·[[1, 2], [3, -4]] + [1, 0] = [16, -10] → >>1 = [8, -5]
    expect([...run(op, [arr([1, 2], [3, 4]), arr([2, 2], [1, 2, 3, -4]), arr([2], [1, 0])])]).toEqual([8, -5]);
  });

  it('Cast quantizes (half away from zero, saturating) and dequantizes; Lut indexes by raw byte', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.5);
    const q = tpu.cast(b, { input: arg([4]) }, {}, { loc: 'q', resultType: tensorType([4], u) });
    expect([...run(q, [arr([4], [0.25, -0.25, 100, -0.74])])]).toEqual([1, -1, 127, -1]);
    const dq = tpu.cast(b, { input: arg([2], u) }, {}, { loc: 'd', resultType: tensorType([2], f32) });
    expect([...run(dq, [arr([2], [3, -128])])]).toEqual([1.5, -64]);
    const table = Array.from({ length: 256 }, (_, i) => (i < 128 ? i : i - 256) * -1 + 0);
    const lut = tpu.lut(b, { input: arg([3], u), table: arg([1, 1, 1, 256], i8) }, {}, { loc: 'l', resultType: tensorType([3], u) });
    expect([...run(lut, [arr([3], [5, -5, -128]), arr([1, 1, 1, 256], table)])]).toEqual([-5, 5, 128]);
  });
});
