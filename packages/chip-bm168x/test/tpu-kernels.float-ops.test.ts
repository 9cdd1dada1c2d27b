// The float-only tpu kernels of lower-float-extra.ts (LayerNorm, MulConst, Scale, the GELU /
// HSWISH / HSIGMOID modes of Active, MatMul with a batched right operand) against an f64
// reference computed here from the same (already rounded) inputs: F32 results within f32
// rounding, F16 / BF16 results equal to the reference rounded once (LayerNorm in BF16 rounds each
// step as upstream's normlize_bf16, so it is checked on hand-computed values and within a few
// bf16 steps).
import { describe, expect, it } from 'vitest';
import { bf16, f16, f32, Func, Module, ndarray, OpBuilder, tensorType, type FloatType, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { getKernel, roundToBF16, roundToF16 } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';
import { rand } from './helpers.js';

function run(op: Op, inputs: (NdArray | undefined)[]): Float32Array {
  const k = getKernel(op.type, 'js')!;
  const out = k.run({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() });
  return out[0]!.data as Float32Array;
}

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el: FloatType = f32) => f.addArgument(tensorType(shape, el)) };
}
const arr = (shape: number[], v: ArrayLike<number>) => ndarray('f32', shape, Float32Array.from(v));
const rounders: Record<string, (x: Float32Array) => Float32Array> = {
  f32: (x) => x,
  f16: (x) => roundToF16(arr([x.length], x)).data,
  bf16: (x) => roundToBF16(arr([x.length], x)).data,
};
/** f64 values rounded once to `t` (through f32, as the kernels store them). */
const roundedTo = (t: FloatType, v: number[]): number[] => [...rounders[t.name]!(Float32Array.from(v))];

/** f64 reference LayerNorm over the last `inner` values of each row. */
function layerNormRef(x: ArrayLike<number>, inner: number, w: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined, eps: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < x.length / inner; o++) {
    const row = Array.from({ length: inner }, (_, j) => x[o * inner + j]!);
    const mean = row.reduce((s, v) => s + v, 0) / inner;
    const v = row.reduce((s, x) => s + (x - mean) ** 2, 0) / inner;
    row.forEach((xv, j) => out.push(((xv - mean) / Math.sqrt(v + Math.fround(eps))) * (w ? w[j]! : 1) + (b ? b[j]! : 0)));
  }
  return out;
}

describe('tpu.LayerNorm', () => {
  const x = rand(2 * 5 * 12, 11, 3, 0.5);
  const w = rand(12, 12, 1, 1);
  const bias = rand(12, 13, 0.5);

  it.each([
    { t: f32, wShape: [12] },
    { t: f16, wShape: [1, 1, 12] },
  ])('$t.name: normalizes the last axis with weight shaped $wShape, the result rounded once', ({ t, wShape }) => {
    const { b, arg } = setup();
    const op = tpu.layerNorm(b, { input: arg([2, 5, 12], t), weight: arg(wShape, t), bias: arg(wShape, t) }, { normalized_shape: [12], axis: -1, eps: 1e-5 }, {
      loc: 'ln', resultType: tensorType([2, 5, 12], t),
    });
    // the kernel reads the inputs as the type holds them
    const [xr, wr, br] = [x, w, bias].map((v) => rounders[t.name]!(v)) as [Float32Array, Float32Array, Float32Array];
    const got = [...run(op, [arr([2, 5, 12], x), arr(wShape, w), arr(wShape, bias)])];
    const ref = layerNormRef(xr, 12, wr, br, 1e-5);
    if (t === f32) got.forEach((g, i) => expect(Math.abs(g - ref[i]!)).toBeLessThanOrEqual(Math.abs(ref[i]!) * 2 ** -24 + 1e-12));
    else expect(got).toEqual(roundedTo(t, ref));
  });

  it('normalizes over two axes (axis 1 of [2, 3, 4]) without weight and bias', () => {
    const { b, arg } = setup();
    const op = tpu.layerNorm(b, { input: arg([2, 3, 4]) }, { normalized_shape: [3, 4], axis: 1, eps: 1e-6 }, { loc: 'ln', resultType: tensorType([2, 3, 4], f32) });
    const xs = rand(24, 3, 2);
    const got = [...run(op, [arr([2, 3, 4], xs)])];
    layerNormRef(xs, 12, undefined, undefined, 1e-6).forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
  });

  it('bf16: every step rounded to bf16 (upstream normlize_bf16), hand-checked', () => {
    const { b, arg } = setup();
    const op = tpu.layerNorm(b, { input: arg([1, 3], bf16) }, { normalized_shape: [3], axis: 1, eps: 1e-5 }, { loc: 'ln', resultType: tensorType([1, 3], bf16) });
    // avg = bf16(1/3) = 0.333984375; mean = bf16(3·avg) = 1; var = bf16(2·avg) = 0.66796875 (eps lost);
    // √var = 0.817… → bf16 0.81640625; 1/that = 1.2249 → bf16 1.2265625
    expect([...run(op, [arr([1, 3], [0, 1, 2])])]).toEqual([-1.2265625, 0, 1.2265625]);
    // random rows: within a few bf16 steps (2^-8 relative) of the f64 result
    const op2 = tpu.layerNorm(b, { input: arg([4, 16], bf16), weight: arg([16], bf16), bias: arg([16], bf16) }, { normalized_shape: [16], axis: 1, eps: 1e-5 }, {
      loc: 'ln2', resultType: tensorType([4, 16], bf16),
    });
    const xs = rounders.bf16!(rand(64, 21, 2, 1));
    const ws = rounders.bf16!(rand(16, 22, 1, 1));
    const bs = rounders.bf16!(rand(16, 23, 0.3));
    const got = run(op2, [arr([4, 16], xs), arr([16], ws), arr([16], bs)]);
    expect([...rounders.bf16!(got)]).toEqual([...got]);
    const ref = layerNormRef(xs, 16, ws, bs, 1e-5);
    const scale = Math.max(...ref.map(Math.abs));
    ref.forEach((r, i) => expect(Math.abs(got[i]! - r)).toBeLessThan(8 * 2 ** -8 * scale));
  });
});

describe('tpu.Active GELU / TGELU / QGELU / HSWISH / HSIGMOID', () => {
  // inputs every type holds exactly
  const xs = [-4, -1, -0.5, 0, 0.25, 1, 2, 3.5, 7];
  const erfRef: Record<number, number> = {
    // 0.5·x·(1 + erf(x/√2)) from scipy-verified constants: Φ(x) = 0.5·(1 + erf(x/√2))
    [-4]: -4 * 3.167124183311992e-5, [-1]: -0.15865525393145707, [-0.5]: -0.5 * 0.3085375387259869, 0: 0,
    0.25: 0.25 * 0.5987063256829237, 1: 0.8413447460685429, 2: 2 * 0.9772498680518208, 3.5: 3.5 * 0.9997673709209645, 7: 7 * 0.9999999999987201,
  };
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const refs: Record<string, (v: number) => number> = {
    GELU: (v) => erfRef[v]!,
    TGELU: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    QGELU: (v) => v * sig(1.702 * v),
    HSWISH: (v) => (v * Math.min(6, Math.max(0, v + 3))) / 6,
    HSIGMOID: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  };
  it.each(Object.keys(refs).flatMap((mode) => [f32, f16, bf16].map((t) => ({ mode, t }))))('$mode in $t.name', ({ mode, t }) => {
    const { b, arg } = setup();
    const coeffs = mode === 'HSIGMOID' ? { coeffs: [0.5, 0.2] } : {};
    const op = tpu.active(b, { input: arg([xs.length], t) }, { mode: mode as 'GELU', ...coeffs }, { loc: 'a', resultType: tensorType([xs.length], t) });
    const got = [...run(op, [arr([xs.length], xs)])];
    const ref = xs.map(refs[mode]!);
    const want = roundedTo(t, ref);
    // f64 functions differ from the references by far less than an f32 step; equal after rounding
    // except where the f64 value sits on a rounding boundary (none of these)
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(t === f32 ? Math.abs(want[i]!) * 2 ** -23 : 0));
  });
});

describe('tpu.MulConst and tpu.Scale (float)', () => {
  it.each([f32, f16, bf16])('MulConst in %s: x·c with ReLU and limit, rounded once', (t) => {
    const { b, arg } = setup();
    const xs = rand(10, 5, 4);
    const op = tpu.mulConst(b, { input: arg([10], t) }, { const_val: 0.37, do_relu: true, relu_limit: 1.5 }, { loc: 'm', resultType: tensorType([10], t) });
    const xr = rounders[t.name]!(xs);
    const got = [...run(op, [arr([10], xs)])];
    expect(got).toEqual(roundedTo(t, [...xr].map((v) => Math.min(1.5, Math.max(0, v * 0.37)))));
  });

  it.each([f32, f16, bf16])('Scale in %s: x·scale[c] + bias[c] on axis 1', (t) => {
    const { b, arg } = setup();
    const xs = rand(2 * 3 * 4, 6, 2);
    const s = rand(3, 7, 1.5);
    const bi = rand(3, 8, 0.5);
    const op = tpu.scale(b, { input: arg([2, 3, 2, 2], t), scale: arg([1, 3, 1, 1], t), bias: arg([1, 3, 1, 1], t) }, {}, { loc: 's', resultType: tensorType([2, 3, 2, 2], t) });
    const [xr, sr, br] = [xs, s, bi].map((v) => rounders[t.name]!(v)) as [Float32Array, Float32Array, Float32Array];
    const got = [...run(op, [arr([2, 3, 2, 2], xs), arr([1, 3, 1, 1], s), arr([1, 3, 1, 1], bi)])];
    const ref = [...xr].map((v, i) => {
      const c = Math.floor(i / 4) % 3;
      return v * sr[c]! + br[c]!;
    });
    expect(got).toEqual(roundedTo(t, ref));
  });
});

describe('tpu.MatMul with a batched right operand (float act × act)', () => {
  function ref(x: Float32Array, xb: number, w: Float32Array, wb: number, batches: number, m: number, k: number, n: number, rt: boolean): number[] {
    const out: number[] = [];
    for (let bt = 0; bt < batches; bt++) {
      const xo = (xb === 1 ? 0 : bt) * m * k;
      const wo = (wb === 1 ? 0 : bt) * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s += x[xo + i * k + t]! * w[wo + (rt ? j * k + t : t * n + j)]!;
          out.push(s);
        }
      }
    }
    return out;
  }

  it.each([
    { xs: [3, 5, 4], ws: [3, 4, 6], rt: false, t: f32 },
    { xs: [3, 5, 4], ws: [1, 4, 6], rt: false, t: f16 },
    { xs: [1, 5, 4], ws: [3, 6, 4], rt: true, t: bf16 },
  ])('$xs × $ws (right_transpose $rt) in $t.name', ({ xs, ws, rt, t }) => {
    const { b, arg } = setup();
    const batches = Math.max(xs[0]!, ws[0]!);
    const [m, k] = [xs[1]!, xs[2]!];
    const n = rt ? ws[1]! : ws[2]!;
    const op = tpu.matMul(b, { input: arg(xs, t), right: arg(ws, t) }, { right_transpose: rt }, { loc: 'mm', resultType: tensorType([batches, m, n], t) });
    const x = rand(xs.reduce((p, d) => p * d, 1), 31, 1);
    const w = rand(ws.reduce((p, d) => p * d, 1), 32, 1);
    const got = [...run(op, [arr(xs, x), arr(ws, w)])];
    const r = ref(rounders[t.name]!(x), xs[0]!, rounders[t.name]!(w), ws[0]!, batches, m, k, n, rt);
    if (t === f32) got.forEach((g, i) => expect(g).toBeCloseTo(r[i]!, 5));
    else expect(got).toEqual(roundedTo(t, r));
  });
});
