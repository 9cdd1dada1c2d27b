// Float (F32 / F16 / BF16) tpu.Conv2D and tpu.MatMul on the wasm backend (src/kernels/wasm-float.ts:
// the runtime's f32 top.Conv / top.MatMul kernels, the result rounded to the element type), and the
// elementwise ops, tpu.Active and tpu.Deconv (src/kernels/wasm-float-eltwise.ts), against
// the js kernels (f64 sums), both run by sessions on the same small modules: F32 within 1e-5 of
// the result's largest magnitude; F16 / BF16 equal but where the f32 and f64 sums round to
// neighbouring values (at most 1 ulp of the type, and rarely). The runtime's in-place f16 / bf16
// rounding they use is checked bit for bit against ir's exact roundToFloat.
import { describe, expect, it } from 'vitest';
import { bf16, f16, f32, Func, Module, ndarray, Op, OpBuilder, roundToFloat, tensorType, top, type FloatType, type NdArray, type Value } from '@tpu-quant/ir';
import { createSession, roundBF16InPlace, roundF16InPlace, roundToBF16, roundToF16 } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';
import { convCaseGeometry, rand } from './helpers.js';

const TYPES: FloatType[] = [f32, f16, bf16];
const roundTo = (t: FloatType, x: Float32Array): Float32Array =>
  t === f16 ? roundToF16(ndarray('f32', [x.length], x)).data : t === bf16 ? roundToBF16(ndarray('f32', [x.length], x)).data : x;

/** The spacing of `t`'s values around v (f16 subnormals: 2^-24). */
function ulp(t: FloatType, v: number): number {
  const e = Math.floor(Math.log2(Math.abs(v) || 2 ** -30));
  return t === f16 ? 2 ** (Math.max(e, -14) - 10) : 2 ** (e - 7);
}

/** wasm vs js: F32 within 1e-5 of the largest |js|; F16 / BF16 at most 1 ulp apart and ≥ 98% equal. */
function expectClose(t: FloatType, got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const maxAbs = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(maxAbs, what).toBeGreaterThan(0);
  let equal = 0;
  let worst = '';
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (g === w) { equal++; continue; }
    const ok = t === f32 ? Math.abs(g - w) <= 1e-5 * maxAbs : Math.abs(g - w) <= ulp(t, Math.max(Math.abs(g), Math.abs(w)));
    if (!ok && !worst) worst = `${what}: [${i}] wasm ${g} js ${w}`;
  }
  expect(worst).toBe('');
  if (t !== f32) expect(equal / want.length, `${what}: share of equal elements`).toBeGreaterThanOrEqual(0.98);
}

/** Runs `m` on js and on wasm; checks that `type` ran on wasm; returns both results of `out`. */
async function bothBackends(m: Module, x: NdArray, type: string): Promise<[Float32Array, Float32Array]> {
  const js = await createSession(m, { backend: 'js' });
  const wasm = await createSession(m, { backend: 'wasm' });
  const ops = wasm.kernelReport().ops.filter((o) => o.type === type);
  expect(ops.length).toBe(1);
  expect(ops[0]!.backend).toBe('wasm');
  const feed = { [js.inputNames[0]!]: x };
  const a = (await js.run(feed)).outputs;
  const first = (await wasm.run(feed)).outputs;
  // a second run reuses the resident filter: same numbers
  const b = (await wasm.run(feed)).outputs;
  const [ja, wa, wb] = [a, first, b].map((o) => [...o.values()][0]!.data as Float32Array) as [Float32Array, Float32Array, Float32Array];
  expect([...wb]).toEqual([...wa]);
  await js.dispose();
  await wasm.dispose();
  return [wa, ja];
}

/** A module of one op fed by a top.Input `x` of `shape` and type `t`. */
function moduleWith(shape: number[], t: FloatType, build: (b: OpBuilder, x: Value) => Value): Module {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const out = build(b, top.input(b, { input: f.addArgument(tensorType(shape, t)) }, {}, { loc: 'x' }).result());
  f.resultTypes = [out.type];
  f.append(new Op('func.return', { operands: [out] }));
  return m;
}

interface ConvCase {
  n?: number; ic: number; oc: number; ih: number; iw: number; k: [number, number]; s?: [number, number];
  d?: [number, number]; pads?: [number, number, number, number]; g?: number; relu?: number; bias?: boolean;
}

const CONVS: [string, ConvCase][] = [
  ['3×3, pads 1, bias', { ic: 8, oc: 16, ih: 10, iw: 9, k: [3, 3], pads: [1, 1, 1, 1], bias: true }],
  ['grouped (2), stride 2', { ic: 8, oc: 12, ih: 11, iw: 12, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], g: 2, bias: true }],
  ['depthwise, ReLU6', { ic: 16, oc: 16, ih: 9, iw: 9, k: [3, 3], pads: [1, 1, 1, 1], g: 16, relu: 6, bias: true }],
  ['depthwise ×2, 5×5 stride 2, no bias', { ic: 8, oc: 16, ih: 12, iw: 10, k: [5, 5], s: [2, 2], pads: [2, 2, 2, 2], g: 8 }],
  ['dilated 2, no bias', { ic: 6, oc: 10, ih: 12, iw: 12, k: [3, 3], d: [2, 2], pads: [2, 2, 2, 2] }],
  ['1×1 (direct), ReLU', { ic: 32, oc: 24, ih: 7, iw: 6, k: [1, 1], relu: 0, bias: true }],
  ['batch 2, asymmetric pads, stride 2×1, ReLU6', { n: 2, ic: 5, oc: 7, ih: 9, iw: 8, k: [3, 2], s: [2, 1], pads: [0, 1, 1, 0], relu: 6, bias: true }],
];

describe('float tpu.Conv2D: wasm (f32 sums) vs js (f64 sums)', () => {
  it.each(CONVS.flatMap(([name, c]) => TYPES.map((t) => ({ name, c, t }))))('$name in $t.name', async ({ c, t }) => {
    const { n, g, kh, kw, oh, ow, attrs } = convCaseGeometry(c);
    const seed = c.ic * 131 + c.oc * 7 + kh;
    // weights as an F16 / BF16 module holds them: values of the type
    const w = roundTo(t, rand(c.oc * (c.ic / g) * kh * kw, seed, 0.5));
    const bias = rand(c.oc, seed + 1, 1);
    const m = moduleWith([n, c.ic, c.ih, c.iw], t, (b, x) => {
      return tpu.conv2D(b, {
        input: x, filter: b.weight('w', ndarray('f32', [c.oc, c.ic / g, kh, kw], w)),
        ...(c.bias ? { bias: b.weight('b', ndarray('f32', [c.oc], bias)) } : {}),
      }, {
        ...attrs, with_bias: !!c.bias,
        do_relu: c.relu !== undefined, relu_limit: c.relu ? c.relu : -1,
      }, { loc: 'c', resultType: tensorType([n, c.oc, oh, ow], t) }).result();
    });
    // inputs off the type's grid: both kernels round them to it first
    const x = ndarray('f32', [n, c.ic, c.ih, c.iw], rand(n * c.ic * c.ih * c.iw, seed + 2, 3));
    const [got, want] = await bothBackends(m, x, 'tpu.Conv2D');
    expectClose(t, got, want, 'conv');
    if (c.relu !== undefined) expect(Math.min(...got)).toBe(0);
    if (c.relu) expect(Math.max(...got)).toBeLessThanOrEqual(c.relu);
    expect([...roundTo(t, got)]).toEqual([...got]);
  });
});

interface MatMulCase { xs: number[]; ws: [number, number]; rt?: boolean; bias?: boolean; relu?: number }

const MATMULS: [string, MatMulCase][] = [
  ['[2, 5, 37] × [37, 19] + bias', { xs: [2, 5, 37], ws: [37, 19], bias: true }],
  ['[6, 40] × [23, 40]ᵀ, ReLU, no bias', { xs: [6, 40], ws: [23, 40], rt: true, relu: 0 }],
  ['[1, 4, 3, 8] flattened × [24, 10] + bias, ReLU6', { xs: [1, 4, 3, 8], ws: [24, 10], bias: true, relu: 6 }],
];

describe('float tpu.MatMul (2-D right operand): wasm (f32 sums) vs js (f64 sums)', () => {
  it.each(MATMULS.flatMap(([name, c]) => TYPES.map((t) => ({ name, c, t }))))('$name in $t.name', async ({ c, t }) => {
    const [r0, r1] = c.ws;
    const [k, nOut] = c.rt ? [r1, r0] : [r0, r1];
    const size = c.xs.reduce((p, d) => p * d, 1);
    const outShape = c.xs.at(-1) === k ? [...c.xs.slice(0, -1), nOut] : [1, size / k, nOut];
    const w = roundTo(t, rand(r0 * r1, 41 + k, 0.4));
    const m = moduleWith(c.xs, t, (b, x) => {
      return tpu.matMul(b, {
        input: x, right: b.weight('w', ndarray('f32', [r0, r1], w)),
        ...(c.bias ? { bias: b.weight('b', ndarray('f32', [nOut], rand(nOut, 43, 1))) } : {}),
      }, { right_transpose: !!c.rt, do_relu: c.relu !== undefined, relu_limit: c.relu ? c.relu : -1 }, { loc: 'mm', resultType: tensorType(outShape, t) }).result();
    });
    const x = ndarray('f32', c.xs, rand(size, 44 + k, 2));
    const [got, want] = await bothBackends(m, x, 'tpu.MatMul');
    expectClose(t, got, want, 'matmul');
    if (c.relu) expect(Math.max(...got)).toBeLessThanOrEqual(c.relu);
    expect([...roundTo(t, got)]).toEqual([...got]);
  });
});

interface EltCase { xs: number[]; build: (b: OpBuilder, x: Value, t: FloatType) => Value; type: string; lo?: number; hi?: number }

const out = (shape: number[], t: FloatType, loc: string) => ({ loc, resultType: tensorType(shape, t) });
const wgt = (b: OpBuilder, name: string, shape: number[], t: FloatType, seed: number): Value =>
  b.weight(name, ndarray('f32', shape, roundTo(t, rand(shape.reduce((p, d) => p * d, 1), seed, 1.5))));

// the second operand of Add / Mul: a weight broadcast over [1, 6, 5, 7], or another activation
const ELTWISE: [string, EltCase][] = [
  ['Add, same shapes (x + 0.7x), ReLU6', { xs: [1, 6, 5, 7], type: 'tpu.Add', build: (b, x, t) => {
    const y = tpu.mulConst(b, { input: x }, { const_val: 0.7 }, out([1, 6, 5, 7], t, 'y')).result();
    return tpu.add(b, { inputs: [x, y] }, { do_relu: true, relu_limit: 6 }, out([1, 6, 5, 7], t, 'a')).result();
  } }],
  ['Add, coeff [1, -2], channel broadcast', { xs: [1, 6, 5, 7], type: 'tpu.Add', build: (b, x, t) =>
    tpu.add(b, { inputs: [x, wgt(b, 'w', [1, 6, 1, 1], t, 5)] }, { coeff: [1, -2] }, out([1, 6, 5, 7], t, 'a')).result() }],
  ['Add, row broadcast [7] and rank 3 [6, 1, 7]', { xs: [2, 6, 5, 7], type: 'tpu.Add', build: (b, x, t) =>
    tpu.add(b, { inputs: [wgt(b, 'w', [6, 1, 7], t, 6), x] }, {}, out([2, 6, 5, 7], t, 'a')).result() }],
  ['Mul, channel broadcast, ReLU', { xs: [1, 6, 5, 7], type: 'tpu.Mul', build: (b, x, t) =>
    tpu.mul(b, { inputs: [x, wgt(b, 'w', [1, 6, 1, 1], t, 7)] }, { do_relu: true }, out([1, 6, 5, 7], t, 'm')).result() }],
  ['Mul, [1, 1, 5, 7] broadcast over batch and channels', { xs: [2, 3, 5, 7], type: 'tpu.Mul', build: (b, x, t) =>
    tpu.mul(b, { inputs: [x, wgt(b, 'w', [1, 1, 5, 7], t, 8)] }, {}, out([2, 3, 5, 7], t, 'm')).result() }],
  ['AddConst', { xs: [1, 4, 9, 11], type: 'tpu.AddConst', build: (b, x, t) =>
    tpu.addConst(b, { input: x }, { const_val: 0.3187 }, out([1, 4, 9, 11], t, 'ac')).result() }],
  ['AddConst, ReLU6', { xs: [1, 4, 9, 11], type: 'tpu.AddConst', lo: 0, hi: 6, build: (b, x, t) =>
    tpu.addConst(b, { input: x }, { const_val: 1.5, do_relu: true, relu_limit: 6 }, out([1, 4, 9, 11], t, 'ac')).result() }],
  ['MulConst', { xs: [1, 4, 9, 11], type: 'tpu.MulConst', build: (b, x, t) =>
    tpu.mulConst(b, { input: x }, { const_val: -1.713 }, out([1, 4, 9, 11], t, 'mc')).result() }],
  ['MulConst, ReLU', { xs: [1, 4, 9, 11], type: 'tpu.MulConst', lo: 0, build: (b, x, t) =>
    tpu.mulConst(b, { input: x }, { const_val: 2.25, do_relu: true }, out([1, 4, 9, 11], t, 'mc')).result() }],
];

describe('float tpu.Add / Mul / AddConst / MulConst: wasm (f32) vs js (f64)', () => {
  it.each(ELTWISE.flatMap(([name, c]) => TYPES.map((t) => ({ name, c, t }))))('$name in $t.name', async ({ c, t }) => {
    const m = moduleWith(c.xs, t, (b, x) => c.build(b, x, t));
    const x = ndarray('f32', c.xs, rand(c.xs.reduce((p, d) => p * d, 1), 97 + c.xs[1]!, 4));
    const [got, want] = await bothBackends(m, x, c.type);
    expectClose(t, got, want, c.type);
    if (c.lo !== undefined) expect(Math.min(...got)).toBe(c.lo);
    if (c.hi !== undefined) expect(Math.max(...got)).toBeLessThanOrEqual(c.hi);
    expect([...roundTo(t, got)]).toEqual([...got]);
  });
});

// the modes with a wasm top activation, and those on the one-pass js path (LOG / SQRT on x > 0)
const MODES: [string, number[] | undefined, number][] = [
  ['SIGMOID', undefined, 0], ['SILU', undefined, 0], ['TANH', undefined, 0], ['EXP', undefined, 0],
  ['HSWISH', undefined, 0], ['HSIGMOID', [0.5, 0.2], 0], ['HSIGMOID', undefined, 0], ['GELU', undefined, 0],
  ['TGELU', undefined, 0], ['QGELU', undefined, 0], ['LOG', undefined, 4.5], ['SQRT', undefined, 4.5], ['ABS', undefined, 0],
];

describe('float tpu.Active: wasm / one-pass js vs the js kernel', () => {
  it.each(MODES.flatMap(([mode, coeffs, offset]) => TYPES.map((t) => ({ mode, coeffs, offset, t }))))('$mode $coeffs in $t.name', async ({ mode, coeffs, offset, t }) => {
    const shape = [1, 5, 13, 17];
    const m = moduleWith(shape, t, (b, x) => tpu.active(b, { input: x }, { mode: mode as 'GELU', ...(coeffs ? { coeffs } : {}) }, out(shape, t, 'act')).result());
    const x = ndarray('f32', shape, rand(5 * 13 * 17, 211, 4.4, offset));
    const [got, want] = await bothBackends(m, x, 'tpu.Active');
    expectClose(t, got, want, mode);
    expect([...roundTo(t, got)]).toEqual([...got]);
  });
});

interface DeconvCase { ic: number; oc: number; ih: number; iw: number; k: [number, number]; s: [number, number]; pads: [number, number, number, number]; d?: [number, number]; g?: number; bias?: boolean; relu?: number }

const DECONVS: [string, DeconvCase][] = [
  ['2×2 stride 2 (PP-OCR upsampling), no bias', { ic: 8, oc: 6, ih: 7, iw: 9, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0] }],
  ['3×3 stride 2, pads 1, bias, ReLU', { ic: 5, oc: 7, ih: 6, iw: 5, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], bias: true, relu: 0 }],
  ['4×3 stride 1×2, asymmetric pads, dilated 2×1, ReLU6', { ic: 4, oc: 3, ih: 5, iw: 6, k: [4, 3], s: [1, 2], pads: [1, 0, 2, 1], d: [2, 1], bias: true, relu: 6 }],
  ['grouped (2), stride 2: js', { ic: 6, oc: 4, ih: 5, iw: 5, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], g: 2, bias: true }],
];

describe('float tpu.Deconv: wasm (f32 GEMM + col2im) vs js (f64 scatter)', () => {
  it.each(DECONVS.flatMap(([name, c]) => TYPES.map((t) => ({ name, c, t }))))('$name in $t.name', async ({ c, t }) => {
    const g = c.g ?? 1;
    const [kh, kw] = c.k;
    const [sh, sw] = c.s;
    const [dh, dw] = c.d ?? [1, 1];
    const [pt, pl, pb, pr] = c.pads;
    const oh = (c.ih - 1) * sh - pt - pb + dh * (kh - 1) + 1;
    const ow = (c.iw - 1) * sw - pl - pr + dw * (kw - 1) + 1;
    const m = moduleWith([1, c.ic, c.ih, c.iw], t, (b, x) => tpu.deconv(b, {
      input: x, filter: b.weight('w', ndarray('f32', [c.oc, c.ic / g, kh, kw], roundTo(t, rand(c.oc * (c.ic / g) * kh * kw, 301 + c.ic, 0.6)))),
      ...(c.bias ? { bias: b.weight('b', ndarray('f32', [c.oc], rand(c.oc, 302, 1))) } : {}),
    }, {
      kernel_shape: c.k, strides: c.s, pads: c.pads, dilations: [dh, dw], group: g, with_bias: !!c.bias,
      do_relu: c.relu !== undefined, relu_limit: c.relu ? c.relu : -1,
    }, out([1, c.oc, oh, ow], t, 'dc')).result());
    const x = ndarray('f32', [1, c.ic, c.ih, c.iw], rand(c.ic * c.ih * c.iw, 303, 2.5));
    if (g !== 1) {
      // grouped: no wasm top kernel takes it; the session runs the js kernel
      const s = await createSession(m, { backend: 'wasm' });
      expect(s.kernelReport().ops.find((o) => o.type === 'tpu.Deconv')!.backend).toBe('js');
      await s.dispose();
      return;
    }
    const [got, want] = await bothBackends(m, x, 'tpu.Deconv');
    expectClose(t, got, want, 'deconv');
    if (c.relu !== undefined) expect(Math.min(...got)).toBe(0);
    if (c.relu) expect(Math.max(...got)).toBeLessThanOrEqual(c.relu);
    expect([...roundTo(t, got)]).toEqual([...got]);
  });
});

describe("the runtime's in-place f16 / bf16 rounding", () => {
  // random bit patterns over every exponent, plus the edges: ties, f16 subnormals and its largest
  // values, the overflow threshold, zeros, infinities, NaN
  const bits = new Uint32Array(200_000);
  let s = 12345;
  for (let i = 0; i < bits.length; i++) bits[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  const edges = [0, -0, 1, -1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -14, 2 ** -14 - 2 ** -25, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, -(2 ** -25),
    65504, 65505, 65519.99, 65520, -65520, 1e9, Infinity, -Infinity, NaN, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38];
  const values = new Float32Array(bits.length + edges.length);
  values.set(new Float32Array(bits.buffer));
  values.set(edges, bits.length);

  it.each([
    ['f16', roundF16InPlace],
    ['bf16', roundBF16InPlace],
  ] as const)('%s: bit for bit ir\'s exact rounding', (name, inPlace) => {
    const want = Float32Array.from(values, (v) => roundToFloat(v, name));
    const got = values.slice();
    inPlace(got);
    const i = got.findIndex((v, k) => !Object.is(v, want[k]) && !(Number.isNaN(v) && Number.isNaN(want[k])));
    expect(i < 0 ? '' : `[${i}] ${values[i]}: ${got[i]} vs ${want[i]}`).toBe('');
  });
});
