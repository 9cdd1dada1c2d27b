// BF16 (and F16) semantics of the float tpu kernels and of the float lowering, on hand-checked
// values, as TPU-MLIR computes them (spec deploy.md §3.5): f32 → bf16 is round-to-nearest-even on
// the f32 bits (bm_f32_to_bf16), weights are rounded once when lowered, and every op computes in
// full precision from its (already bf16) inputs, adds an f32 bias, applies a fused ReLU / limit and
// rounds its result once. Values near 1, where bf16 steps by 2^-7: 1 + 2^-8 is a tie (→ 1, even),
// 1 + 3·2^-8 a tie (→ 1 + 2^-6, even), and anything above a tie rounds up.
import { describe, expect, it } from 'vitest';
import { bf16, f16, f32, Func, Module, ndarray, OpBuilder, tensorType, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { getKernel } from '@tpu-quant/runtime';
import { lowerTopToTpu, tpu } from '../src/index.js';
import { floatWeightData } from '../src/lowering/float-weights.js';
import { Graph, top } from './helpers.js';

function run(op: Op, inputs: (NdArray | undefined)[]): number[] {
  const k = getKernel(op.type, 'js')!;
  const out = k.run({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() });
  return [...(out[0]!.data as Float32Array)];
}

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el = bf16) => f.addArgument(tensorType(shape, el)) };
}
const arr = (shape: number[], v: number[]) => ndarray('f32', shape, Float32Array.from(v));
const bits = (x: number[], t = bf16) => [...(floatWeightData(arr([x.length], x), t).data as Uint16Array)];

const P7 = 2 ** -7;
const P8 = 2 ** -8;

describe('f32 → bf16 / f16 rounding (weights, casts)', () => {
  it('stores weights as bf16 bit patterns, round to nearest even (not truncation)', () => {
    // 1 = 0x3f80; 1 + 2^-7 = 0x3f81; 1 + 2^-6 = 0x3f82
    expect(bits([1, 1 + P8, 1 + 3 * P8, 1 + P8 + 2 ** -20, -(1 + 3 * P8), 1 + P7 - 2 ** -20])).toEqual([
      0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xbf82, 0x3f81,
    ]);
    // FLT_MAX rounds up to +inf (RightShiftRound(0x7f7fffff, 16, HALF_TO_EVEN) = 0x7f80); 0 and -0 keep their sign
    expect(bits([3.4028234663852886e38, 0, -0])).toEqual([0x7f80, 0x0000, 0x8000]);
    // f16: 1 + 2^-11 is a tie (→ 1 = 0x3c00), 1 + 3·2^-11 a tie (→ 1 + 2^-9 = 0x3c02)
    expect(bits([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 2 ** -24], f16)).toEqual([0x3c00, 0x3c02, 0x7bff, 0x0001]);
  });

  it('tpu.Cast f32 → bf16 rounds to nearest even; bf16 → f32 is exact', () => {
    const { b, arg } = setup();
    const c = tpu.cast(b, { input: arg([5], f32) }, {}, { loc: 'c', resultType: tensorType([5], bf16) });
    expect(run(c, [arr([5], [1 + P8, 1 + 3 * P8, -(1 + 3 * P8), 1 + P8 + 2 ** -20, 1e-3])])).toEqual([
      1, 1 + 2 * P7, -(1 + 2 * P7), 1 + P7, 0.00099945068359375, // 1e-3 → 0x3a83 = 2^-10 · (1 + 3/128)
    ]);
    const back = tpu.cast(b, { input: arg([2]) }, {}, { loc: 'd', resultType: tensorType([2], f32) });
    expect(run(back, [arr([2], [1 + P7, -3.5])])).toEqual([1 + P7, -3.5]);
  });
});

describe('float tpu kernels in bf16: full-precision sum, f32 bias, one rounding at the end', () => {
  it('Conv2D: Σ x·w + bias rounded once; the f32 bias is not rounded first', () => {
    const { b, arg } = setup();
    const op = tpu.conv2D(b, { input: arg([1, 2, 1, 1]), filter: arg([2, 2, 1, 1]), bias: arg([2], f32) }, { kernel_shape: [1, 1], with_bias: true }, {
      loc: 'c', resultType: tensorType([1, 2, 1, 1], bf16),
    });
    // x = [1, 2^-8]; ch0: w = [1, 1], bias 2^-20: 1 + 2^-8 + 2^-20 → 1 + 2^-7 (rounding 1 + 2^-8 before
    // the bias would give 1); ch1: w = [2^-20, 0], bias 1 + 2^-8 (f32): → 1 + 2^-7 (a bias rounded to
    // bf16 first, 1, would give 1)
    const y = run(op, [arr([1, 2, 1, 1], [1, P8]), arr([2, 2, 1, 1], [1, 1, 2 ** -20, 0]), arr([2], [2 ** -20, 1 + P8])]);
    expect(y).toEqual([1 + P7, 1 + P7]);
  });

  it('Conv2D with a fused ReLU6: clip in full precision, then round', () => {
    const { b, arg } = setup();
    const op = tpu.conv2D(b, { input: arg([1, 1, 1, 4]), filter: arg([1, 1, 1, 1]) }, { kernel_shape: [1, 1], do_relu: true, relu_limit: 6 }, {
      loc: 'c', resultType: tensorType([1, 1, 1, 4], bf16),
    });
    // w = 1.5: 5 → 7.5 → 6; −1 → 0; 3.96875 → 5.953125 → bf16 (step 2^-5 in [4, 8)) 5.9375 or 5.96875:
    // 5.953125 = 5.9375 + 2^-6, a tie → 5.9375 (even); 1 + 2^-7 → 1.5 + 1.5·2^-7 = 1.51171875 → 1.515625
    expect(run(op, [arr([1, 1, 1, 4], [5, -1, 3.96875, 1 + P7]), arr([1, 1, 1, 1], [1.5])])).toEqual([6, 0, 5.9375, 1.515625]);
  });

  it('Add: the exact sum rounded once (ties to even)', () => {
    const { b, arg } = setup();
    const op = tpu.add(b, { inputs: [arg([3]), arg([3])] }, {}, { loc: 'a', resultType: tensorType([3], bf16) });
    // 1 + 2^-8 → 1; (1 + 2^-7) + 2^-8 → 1 + 2^-6; 1 + (2^-8 + 2^-14) → 1 + 2^-7
    expect(run(op, [arr([3], [1, 1 + P7, 1]), arr([3], [P8, P8, P8 + 2 ** -14])])).toEqual([1, 1 + 2 * P7, 1 + P7]);
  });

  it('Pool2D Avg: the exact mean rounded once', () => {
    const { b, arg } = setup();
    const op = tpu.pool2D(b, { input: arg([1, 1, 2, 4]) }, { kernel_shape: [2, 2], strides: [2, 2], pool_mode: 'Avg' }, {
      loc: 'p', resultType: tensorType([1, 1, 1, 2], bf16),
    });
    // window 1: 1, 1, 1+2^-7, 1+2^-7 → 1 + 2^-8 → 1; window 2: 1+2^-7, 1+2^-6 (×2 each) → 1 + 3·2^-8 → 1 + 2^-6
    const x = [1, 1, 1 + P7, 1 + 2 * P7, 1 + P7, 1 + P7, 1 + P7, 1 + 2 * P7];
    expect(run(op, [arr([1, 1, 2, 4], x)])).toEqual([1, 1 + 2 * P7]);
  });

  it('MatMul: Σ x·w + bias rounded once', () => {
    const { b, arg } = setup();
    const op = tpu.matMul(b, { input: arg([1, 2]), right: arg([2, 1]), bias: arg([1], f32) }, {}, { loc: 'm', resultType: tensorType([1, 1], bf16) });
    expect(run(op, [arr([1, 2], [1, P8]), arr([2, 1], [1, 1]), arr([1], [2 ** -20])])).toEqual([1 + P7]);
  });

  it('Active and Softmax round their f32 results', () => {
    const { b, arg } = setup();
    const e = tpu.active(b, { input: arg([2]) }, { mode: 'EXP' }, { loc: 'e', resultType: tensorType([2], bf16) });
    // e = 2.71828…: bf16 step 2^-6 in [2, 4) → 2.71875; e^-1 = 0.36788 → step 2^-9 → 0.3671875 (188/512)
    expect(run(e, [arr([2], [1, -1])])).toEqual([2.71875, 0.3671875]);
    const s = tpu.softmax(b, { input: arg([1, 3]) }, { axis: 1 }, { loc: 's', resultType: tensorType([1, 3], bf16) });
    // softmax(0, 0, 0) = 1/3 → 0.333984375 (0x3eab: 2^-2 · (1 + 43/128))
    expect(run(s, [arr([1, 3], [0, 0, 0])])).toEqual([0.333984375, 0.333984375, 0.333984375]);
  });
});

describe('BF16 / F16 lowering of weights and biases (TPU-MLIR LoweringBF16 / LoweringF16)', () => {
  function build(): Module {
    const g = new Graph([1, 2, 1, 1]);
    const w = g.weight('w', arr([2, 2, 1, 1], [1 + P8, 1 + 3 * P8, -(1 + 3 * P8), 1]));
    const cb = g.weight('cb', arr([2], [1 + P8, 2 ** -20]));
    const c = top.conv(g.b, { input: g.x, filter: w, bias: cb }, { kernel_shape: [1, 1] }, { loc: 'c' });
    const fl = top.flatten(g.b, { input: c }, { start_dim: 1 }, { loc: 'fl' });
    const r = g.weight('r', arr([2, 1], [1, 1]));
    const mb = g.weight('mb', arr([1], [1 + 3 * P8]));
    const fc = top.matMul(g.b, { input: fl, right: r, bias: mb }, {}, { loc: 'fc' });
    return g.finish(fc.result()).module;
  }
  const u16 = (m: Module, name: string) => [...(m.weights.get(name)!.data as Uint16Array)];

  it('rounds conv filters to bf16, keeps the conv bias f32 on every chip', () => {
    for (const chip of ['bm1684x', 'bm1688']) {
      const m = build();
      lowerTopToTpu(m, { chip, mode: 'BF16' });
      expect(u16(m, 'w_bf16')).toEqual([0x3f80, 0x3f82, 0xbf82, 0x3f80]);
      expect(m.weights.get('cb')!.dtype).toBe('f32');
      expect([...(m.weights.get('cb')!.data as Float32Array)]).toEqual([1 + P8, 2 ** -20]);
    }
  });

  it('converts the MatMul bias with the right operand on BM1684X / BM1690, keeps it f32 on BM1688 / CV186X', () => {
    for (const [chip, mode, converted] of [['bm1684x', 'BF16', true], ['bm1690', 'F16', true], ['bm1688', 'BF16', false], ['cv186x', 'F16', false]] as const) {
      const m = build();
      lowerTopToTpu(m, { chip, mode });
      const fc = m.main.ops.find((o) => o.type === 'tpu.MatMul')!;
      const biasName = fc.operands[2]!.producer!.name!;
      const t = mode === 'BF16' ? 'bf16' : 'f16';
      if (converted) {
        expect(biasName).toBe(`mb_${t}`);
        // 1 + 3·2^-8: bf16 tie → 1 + 2^-6 (0x3f82); exact in f16 (1 + 12·2^-10 = 0x3c0c)
        expect(u16(m, biasName)).toEqual([mode === 'BF16' ? 0x3f82 : 0x3c0c]);
      } else {
        expect(biasName).toBe('mb');
        expect(m.weights.get('mb')!.dtype).toBe('f32');
      }
    }
  });
});
