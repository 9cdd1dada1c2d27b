// The fake quantisation of the auto-tuner: activations round half to even (numpy), weights half
// away from zero (C++ std::round), both clip/scale as TPU-MLIR does; Conv/MatMul biases stay float.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { f32 as F32, Func, Module, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import { fakeQuantActivation, fakeQuantWeightsForTune, roundHalfAway, roundHalfEven } from '../src/tune/index.js';

describe('fakeQuantActivation', () => {
  it('th = 127 (scale 1): rounds halves to even and clips to [-128, 127]', () => {
    const x = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 126.5, 127.4, 127.5, 300, -127.5, -128.4, -128.5, -128.6, -1e9);
    // (numpy keeps the sign of a rounded −0.5; we give +0, the same number)
    expect(Array.from(fakeQuantActivation(x, 127), (v) => v + 0)).toEqual([0, 2, 2, 0, -2, -2, 0, 126, 127, 127, 127, -128, -128, -128, -128, -128]);
  });

  it('computes v·f32(127/th), rounds, then divides by the same f32 scale', () => {
    const th = 2.5;
    const scale = Math.fround(127 / th);
    const x = Float32Array.from({ length: 2001 }, (_, i) => (i - 1000) / 300);
    const got = fakeQuantActivation(x, th);
    x.forEach((v, i) => {
      const q = Math.min(127, Math.max(-128, roundHalfEven(Math.fround(v * scale))));
      expect(got[i]! + 0).toBe(Math.fround(q / scale) + 0);
    });
    // a value exactly on a half step rounds to even: 0.5·th/127 → 0, 1.5·th/127 → 2 steps
    const half = Float32Array.of(0.5 / scale, 1.5 / scale);
    const codes = Array.from(fakeQuantActivation(half, th), (v) => Math.round(v * scale));
    expect(codes).toEqual([0, 2]);
    expect(x).toEqual(Float32Array.from({ length: 2001 }, (_, i) => (i - 1000) / 300)); // input untouched
  });

  it('keeps NaN', () => {
    expect(Number.isNaN(fakeQuantActivation(Float32Array.of(Number.NaN), 1)[0])).toBe(true);
  });
});

describe('rounding helpers', () => {
  it('half to even vs half away from zero', () => {
    const v = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -2.5001];
    expect(v.map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
    expect(v.map(roundHalfAway)).toEqual([1, 2, 3, -1, -2, -3, 2, -3]);
  });
});

describe('fakeQuantWeightsForTune', () => {
  function model(): Module {
    const m = new Module('t');
    const f = m.addFunc(new Func('main'));
    const b = new OpBuilder(f);
    const x = top.input(b, { input: f.addArgument(tensorType([1, 2, 2, 2], F32)) }, {}, { loc: 'x' }).result();
    const w = (name: string, shape: number[], v: number[]) => b.weight(name, ndarray('f32', shape, Float32Array.from(v)));
    const c = top.conv(b, { input: x, filter: w('conv_w', [2, 2, 1, 1], [0.5, -0.5, 2.5, 127]), bias: w('conv_b', [2], [0.3, -0.7]) },
      { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, { loc: 'c' }).result();
    const p = top.pRelu(b, { input: c, slope: w('slope', [2], [0.1, 2]) }, {}, { loc: 'p' }).result();
    const mm = top.matMul(b, { input: p, right: w('mm_w', [2, 3], [2, 1, 0.01, -1, 0, 0.5]), bias: w('mm_b', [3], [0.123, 0, 5]) }, {}, { loc: 'mm' }).result();
    f.resultTypes = [mm.type];
    f.append(new Op('func.return', { operands: [mm] }));
    m.weights.set('unused_extra', ndarray('f32', [1], Float32Array.of(0.3)));
    m.weights.set('int_w', ndarray('i32', [2], Int32Array.of(3, 7)));
    return m;
  }

  it('quantises every weight per tensor (half away from zero) except Conv/MatMul biases', () => {
    const m = model();
    const before = new Map([...m.weights].map(([k, v]) => [k, Array.from(v.data as ArrayLike<number>)]));
    const fq = fakeQuantWeightsForTune(m);
    // maxabs 127: w·127/127 rounds half away from zero
    expect(Array.from(fq.get('conv_w')!.data as Float32Array)).toEqual([1, -1, 3, 127]);
    // maxabs 2: 0.1 → round(6.35) = 6 → 6·2/127
    const q = (v: number, m: number) => Math.fround(Math.fround(roundHalfAway(Math.fround(Math.fround(v * 127) / m)) * m) / 127);
    expect(Array.from(fq.get('slope')!.data as Float32Array)).toEqual([q(0.1, 2), 2]);
    expect(q(0.1, 2)).toBe(Math.fround(12 / 127));
    // 1·63.5 → 64 steps, 0.01·63.5 = 0.635 → 1 step, 0.5·63.5 = 31.75 → 32 steps
    expect(Array.from(fq.get('mm_w')!.data as Float32Array)).toEqual([2, q(1, 2), q(0.01, 2), -q(1, 2), 0, q(0.5, 2)]);
    expect(q(1, 2)).toBe(Math.fround(128 / 127)); // 63.5 → 64 steps (half away from zero)
    expect(q(0.01, 2)).toBe(Math.fround(2 / 127));
    expect(q(0.5, 2)).toBe(Math.fround(64 / 127));
    for (const k of ['conv_b', 'mm_b', 'unused_extra', 'int_w']) expect(fq.get(k)).toBe(m.weights.get(k));
    expect(fq.get('conv_w')!.shape).toEqual([2, 2, 1, 1]);
    for (const [k, v] of m.weights) expect(Array.from(v.data as ArrayLike<number>)).toEqual(before.get(k));
  });

  it('leaves an all-zero weight as it is', () => {
    const m = model();
    const zero: NdArray = ndarray('f32', [2], Float32Array.of(0, 0));
    m.weights.set('slope', zero);
    expect(fakeQuantWeightsForTune(m).get('slope')).toBe(zero);
  });
});
