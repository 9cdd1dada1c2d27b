// The fast tpu kernel paths of the wasm backend (src/kernels/fast-*.ts) against the js reference
// kernels, element for element (Object.is: -0 and NaN count): INT8 MulShift / AddConst / Mul / Add
// / Cast / RequantInt / RequantIntAxis / Deconv on random codes with saturation, rounding ties,
// zero points, broadcasting, ReLU limits, every shift sign; the data-movement ops, Pool2D and Scale
// in int8, f32, f16 and bf16 (float inputs with NaN, ±Inf, -0). Each case also runs with pooled
// memory full of NaN (every element must be written) and through the registered wasm kernel.
import { beforeAll, describe, expect, it } from 'vitest';
import { bf16, f16, f32, Func, i32, i8, Module, ndarray, Op, OpBuilder, tensorType, top, ui8, uniformType, type NdArray, type TensorType } from '@tpu-quant/ir';
import { createSession, getKernel, type KernelContext } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';
import { FAST_PATHS } from '../src/kernels/fast-paths.js';

// the runtime's wasm kernels (the INT8 Deconv's GEMM path uses its top.Deconv) load with a wasm session
beforeAll(async () => {
  const m = new Module('w');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 4], f32)) }, {}, { loc: 'x' }).result();
  const y = top.relu(b, { input: x }, {}, { loc: 'y' }).result();
  f.resultTypes = [y.type];
  f.append(new Op('func.return', { operands: [y] }));
  await createSession(m, { backend: 'wasm' });
  expect(getKernel('top.Deconv', 'wasm')).toBeDefined();
});

let seed = 20261129;
const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1] = f32) => f.addArgument(tensorType(shape, el)) };
}
const s8 = (scale: number, zp = 0) => uniformType(i8, scale, zp);
const u8 = (scale: number, zp = 0) => uniformType(ui8, scale, zp);

/** Random codes of an int8 (or uint8) tensor, with the extremes mixed in. */
function codes(shape: number[], unsigned = false): NdArray {
  const [lo, hi] = unsigned ? [0, 255] : [-128, 127];
  const d = new Float32Array(size(shape));
  for (let i = 0; i < d.length; i++) d[i] = rnd() < 0.1 ? (rnd() < 0.5 ? lo : hi) : int(lo, hi);
  return ndarray('f32', shape, d);
}

/** Random floats with the odd values a float kernel must move unchanged (NaN, ±Inf, -0, huge, tiny). */
function floats(shape: number[], scale = 4): NdArray {
  const odd = [NaN, Infinity, -Infinity, -0, 0, 70000, -1e-7, 3e-6];
  const d = new Float32Array(size(shape));
  for (let i = 0; i < d.length; i++) d[i] = rnd() < 0.05 ? odd[int(0, odd.length - 1)]! : (rnd() - 0.5) * scale;
  return ndarray('f32', shape, d);
}

const ctxOf = (op: Op, inputs: (NdArray | undefined)[], dirty = false): KernelContext => ({
  op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map(),
  ...(dirty ? { alloc: (shape: readonly number[]) => ndarray('f32', shape, new Float32Array(size(shape)).fill(NaN)) } : {}),
});

function expectSame(got: NdArray, want: NdArray, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  expect(got.dtype, what).toBe(want.dtype);
  const g = got.data as ArrayLike<number>;
  const w = want.data as ArrayLike<number>;
  expect(g.length, what).toBe(w.length);
  let bad = -1;
  for (let i = 0; i < w.length && bad < 0; i++) if (!Object.is(g[i], w[i])) bad = i;
  expect(bad < 0 ? '' : `${what}: [${bad}] fast ${g[bad]} js ${w[bad]}`).toBe('');
}

/** The fast path takes the op and matches the js kernel; so does the registered wasm kernel. */
function check(op: Op, inputs: (NdArray | undefined)[], what: string): void {
  const fast = FAST_PATHS[op.type]!;
  expect(fast.supports(op), `${what}: supported`).toBe(true);
  const want = getKernel(op.type, 'js')!.run(ctxOf(op, inputs))[0]!;
  const got = fast.run(ctxOf(op, inputs));
  expect(got, `${what}: the fast path ran`).toBeDefined();
  expectSame(got!, want, what);
  expectSame(fast.run(ctxOf(op, inputs, true))!, want, `${what} (dirty pooled memory)`);
  expectSame(getKernel(op.type, 'wasm')!.run(ctxOf(op, inputs, true))[0]!, want, `${what} (registered wasm kernel)`);
}

/** A shift in 0..24 (mostly positive), and a multiplier up to 2^(r+4) or a full 31-bit one. */
function shiftAndMultiplier(): [number, number] {
  const r = rnd() < 0.15 ? 0 : int(1, 24);
  return [r, rnd() < 0.2 ? int(2 ** 30, 2 ** 31 - 1) : int(0, 2 ** Math.min(30, r + 4))];
}

describe('fast INT8 element-wise paths match the js kernels', () => {
  it('MulShift: zero points in and out, every shift, ties (m = 1, odd codes)', () => {
    for (let t = 0; t < 40; t++) {
      const { b, arg } = setup();
      const inU = rnd() < 0.5, outU = rnd() < 0.5;
      const [rshift, multiplier] = t < 5 ? [int(1, 3), 1 + 2 * int(0, 3)] : shiftAndMultiplier();
      const shape = [1, int(1, 5), int(1, 9), int(1, 11)];
      const op = tpu.mulShift(b, { input: arg(shape, inU ? u8(0.1, int(0, 255)) : s8(0.1)) }, { multiplier, rshift },
        { loc: 'ms', resultType: tensorType(shape, outU ? u8(0.2, int(0, 40)) : s8(0.2, int(-20, 20))) });
      check(op, [codes(shape, inU)], `MulShift #${t} m ${multiplier} r ${rshift}`);
    }
  });

  it('values that are no codes and products past exact doubles: the js kernel result, in the memory taken', () => {
    const { b, arg } = setup();
    const op = tpu.mulShift(b, { input: arg([3], s8(0.1)) }, { multiplier: 2 ** 31 - 1, rshift: 40 }, { loc: 'ms', resultType: tensorType([3], s8(0.1)) });
    const huge = ndarray('f32', [3], Float32Array.from([2 ** 30, -(2 ** 30), 5]));
    const want = getKernel(op.type, 'js')!.run(ctxOf(op, [huge]))[0]!;
    const mem = new Float32Array(3).fill(NaN);
    const got = FAST_PATHS['tpu.MulShift']!.run({ ...ctxOf(op, [huge]), alloc: (shape) => ndarray('f32', shape, mem) })!;
    expect(got.data).toBe(mem);
    expectSame(got, want, 'huge');
    // non-integer values: not codes, so the arithmetic path (safe products) computes them
    const frac = ndarray('f32', [3], Float32Array.from([0.5, -2.25, 7]));
    expectSame(FAST_PATHS['tpu.MulShift']!.run(ctxOf(op, [frac]))!, getKernel(op.type, 'js')!.run(ctxOf(op, [frac]))[0]!, 'fractions');
  });

  it('AddConst: constants, ReLU with and without a limit, ties', () => {
    for (let t = 0; t < 40; t++) {
      const { b, arg } = setup();
      const [rshift, multiplier] = t < 5 ? [1, 1] : shiftAndMultiplier();
      const relu = rnd() < 0.4;
      const shape = [1, int(1, 4), int(1, 12), int(1, 12)];
      const inU = rnd() < 0.3;
      const op = tpu.addConst(b, { input: arg(shape, inU ? u8(0.1, int(0, 255)) : s8(0.1)) },
        { const_val: int(-(2 ** Math.min(30, rshift + 8)), 2 ** Math.min(30, rshift + 8)), multiplier, rshift, do_relu: relu, relu_limit: relu && rnd() < 0.5 ? 3.7 : -1 },
        { loc: 'ac', resultType: tensorType(shape, s8(0.1)) });
      check(op, [codes(shape, inU)], `AddConst #${t}`);
    }
  });

  it('Mul: same shapes, per-channel, scalar and two-sided broadcasts, ReLU', () => {
    const pairs: [number[], number[], number[]][] = [
      [[1, 3, 5, 7], [1, 3, 5, 7], [1, 3, 5, 7]],
      [[1, 6, 4, 5], [1, 6, 1, 1], [1, 6, 4, 5]],
      [[1, 6, 1, 1], [1, 6, 4, 5], [1, 6, 4, 5]],
      [[2, 3, 4], [1], [2, 3, 4]],
      [[1, 3, 1, 5], [1, 1, 4, 1], [1, 3, 4, 5]],
      [[4, 5], [5], [4, 5]],
    ];
    for (let t = 0; t < 30; t++) {
      const [sa, sb, so] = pairs[t % pairs.length]!;
      const { b, arg } = setup();
      const [rshift, multiplier] = shiftAndMultiplier();
      const relu = rnd() < 0.3;
      const bU = rnd() < 0.5;
      const op = tpu.mul(b, { inputs: [arg(sa, s8(0.1)), arg(sb, bU ? u8(0.004) : s8(0.1))] }, { multiplier: Math.min(multiplier, 2 ** 20), rshift, do_relu: relu },
        { loc: 'm', resultType: tensorType(so, relu ? u8(0.1) : s8(0.1, int(-5, 5))) });
      check(op, [codes(sa), codes(sb, bU)], `Mul #${t} ${sa}x${sb}`);
    }
  });

  it('Add: the residual pair, zero and negative shifts, three inputs, broadcasts, ReLU limit', () => {
    const shapes: number[][][] = [
      [[1, 4, 6, 6], [1, 4, 6, 6]],
      [[1, 4, 6, 6], [1, 4, 1, 1]],
      [[1, 2, 3, 5], [1, 2, 3, 5], [1, 2, 3, 5]],
      [[3, 5], [1, 5]],
    ];
    for (let t = 0; t < 40; t++) {
      const ins = shapes[t % shapes.length]!;
      const out = ins[0]!;
      const { b, arg } = setup();
      const rshifts = ins.map(() => (t % 5 === 0 ? int(-3, 0) : int(1, 12)));
      const multipliers = rshifts.map((r) => int(0, 2 ** Math.max(1, r + 3)));
      const relu = rnd() < 0.3;
      const op = tpu.add(b, { inputs: ins.map((s) => arg(s, s8(0.1))) }, { multipliers, rshifts, do_relu: relu, relu_limit: relu && rnd() < 0.5 ? 5.1 : -1 },
        { loc: 'a', resultType: tensorType(out, s8(0.2, relu ? 0 : int(-3, 3))) });
      check(op, ins.map((s) => codes(s)), `Add #${t} r ${rshifts}`);
    }
  });

  it('Cast: quantize with ties, NaN and infinities; dequantize to f32 / f16 / bf16; float to float', () => {
    const shape = [1, 3, 7, 9];
    const cases: [Parameters<typeof tensorType>[1], Parameters<typeof tensorType>[1], () => NdArray][] = [
      [f32, s8(0.25), () => { const x = floats(shape, 100); x.data.forEach((_, i) => { if (i % 3 === 0) x.data[i] = (int(-300, 300) + 0.5) * 0.25; }); return x; }],
      [f32, u8(0.1, 128), () => floats(shape, 40)],
      [f16, s8(0.05), () => floats(shape, 10)],
      [s8(0.037), f32, () => codes(shape)],
      [u8(0.037, 100), f16, () => codes(shape, true)],
      [s8(0.0123), bf16, () => codes(shape)],
      [f32, f16, () => floats(shape, 1000)],
      [f32, bf16, () => floats(shape, 1000)],
      [f16, f32, () => floats(shape)],
    ];
    cases.forEach(([from, to, data], t) => {
      const { b, arg } = setup();
      const op = tpu.cast(b, { input: arg(shape, from) }, {}, { loc: 'c', resultType: tensorType(shape, to) });
      check(op, [data()], `Cast #${t}`);
    });
  });

  it('RequantInt: every rounding mode on ties and saturation', () => {
    const modes = ['HalfAwayFromZero', 'HalfUp', 'HalfToEven', 'HalfDown', 'Down', 'Up', 'TowardsZero'] as const;
    for (let t = 0; t < 28; t++) {
      const { b, arg } = setup();
      const round_mode = modes[t % modes.length]!;
      const [rshift, multiplier] = t < 14 ? [int(1, 2), int(1, 3)] : shiftAndMultiplier();
      const shape = [1, 2, 5, 6];
      const op = tpu.requantInt(b, { input: arg(shape, u8(0.1, int(0, 255))) }, { multiplier, rshift, quant_mode: 'MultiplierShift', round_mode },
        { loc: 'rq', resultType: tensorType(shape, s8(0.1, int(-10, 10))) });
      check(op, [codes(shape, true)], `RequantInt #${t} ${round_mode}`);
    }
  });

  it('RequantIntAxis: int32 accumulators per channel, negative values, rounding modes', () => {
    const modes = ['HalfAwayFromZero', 'HalfUp', 'HalfToEven', 'Down'] as const;
    for (let t = 0; t < 16; t++) {
      const { b, arg } = setup();
      const c = int(1, 6);
      const shape = [1, c, int(1, 6), int(1, 9)];
      const q = new Float32Array(3 * c);
      for (let ch = 0; ch < c; ch++) {
        const r = t < 4 ? int(1, 3) : int(1, 30);
        q.set([t < 4 ? int(1, 5) : int(1, 2 ** Math.min(30, r + 2)), -r, int(-10, 10)], 3 * ch);
      }
      const x = ndarray('f32', shape, Float32Array.from({ length: size(shape) }, () => (t < 4 ? int(-40, 40) : int(-(2 ** 20), 2 ** 20))));
      const op = tpu.requantIntAxis(b, { input: arg(shape, i32), quant: arg([1, c, 1, 3], i32) }, { quant_mode: 'MultiplierShift', round_mode: modes[t % modes.length]! },
        { loc: 'rqa', resultType: tensorType(shape, s8(0.1)) });
      check(op, [x, ndarray('f32', [1, c, 1, 3], q)], `RequantIntAxis #${t}`);
    }
  });

  it('Deconv: the int32 accumulator over strides, pads, dilations, groups, a zero point and a bias (wasm GEMM or js loops)', () => {
    for (let t = 0; t < 24; t++) {
      const { b, arg } = setup();
      const g = t % 4 === 3 ? 2 : 1;
      // t ≥ 20: sums past 2^24 possible (40 input channels, 4x4 taps): the js loops, not the f32 GEMM
      const ic = t >= 20 ? 40 : g * int(1, 3), oc = g * int(1, 3);
      const [ih, iw] = [int(1, 7), int(1, 7)];
      const [kh, kw] = t >= 20 ? [4, 4] : [int(1, 4), int(1, 4)];
      const [sh, sw] = [int(1, 3), int(1, 3)];
      const [dh, dw] = t % 5 === 4 ? [2, 2] : [1, 1];
      const pads = [int(0, kh - 1), int(0, kw - 1), int(0, kh - 1), int(0, kw - 1)];
      const oh = (ih - 1) * sh - pads[0]! - pads[2]! + dh * (kh - 1) + 1;
      const ow = (iw - 1) * sw - pads[1]! - pads[3]! + dw * (kw - 1) + 1;
      if (oh < 1 || ow < 1) continue;
      const inU = rnd() < 0.5;
      const bias = rnd() < 0.5;
      const w = codes([oc, ic / g, kh, kw]);
      const op = tpu.deconv(b, { input: arg([1, ic, ih, iw], inU ? u8(0.1, int(0, 255)) : s8(0.1)), filter: arg(w.shape as number[], i8), ...(bias ? { bias: arg([oc], i32) } : {}) },
        { kernel_shape: [kh, kw], strides: [sh, sw], pads, dilations: [dh, dw], group: g, with_bias: bias }, { loc: 'd', resultType: tensorType([1, oc, oh, ow], i32) });
      const bv = ndarray('f32', [oc], Float32Array.from({ length: oc }, () => int(-100000, 100000)));
      check(op, [codes([1, ic, ih, iw], inU), w, ...(bias ? [bv] : [])], `Deconv #${t}`);
    }
  });
});

describe('fast data-movement, pooling and Scale paths match the js kernels', () => {
  const types: [string, Parameters<typeof tensorType>[1], (s: number[]) => NdArray][] = [
    ['int8', s8(0.1, 3), (s) => codes(s)],
    ['f32', f32, (s) => floats(s)],
    ['f16', f16, (s) => floats(s)],
    ['bf16', bf16, (s) => floats(s)],
  ];

  for (const [name, el, data] of types) {
    it(`${name}: Concat on every axis (with a fused ReLU), Slice, Permute, Upsample, constant Pad`, () => {
      for (let axis = -1; axis < 4; axis++) {
        const { b, arg } = setup();
        const shapes = [int(1, 3), int(1, 3), int(1, 3)].map((d) => { const s = [2, 3, 4, 5]; s[(axis + 4) % 4] = d; return s; });
        const out = [...shapes[0]!]; out[(axis + 4) % 4] = shapes.reduce((p, s) => p + s[(axis + 4) % 4]!, 0);
        const relu = axis === 2;
        const op = tpu.concat(b, { inputs: shapes.map((s) => arg(s, el)) }, { axis, do_relu: relu, relu_limit: relu ? 1.5 : -1 }, { loc: 'c', resultType: tensorType(out, el) });
        check(op, shapes.map(data), `Concat axis ${axis}`);
      }
      const slices: [number[], { offset: number[]; ends: number[]; steps: number[]; axes: number[] }, number[]][] = [
        [[2, 5, 6, 7], { offset: [1, 2], ends: [5, 7], steps: [1, 2], axes: [2, 3] }, [2, 5, 4, 3]],
        [[2, 5, 6, 7], { offset: [-1, 0], ends: [-6, 5], steps: [-1, 2], axes: [1, 3] }, [2, 5, 6, 3]],
        [[1, 85, 30], { offset: [4], ends: [85], steps: [1], axes: [1] }, [1, 81, 30]],
        [[3, 8], { offset: [0, 1], ends: [3, 8], steps: [1, 3], axes: [] }, [3, 3]],
      ];
      for (const [s, attrs, o] of slices) {
        const { b, arg } = setup();
        const op = tpu.slice(b, { input: arg(s, el) }, attrs, { loc: 's', resultType: tensorType(o, el) });
        check(op, [data(s)], `Slice ${s} ${JSON.stringify(attrs)}`);
      }
      for (const [s, order] of [[[1, 85, 31], [0, 2, 1]], [[2, 3, 4, 5], [0, 2, 3, 1]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[1, 2, 3, 4, 5], [0, 1, 3, 4, 2]]] as [number[], number[]][]) {
        const { b, arg } = setup();
        const op = tpu.permute(b, { input: arg(s, el) }, { order }, { loc: 'p', resultType: tensorType(order.map((o) => s[o]!), el) });
        check(op, [data(s)], `Permute ${s} ${order}`);
      }
      for (const [sh, sw, relu] of [[2, 2, false], [1, 3, true], [3, 1, false]] as [number, number, boolean][]) {
        const { b, arg } = setup();
        const s = [1, 3, 5, 4];
        const op = tpu.upsample(b, { input: arg(s, el) }, { scale_h: sh, scale_w: sw, do_relu: relu }, { loc: 'u', resultType: tensorType([1, 3, 5 * sh, 4 * sw], el) });
        check(op, [data(s)], `Upsample ${sh}x${sw}`);
      }
      {
        const { b, arg } = setup();
        const s = [1, 4, 5, 6];
        const paddings = [0, 1, 2, 0, 0, 0, 1, 3];
        const op = tpu.pad(b, { input: arg(s, el) }, { paddings, val: name === 'int8' ? 3 : -0.7 }, { loc: 'pd', resultType: tensorType([1, 5, 8, 9], el) });
        check(op, [data(s)], 'Pad constant');
      }
    });

    it(`${name}: Pool2D max (separable) and average, pads, strides, windows past the input`, () => {
      const cases: { k: [number, number]; s: [number, number]; p: [number, number, number, number]; mode: 'Max' | 'Avg'; ih: number; iw: number; incl?: boolean; relu?: boolean }[] = [
        { k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], mode: 'Max', ih: 11, iw: 12 },
        { k: [13, 13], s: [1, 1], p: [6, 6, 6, 6], mode: 'Max', ih: 13, iw: 13, relu: true },
        { k: [2, 3], s: [2, 1], p: [0, 1, 1, 0], mode: 'Max', ih: 7, iw: 6 },
        { k: [3, 3], s: [2, 2], p: [0, 0, 0, 0], mode: 'Avg', ih: 9, iw: 9 },
        { k: [3, 3], s: [1, 1], p: [1, 1, 1, 1], mode: 'Avg', ih: 6, iw: 7, incl: true },
        { k: [8, 8], s: [1, 1], p: [0, 0, 0, 0], mode: 'Avg', ih: 8, iw: 8, relu: true },
      ];
      for (const c of cases) {
        const { b, arg } = setup();
        const oh = Math.floor((c.ih + c.p[0] + c.p[2] - c.k[0]) / c.s[0]) + 1;
        const ow = Math.floor((c.iw + c.p[1] + c.p[3] - c.k[1]) / c.s[1]) + 1;
        const shape = [2, 3, c.ih, c.iw];
        const op = tpu.pool2D(b, { input: arg(shape, el) }, {
          kernel_shape: c.k, strides: c.s, pads: c.p, pool_mode: c.mode, count_include_pad: c.incl ?? false, do_relu: c.relu ?? false,
          ...(name === 'int8' && c.mode === 'Avg' ? { multiplier: int(50, 120), rshift: int(8, 11) } : {}),
        }, { loc: 'pool', resultType: tensorType([2, 3, oh, ow], el) });
        check(op, [data(shape)], `Pool2D ${JSON.stringify(c)}`);
      }
    });
  }

  for (const [name, el] of [['f32', f32], ['f16', f16], ['bf16', bf16]] as const) {
    it(`${name}: Scale per channel, with and without ReLU`, () => {
      for (const relu of [false, true]) {
        const { b, arg } = setup();
        const shape = [1, 5, 6, 7];
        const op = tpu.scale(b, { input: arg(shape, el), scale: arg([5], el), bias: arg([5], el) }, { do_relu: relu, relu_limit: relu ? 0.8 : -1 }, { loc: 'sc', resultType: tensorType(shape, el) });
        check(op, [floats(shape), floats([5]), floats([5])], `Scale relu ${relu}`);
      }
    });
  }
});
