// The fast paths of tpu.Lut, the large-plane tpu.RequantIntAxis and float tpu.Scale, and the INT8
// global average pool (wasm-eltwise8.ts kernels) and
// of the float tpu.Softmax (fast-float.ts) against the js kernels, element for element (Object.is),
// with pooled memory full of NaN, and through the registered wasm kernel; the other INT8 kernels
// that call the wasm element-wise kernels are covered by fast-kernels.match-js.test.ts.
import { describe, expect, it } from 'vitest';
import { bf16, f16, f32, Func, i32, i8, Module, ndarray, OpBuilder, tensorType, ui8, uniformType, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { getKernel, type KernelContext } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';
import { FAST_PATHS } from '../src/kernels/fast-paths.js';
import { seededRandom } from './helpers.js';

const rnd = seededRandom(4242);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1] = f32) => f.addArgument(tensorType(shape, el)) };
}

const ctxOf = (op: Op, inputs: NdArray[], dirty = false): KernelContext => ({
  op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map(),
  ...(dirty ? { alloc: (shape: readonly number[]) => ndarray('f32', shape, new Float32Array(size(shape)).fill(NaN)) } : {}),
});

function same(got: NdArray | undefined, want: NdArray, what: string): void {
  expect(got, `${what}: ran`).toBeDefined();
  const g = got!.data as Float32Array, w = want.data as Float32Array;
  expect(got!.shape, what).toEqual(want.shape);
  let bad = -1;
  for (let i = 0; i < w.length && bad < 0; i++) if (!Object.is(g[i], w[i])) bad = i;
  expect(bad < 0 ? '' : `${what}: [${bad}] fast ${g[bad]} js ${w[bad]}`).toBe('');
}

function check(op: Op, inputs: NdArray[], what: string): void {
  const fast = FAST_PATHS[op.type]!;
  expect(fast.supports(op)).toBe(true);
  const want = getKernel(op.type, 'js')!.run(ctxOf(op, inputs))[0]!;
  same(fast.run(ctxOf(op, inputs)), want, what);
  same(fast.run(ctxOf(op, inputs, true)), want, `${what} (dirty pooled memory)`);
  same(getKernel(op.type, 'wasm')!.run(ctxOf(op, inputs, true))[0], want, `${what} (registered wasm kernel)`);
}

describe('fast tpu.Lut, tpu.RequantIntAxis, INT8 global average pooling and tpu.Softmax match the js kernels', () => {
  it('Lut: int8 / uint8 in and out, sizes around the 16-lane blocks, a float table', () => {
    for (let t = 0; t < 24; t++) {
      const { b, arg } = setup();
      const inU = t % 2 === 1, outU = t % 4 >= 2;
      const shape = [1, int(1, 6), int(4, 17), int(16, 23)]; // ≥ 64 elements: smaller ones stay on js
      const table = Float32Array.from({ length: 256 }, () => (outU ? int(0, 255) : int(-128, 127)));
      if (t === 23) table.set([0.5, -0, NaN, 1e6], 5);
      const x = Float32Array.from({ length: size(shape) }, () => (inU ? int(0, 255) : int(-128, 127)));
      const op = tpu.lut(b, { input: arg(shape, inU ? uniformType(ui8, 0.1, 3) : uniformType(i8, 0.1, 0)), table: arg([256]) }, {},
        { loc: 'l', resultType: tensorType(shape, outU ? uniformType(ui8, 0.2, 0) : uniformType(i8, 0.2, 0)) });
      check(op, [ndarray('f32', shape, x), ndarray('f32', [256], table)], `Lut #${t}`);
    }
  });

  it('Softmax: every axis, log, beta, f32 / f16 / bf16, NaN / ±Inf rows', () => {
    const odd = [NaN, Infinity, -Infinity, -0];
    for (let t = 0; t < 30; t++) {
      const { b, arg } = setup();
      const shape = [int(1, 2), int(1, 7), int(1, 9), int(1, 10)];
      const axis = int(-4, 3);
      const el = [f32, f16, bf16][t % 3]!;
      const x = Float32Array.from({ length: size(shape) }, () => (rnd() < 0.03 ? odd[int(0, 3)]! : (rnd() - 0.5) * 20));
      const op = tpu.softmax(b, { input: arg(shape, el) }, { axis, log: t % 4 === 3, beta: t % 5 === 4 ? 0.7 : 1 }, { loc: 's', resultType: tensorType(shape, el) });
      check(op, [ndarray('f32', shape, x)], `Softmax #${t} axis ${axis}`);
    }
  });

  it('RequantIntAxis: HalfUp / HalfAwayFromZero (wasm), other modes (js loop), f32 and int32 inputs, planes past the 16-lane blocks, −0 zero points', () => {
    const modes = ['HalfAwayFromZero', 'HalfUp', 'HalfToEven', 'TowardsZero'] as const;
    for (let t = 0; t < 16; t++) {
      const { b, arg } = setup();
      const c = int(1, 5);
      const shape = [1, c, int(8, 20), int(8, 23)];
      const quant = new Float32Array(3 * c);
      for (let ch = 0; ch < c; ch++) {
        const r = t % 4 === 3 ? int(1, 3) : int(1, 30);
        quant.set([t % 4 === 3 ? 1 : int(1, 2 ** Math.min(30, r + 6)), -r, ch === 0 ? -0 : int(-20, 20)], 3 * ch);
      }
      // small values in some cases so that ties (p = ±2^(r−1) odd multiples) happen
      const x = Float32Array.from({ length: size(shape) }, () => (t % 4 === 3 ? int(-40, 40) : int(-(2 ** 20), 2 ** 20)));
      if (t === 13) quant.set([1, -26, 0], 0); // past f32's exact integers: an int32 input stays on the js loop
      const op = tpu.requantIntAxis(b, { input: arg(shape, i32), quant: arg([1, c, 1, 3], i32) }, { quant_mode: 'MultiplierShift', round_mode: modes[t % modes.length]! } as never,
        { loc: 'rqa', resultType: tensorType(shape, uniformType(i8, 0.1, 0)) });
      // the INT8 Deconv hands over an int32 array; a float one elsewhere
      const xi = Int32Array.from(x);
      // an odd int32 past f32's exact integers, at a shift where rounding it to f32 would move the result
      if (t === 13) xi[5] = 2 ** 26 + 2 ** 25 - 1;
      const input = t % 2 === 1 ? ndarray('i32', shape, xi) : ndarray('f32', shape, x);
      check(op, [input, ndarray('f32', [1, c, 1, 3], quant)], `RequantIntAxis #${t} ${modes[t % modes.length]}`);
    }
  });

  it('INT8 global average pool: plane sums in wasm; every multiplier size; a value that is no code', () => {
    for (let t = 0; t < 14; t++) {
      const { b, arg } = setup();
      const [h, w] = [[7, 7], [15, 15], [1, 64], [30, 30], [13, 9], [120, 120], [3, 5]][t % 7]!;
      const c = int(1, 40);
      const shape = [1, c, h, w];
      const x = Float32Array.from({ length: size(shape) }, () => int(-128, 127));
      if (t === 13) x[x.length >> 1] = 0.5;
      const [multiplier, rshift] = t % 3 === 0 ? [int(2 ** 29, 2 ** 31 - 1), int(30, 40)] : [int(1, 2 ** 15), int(8, 24)];
      const op = tpu.pool2D(b, { input: arg(shape, uniformType(i8, 0.1, 0)) },
        { pool_mode: 'Avg', kernel_shape: [h, w], strides: [1, 1], pads: [0, 0, 0, 0], multiplier, rshift, do_relu: t % 4 === 1 } as never,
        { loc: 'gap', resultType: tensorType([1, c, 1, 1], uniformType(i8, 0.05, t % 5 === 2 ? 3 : 0)) });
      check(op, [ndarray('f32', shape, x)], `global avg #${t} ${h}x${w}`);
    }
  });

  it('float Scale: large planes in wasm f64 lanes, ReLU with and without a limit, f32 / f16 / bf16, odd values', () => {
    const odd = [NaN, Infinity, -Infinity, -0, 0, 70000, 1e-7];
    for (let t = 0; t < 12; t++) {
      const { b, arg } = setup();
      const el = [f32, f16, bf16][t % 3]!;
      const c = int(1, 6);
      const shape = [int(1, 2), c, int(8, 19), int(8, 21)];
      const x = Float32Array.from({ length: size(shape) }, () => (rnd() < 0.03 ? odd[int(0, odd.length - 1)]! : (rnd() - 0.5) * 50));
      const sc = Float32Array.from({ length: c }, () => (rnd() - 0.5) * 3), bias = Float32Array.from({ length: c }, () => (rnd() - 0.5) * 5);
      const relu = t % 4 >= 2;
      const op = tpu.scale(b, { input: arg(shape, el), scale: arg([1, c, 1, 1], el), bias: arg([1, c, 1, 1], el) } as never,
        { do_relu: relu, relu_limit: relu && t % 2 === 1 ? 6.5 : -1 } as never, { loc: 'sc', resultType: tensorType(shape, el) });
      check(op, [ndarray('f32', shape, x), ndarray('f32', [1, c, 1, 1], sc), ndarray('f32', [1, c, 1, 1], bias)], `Scale #${t}`);
    }
  });
});
