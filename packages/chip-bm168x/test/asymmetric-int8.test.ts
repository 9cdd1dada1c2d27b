// Asymmetric INT8 (`--asymmetric`, spec deploy.md §3.2-§3.3, §3.10, §3.13) for the BM1684X family:
// the zero-point arithmetic of the kernels on hand-checked cases (Conv padding with the input zero
// point and the bias correction, requant to an output zero point, LUTs over codes with zero points,
// the RequantFp-style average pool, the MatMul bias fold), a Conv lowered from top against a BigInt
// reference, and a small module lowered asymmetric: its types and ops, its outputs against the
// float module, and the wasm backend equal to the js kernels on every tensor.
import { describe, expect, it } from 'vitest';
import {
  f32, Func, i8, Module, ndarray, OpBuilder, printMlir, runPipeline, tensorType, ui8, uniformType,
  type NdArray, type Op, type TensorType,
} from '@tpu-quant/ir';
import { createSession, getKernel, type KernelContext } from '@tpu-quant/runtime';
import {
  buildLut8, importCalibration, lowerTopToTpu, propagateCalibration, quantizeMatMulBM1684X, rightShiftRoundBig, tpu, type CalibrationRow,
} from '../src/index.js';
import { conv2dWasm } from '../src/kernels/wasm-conv2d.js';
import { int8Wasm } from '../src/kernels/wasm-int8.js';
import { Graph, rand, top } from './helpers.js';

const ctxOf = (op: Op, inputs: NdArray[]): KernelContext => ({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() });
const js = (op: Op, inputs: NdArray[]): number[] => [...(getKernel(op.type, 'js')!.run(ctxOf(op, inputs))[0]!.data as Float32Array)];

function setup() {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  return { m, b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1]) => f.addArgument(tensorType(shape, el)) };
}
const f32s = (shape: number[], v: number[]): NdArray => ndarray('f32', shape, Float32Array.from(v));

describe('zero-point arithmetic of the INT8 kernels, hand-checked', () => {
  it('Conv2D: pads hold the input zero point, the int32 bias subtracts Σ Wq·ZPi, requant adds the output zero point (js and wasm)', () => {
    const { m, b, arg } = setup();
    // u8 input, zero point 10: q − zp = [[2, 10], [0, 20]]
    const x = arg([1, 1, 2, 2], uniformType(ui8, 0.1, 10));
    const w = ndarray('i8', [1, 1, 3, 3], Int8Array.from([1, 2, 1, 0, -1, 0, 1, 1, 1]));
    // −Σ Wq · ZPi = −(6 · 10)
    const bias = ndarray('i32', [1], Int32Array.from([-60]));
    m.weights = new Map<string, NdArray>([['w', w], ['b', bias]]);
    const op = tpu.conv2D(b, { input: x, filter: b.weight('w', w), bias: b.weight('b', bias) }, {
      kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], with_bias: true, multiplier: [3], rshift: [2],
    }, { loc: 'c', resultType: tensorType([1, 1, 2, 2], uniformType(i8, 0.2, -5)) });
    // Σ W·(q − zp) per output: 18, 10, 14, 2; ·3 >> 2 with HalfUp: 14, 8, 11, 2; + (−5)
    const inputs = [f32s([1, 1, 2, 2], [12, 20, 10, 30]), f32s([1, 1, 3, 3], [...w.data]), f32s([1], [-60])];
    expect(js(op, inputs)).toEqual([9, 3, 6, -3]);
    if (int8Wasm) expect([...(conv2dWasm(ctxOf(op, inputs))!.data as Float32Array)]).toEqual([9, 3, 6, -3]);
  });

  it('MulShift and RequantInt: (x − zx)·m >> r (HalfUp / HalfAwayFromZero) + zy, saturated', () => {
    const { b, arg } = setup();
    const x = arg([4], uniformType(ui8, 0.1, 128));
    const out = tensorType([4], uniformType(i8, 0.1, -5));
    const ms = tpu.mulShift(b, { input: x }, { multiplier: 3, rshift: 2 }, { loc: 'ms', resultType: out });
    const rq = tpu.requantInt(b, { input: x }, { multiplier: 3, rshift: 2, quant_mode: 'MultiplierShift' }, { loc: 'rq', resultType: out });
    const codes = f32s([4], [200, 0, 255, 126]);
    // 72·3/4 = 54; −128·3/4 = −96; 127·3/4 = 95.25; −2·3/4 = −1.5 (HalfUp −1, away from zero −2)
    expect(js(ms, [codes])).toEqual([49, -101, 90, -6]);
    expect(js(rq, [codes])).toEqual([49, -101, 90, -7]);
  });

  it('Lut: the table maps each input code through (q − ZPi)·Si to round(f/So) + ZPo', () => {
    const table = buildLut8((v) => v, { scale: 0.1, zeroPoint: 128, signed: false, bits: 8 }, { scale: 0.1, zeroPoint: -3, signed: true, bits: 8 });
    // code 128 is 0.0 → −3; code 0 is −12.8 → −131 → −128; code 255 is 12.7 → 124; code 130 is 0.2 → −1
    expect([table[128], table[0], table[255], table[130]]).toEqual([-3, -128, 124, -1]);
  });

  it('Pool2D average with scale/offset: pads counted as the input zero point, avg·k·scale + offset rounded half away from zero', () => {
    const { b, arg } = setup();
    const x = arg([1, 1, 2, 2], uniformType(ui8, 0.1, 100));
    // scale = Si / (k·So) = 0.1 / (4·0.2); offset = ZPo − Si/So·ZPi = −10 − 50
    const op = tpu.pool2D(b, { input: x }, { kernel_shape: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0], pool_mode: 'Avg', count_include_pad: true, scale: 0.125, offset: -60 },
      { loc: 'p', resultType: tensorType([1, 1, 2, 2], uniformType(i8, 0.2, -10)) });
    // window sums with pads as 100: 400, 404, 408, 432 → averages 100, 101, 102, 108 → avg/2 − 60
    expect(js(op, [f32s([1, 1, 2, 2], [100, 104, 108, 120])])).toEqual([-10, -10, -9, -6]);
  });

  it('MatMul weights: the input zero point folds into the int32 bias over each output column (also transposed)', () => {
    // Sw = 1/127: Wq = [[64, −127], [127, 32]]; bias_j = −Σ_k Wq[k, j]·5
    const q = quantizeMatMulBM1684X({ weight: [0.5, -1, 1, 0.25], shape: [2, 2], inScale: 0.1, inZeroPoint: 5, outScale: 0.2 });
    expect([...q.weight]).toEqual([64, -127, 127, 32]);
    expect([...q.bias!]).toEqual([-955, 475]);
    const t = quantizeMatMulBM1684X({ weight: [0.5, 1, -1, 0.25], shape: [2, 2], rightTranspose: true, inScale: 0.1, inZeroPoint: 5, outScale: 0.2 });
    expect([...t.bias!]).toEqual([-955, 475]);
    const withBias = quantizeMatMulBM1684X({ weight: [0.5, -1, 1, 0.25], shape: [2, 2], bias: [0.1, -0.1], inScale: 0.1, inZeroPoint: 5, outScale: 0.2 });
    // round(b_j / (Sw·Si) − Σ_k Wq[k, j]·5): 127 − 955 and −127 − (−475)
    expect([...withBias.bias!]).toEqual([-828, 348]);
  });
});

/** Rows from a float run: threshold max |x|, min and max as run_calibration writes them. */
async function calibrate(m: Module, x: NdArray): Promise<CalibrationRow[]> {
  const r = await (await createSession(m, { backend: 'js' })).run({ x }, { capture: 'all' });
  return [...r.tensors].map(([name, t]) => {
    const d = t.data as Float32Array;
    let mn = Infinity, mx = -Infinity;
    for (const v of d) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    return { name, threshold: Math.max(Math.abs(mn), Math.abs(mx)), min: mn, max: mx };
  });
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

async function lowerAsym(build: () => Module, x: NdArray): Promise<{ float: Module; m: Module }> {
  const float = build();
  const rows = await calibrate(float, x);
  const m = build();
  importCalibration(m, rows, { asymmetric: true });
  propagateCalibration(m);
  await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8 asymmetric=true}');
  return { float, m };
}

const zpOf = (t: TensorType): number => (t.element.kind === 'quant.uniform' ? t.element.zeroPoints[0] ?? 0 : NaN);

describe('a Conv lowered asymmetric = the BigInt reference Σ Wq·(q − ZPi) requantized to ZPo', () => {
  it('3×3 stride 2 with pads, no bias, on an input shifted away from zero', async () => {
    const build = () => {
      const g = new Graph([1, 3, 9, 9]);
      const w = g.weight('w', ndarray('f32', [4, 3, 3, 3], rand(108, 11, 0.5)));
      const c = top.conv(g.b, { input: g.x, filter: w }, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { loc: 'c' });
      return g.finish(c.result()).module;
    };
    const x = ndarray('f32', [1, 3, 9, 9], rand(243, 12, 1, 0.6));
    const { m } = await lowerAsym(build, x);
    const conv = m.main.ops.find((o) => o.type === 'tpu.Conv2D')!;
    const inT = conv.operand(0).type as TensorType;
    const outT = conv.result().type as TensorType;
    const zpi = zpOf(inT), zpo = zpOf(outT);
    expect(zpi).not.toBe(0);
    const filter = m.weights.get(conv.operand(1).producer!.name!)!.data as Int8Array;
    const mult = conv.attrs.get('multiplier');
    const rs = conv.attrs.get('rshift');
    const arr = (a: typeof mult): number[] => (a?.kind === 'array' ? a.value.map((v) => Number((v as { value: number | bigint }).value)) : []);
    const [ms, shifts] = [arr(mult), arr(rs)];
    const got = await (await createSession(m, { backend: 'js' })).run({ x }, { capture: 'all' });
    const q = got.tensors.get(conv.operand(0).name!)!.data as Float32Array;
    const y = got.tensors.get('c')!.data as Float32Array;
    const [lo, hi] = outT.element.kind === 'quant.uniform' && outT.element.storage.signedness === 'unsigned' ? [0, 255] : [-128, 127];
    for (let o = 0; o < 4; o++) for (let oy = 0; oy < 5; oy++) for (let ox = 0; ox < 5; ox++) {
      let acc = 0n;
      for (let c = 0; c < 3; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
        if (iy < 0 || iy >= 9 || ix < 0 || ix >= 9) continue; // a pad: (ZPi − ZPi)·w
        acc += BigInt(filter[((o * 3 + c) * 3 + ky) * 3 + kx]!) * BigInt(q[(c * 9 + iy) * 9 + ix]! - zpi);
      }
      const v = Number(rightShiftRoundBig(acc * BigInt(ms[o]!), shifts[o]!, 'HalfUp')) + zpo;
      expect(y[(o * 5 + oy) * 5 + ox]).toBe(Math.min(hi, Math.max(lo, v)));
    }
  });
});

describe('convert-top-to-tpu{chip=bm1684x mode=INT8 asymmetric=true} on a small module', () => {
  const build = () => {
    const g = new Graph([1, 4, 8, 8]);
    const b = g.b;
    const c1 = top.conv(b, { input: g.x, filter: g.weight('w1', ndarray('f32', [8, 4, 3, 3], rand(288, 1, 0.3))), bias: g.weight('b1', ndarray('f32', [8], rand(8, 2, 0.1))) },
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1], do_relu: true, relu_limit: 6 }, { loc: 'c1' });
    const mp = top.maxPool(b, { input: c1 }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'mp' });
    const c2 = top.conv(b, { input: mp, filter: g.weight('w2', ndarray('f32', [8, 1, 3, 3], rand(72, 3, 0.5))) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, { loc: 'c2' });
    const c3 = top.conv(b, { input: mp, filter: g.weight('w3', ndarray('f32', [8, 8, 1, 1], rand(64, 4, 0.4))) }, { kernel_shape: [1, 1] }, { loc: 'c3' });
    // c3 has two users, so the Concat cannot push its range back onto it: a RequantInt moves it
    const cat = top.concat(b, { inputs: [c2, c3] }, { axis: 1 }, { loc: 'cat' });
    const sum = top.add(b, { inputs: [c2, c3] }, {}, { loc: 'sum' });
    const sg = top.sigmoid(b, { input: sum }, {}, { loc: 'sig' });
    const half = top.mulConst(b, { input: cat }, { const_val: 0.5 }, { loc: 'half' });
    const ap = top.avgPool(b, { input: half }, { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: true }, { loc: 'ap' });
    const gp = top.avgPool(b, { input: ap }, { kernel_shape: [4, 4] }, { loc: 'gp' });
    const fl = top.flatten(b, { input: gp }, { start_dim: 1 }, { loc: 'flat' });
    const fc = top.matMul(b, { input: fl, right: g.weight('w4', ndarray('f32', [16, 5], rand(80, 5, 1))), bias: g.weight('b4', ndarray('f32', [5], rand(5, 6, 0.2))) }, {}, { loc: 'fc' });
    const sm = top.softmax(b, { input: fc }, { axis: 1 }, { loc: 'prob' });
    return g.finish(fc.result(), sm.result(), sg.result()).module;
  };
  const x = ndarray('f32', [1, 4, 8, 8], rand(256, 7, 2, 0.5));

  it('zero points in the types, Add in F32, RequantInt for Concat, outputs close to float, wasm = js on every tensor', async () => {
    const { float, m } = await lowerAsym(build, x);
    const text = printMlir(m);
    expect(text).toContain('module.asymmetric = true');
    const byName = new Map(m.main.ops.map((o) => [o.name, o]));
    const opOf = (n: string) => byName.get(n)!;
    for (const n of ['c1', 'mp', 'c2', 'c3', 'cat', 'half', 'ap', 'gp', 'fc']) expect(opOf(n).type, n).toMatch(/^tpu\./);
    expect(opOf('sum').type).toBe('tpu.Add');
    expect((opOf('sum').result().type as TensorType).element).toEqual(f32);
    expect(opOf('half').type).toBe('tpu.MulShift');
    expect(m.main.ops.some((o) => o.type === 'tpu.RequantInt')).toBe(true);
    expect(opOf('ap').attrs.get('offset')).toBeDefined();
    // asymmetric ranges: signed tensors get zero points
    expect(zpOf(opOf('c2').result().type as TensorType)).not.toBe(0);
    expect(zpOf(opOf('fc').result().type as TensorType)).not.toBe(0);

    const ref = await (await createSession(float, { backend: 'js' })).run({ x }, { capture: 'all' });
    const a = await (await createSession(m, { backend: 'js' })).run({ x }, { capture: 'all' });
    expect(cosine(a.outputs.get('fc_f32')!.data as Float32Array, ref.outputs.get('fc')!.data as Float32Array)).toBeGreaterThan(0.99);
    expect(cosine(a.outputs.get('prob')!.data as Float32Array, ref.outputs.get('prob')!.data as Float32Array)).toBeGreaterThan(0.99);

    const wasm = await createSession(m, { backend: 'wasm' });
    if (int8Wasm) expect(wasm.kernelReport().fallbacks.get('tpu.Conv2D') ?? 0).toBe(0);
    const b = await wasm.run({ x }, { capture: 'all' });
    for (const [name, t] of a.tensors) expect([...(b.tensors.get(name)!.data as Float32Array)], name).toEqual([...(t.data as Float32Array)]);
  });

  it('is refused on BM1684 (spec §3.13), where the lowering is symmetric only', () => {
    const m = build();
    importCalibration(m, [{ name: 'x', threshold: 2, min: -1, max: 2 }], { asymmetric: true });
    expect(() => lowerTopToTpu(m, { chip: 'bm1684', mode: 'INT8', asymmetric: true })).toThrow(/asymmetric INT8 is not lowered for bm1684/);
  });
});

describe('part-asymmetric (#asym_op: SiLU/GELU -> Conv/MatMul) in a symmetric INT8 module', () => {
  // c0 -> SiLU s -> {c1 (3×3, pads, bias), c2 (1×1, no bias)}; c1 -> GELU g -> MatMul mm
  const build = () => {
    const g = new Graph([1, 3, 8, 8]);
    const b = g.b;
    const c0 = top.conv(b, { input: g.x, filter: g.weight('w0', ndarray('f32', [6, 3, 3, 3], rand(162, 21, 0.6))), bias: g.weight('b0', ndarray('f32', [6], rand(6, 22, 0.3))) },
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c0' });
    const s = top.siLU(b, { input: c0 }, {}, { loc: 's' });
    const c1 = top.conv(b, { input: s, filter: g.weight('w1', ndarray('f32', [8, 6, 3, 3], rand(432, 23, 0.4))), bias: g.weight('b1', ndarray('f32', [8], rand(8, 24, 0.2))) },
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c1' });
    const c2 = top.conv(b, { input: s, filter: g.weight('w2', ndarray('f32', [4, 6, 1, 1], rand(24, 25, 0.5))) }, { kernel_shape: [1, 1] }, { loc: 'c2' });
    const ge = top.gelu(b, { input: c1 }, {}, { loc: 'g' });
    const mm = top.matMul(b, { input: ge, right: g.weight('w3', ndarray('f32', [8, 5], rand(40, 26, 0.7))), bias: g.weight('b3', ndarray('f32', [5], rand(5, 27, 0.1))) }, {}, { loc: 'mm' });
    return g.finish(c2.result(), mm.result()).module;
  };
  const x = ndarray('f32', [1, 3, 8, 8], rand(192, 28, 1.5));
  const asymOps = ['s', 'c1', 'c2', 'g', 'mm'];

  async function lowerPartAsym(): Promise<{ float: Module; m: Module; rows: CalibrationRow[] }> {
    const float = build();
    const rows = await calibrate(float, x);
    const m = build();
    importCalibration(m, rows, { asymOps });
    propagateCalibration(m);
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    return { float, m, rows };
  }
  const paramsOf = (t: TensorType) => {
    const e = t.element;
    if (e.kind !== 'quant.uniform') throw new Error('not quantized');
    return { scale: e.scales[0]!, zeroPoint: e.zeroPoints[0] ?? 0, signed: e.storage.signedness !== 'unsigned', bits: 8 as const };
  };
  const ints = (op: Op, attr: string): number[] => {
    const a = op.attrs.get(attr);
    return a?.kind === 'array' ? a.value.map((v) => Number((v as { value: number | bigint }).value)) : [];
  };

  it('SiLU/GELU LUTs map to zero-point types from the table min/max; Conv/MatMul outputs stay symmetric', async () => {
    const { m, rows } = await lowerPartAsym();
    expect(printMlir(m)).toContain('module.asymmetric = false');
    const byName = new Map(m.main.ops.map((o) => [o.name, o]));
    for (const n of ['s', 'g']) {
      const lut = byName.get(n)!;
      expect(lut.type, n).toBe('tpu.Lut');
      const row = rows.find((r) => r.name === n)!;
      expect(row.min).toBeLessThan(0); // SiLU/GELU dip below zero: int8 with a zero point near −128
      const p = paramsOf(lut.result().type as TensorType);
      expect(p.signed).toBe(true);
      expect(p.scale).toBeCloseTo((row.max - row.min) / 255, 12);
      expect(p.zeroPoint).toBe(Math.round(-128 - row.min / p.scale));
      expect(p.zeroPoint).toBeLessThan(-100);
    }
    for (const n of ['c0', 'c1', 'c2', 'mm']) expect(zpOf(byName.get(n)!.result().type as TensorType), n).toBe(0);
    // the table: for each input code q, round(silu(q·Si)/So + ZPo) with the symmetric input
    const lut = byName.get('s')!;
    const inP = paramsOf(lut.operand(0).type as TensorType);
    const outP = paramsOf(lut.result().type as TensorType);
    expect(inP.zeroPoint).toBe(0);
    const table = m.weights.get(lut.operand(1).producer!.name!)!.data as Int8Array;
    const silu = (v: number) => v / (1 + Math.exp(-v));
    for (const q of [-128, -40, -1, 0, 1, 17, 127]) {
      const want = Math.max(-128, Math.min(127, Math.sign(silu(q * inP.scale) / outP.scale) * Math.round(Math.abs(silu(q * inP.scale) / outP.scale)) + outP.zeroPoint));
      expect(table[q < 0 ? 256 + q : q], `code ${q}`).toBe(want);
    }
    expect([...table]).toEqual([...buildLut8(silu, inP, outP)]);
  });

  it('the consumers fold −Σ Wq·ZPi into the int32 bias and pad with ZPi: Conv = BigInt reference; MatMul bias as quantizeMatMulBM1684X', async () => {
    const { m } = await lowerPartAsym();
    const byName = new Map(m.main.ops.map((o) => [o.name, o]));
    const got = await (await createSession(m, { backend: 'js' })).run({ x }, { capture: 'all' });
    for (const [name, oc, k, pad] of [['c1', 8, 3, 1], ['c2', 4, 1, 0]] as const) {
      const conv = byName.get(name)!;
      expect(conv.type).toBe('tpu.Conv2D');
      const zpi = zpOf(conv.operand(0).type as TensorType);
      expect(zpi).toBeLessThan(-100);
      const filter = m.weights.get(conv.operand(1).producer!.name!)!.data as Int8Array;
      const bias = m.weights.get(conv.operand(2).producer!.name!)!.data as Int32Array; // c2 has one only for the fold
      const [ms, rs] = [ints(conv, 'multiplier'), ints(conv, 'rshift')];
      const q = got.tensors.get(conv.operand(0).name!)!.data as Float32Array;
      const y = got.tensors.get(name)!.data as Float32Array;
      const inner = 6 * k * k;
      for (let o = 0; o < oc; o++) {
        // the bias without the fold: round(b/(Sw·Si)), 0 for c2
        let wsum = 0n;
        for (let t = 0; t < inner; t++) wsum += BigInt(filter[o * inner + t]!);
        const b0 = BigInt(bias[o]!) + wsum * BigInt(zpi);
        if (name === 'c2') expect(b0).toBe(0n);
        for (let oy = 0; oy < 8; oy++) for (let ox = 0; ox < 8; ox++) {
          let acc = b0;
          for (let c = 0; c < 6; c++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
            const iy = oy - pad + ky, ix = ox - pad + kx;
            if (iy < 0 || iy >= 8 || ix < 0 || ix >= 8) continue; // a pad: ZPi − ZPi
            acc += BigInt(filter[((o * 6 + c) * k + ky) * k + kx]!) * BigInt(q[(c * 8 + iy) * 8 + ix]! - zpi);
          }
          const v = Number(rightShiftRoundBig(acc * BigInt(ms[o]!), rs[o]!, 'HalfUp'));
          expect(y[(o * 8 + oy) * 8 + ox], `${name}[${o},${oy},${ox}]`).toBe(Math.min(127, Math.max(-128, v)));
        }
      }
    }
    const mm = byName.get('mm')!;
    expect(mm.type).toBe('tpu.MatMul');
    const gin = paramsOf(mm.operand(0).type as TensorType);
    expect(gin.zeroPoint).not.toBe(0);
    const float = build();
    const w3 = float.weights.get('w3')!.data as Float32Array;
    const b3 = float.weights.get('b3')!.data as Float32Array;
    const want = quantizeMatMulBM1684X({ weight: w3, shape: [8, 5], bias: b3, inScale: gin.scale, inZeroPoint: gin.zeroPoint, outScale: paramsOf(mm.result().type as TensorType).scale });
    expect([...(m.weights.get(mm.operand(2).producer!.name!)!.data as Int32Array)]).toEqual([...want.bias!]);
  });

  it('outputs close to float, closer than with the SiLU/GELU symmetric; wasm = js on every tensor', async () => {
    const { float, m, rows } = await lowerPartAsym();
    const sym = build();
    importCalibration(sym, rows);
    propagateCalibration(sym);
    await runPipeline(sym, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    const ref = await (await createSession(float, { backend: 'js' })).run({ x }, { capture: 'all' });
    const a = await (await createSession(m, { backend: 'js' })).run({ x }, { capture: 'all' });
    const s = await (await createSession(sym, { backend: 'js' })).run({ x }, { capture: 'all' });
    for (const n of ['c2', 'mm']) {
      const want = ref.tensors.get(n)!.data as Float32Array;
      const asymCos = cosine(a.outputs.get(`${n}_f32`)!.data as Float32Array, want);
      expect(asymCos, n).toBeGreaterThan(0.995);
      expect(asymCos, n).toBeGreaterThanOrEqual(cosine(s.outputs.get(`${n}_f32`)!.data as Float32Array, want) - 1e-4);
    }
    const wasm = await createSession(m, { backend: 'wasm' });
    if (int8Wasm) expect(wasm.kernelReport().fallbacks.get('tpu.Conv2D') ?? 0).toBe(0);
    const b = await wasm.run({ x }, { capture: 'all' });
    for (const [name, t] of a.tensors) expect([...(b.tensors.get(name)!.data as Float32Array)], name).toEqual([...(t.data as Float32Array)]);
  });

  it('BM1684 ignores output_asym (its lowerings are symmetric): no zero points', async () => {
    const float = build();
    const rows = await calibrate(float, x);
    const m = build();
    importCalibration(m, rows, { asymOps, processor: 'bm1684' });
    propagateCalibration(m, { processor: 'bm1684' });
    lowerTopToTpu(m, { chip: 'bm1684', mode: 'INT8' });
    for (const op of m.main.ops) for (const r of op.results) if (r.type.kind === 'tensor' && r.type.element.kind === 'quant.uniform') expect(zpOf(r.type), op.name).toBe(0);
  });
});
