// The INT8 wasm kernels of tpu.Conv2D and tpu.MatMul (assembly/, src/kernels/wasm-*.ts) against
// the js reference kernels, code for code, on random shapes and numbers: depthwise (also with two
// outputs per channel, and windows too large for the f32 depthwise), groups, strides, dilations,
// asymmetric pads, 1×1, uint8 inputs with a zero point, ReLU with and without relu_limit,
// multipliers above and below 2^r, zero shifts, batches, column chunks; MatMul also with a uint8
// input and an output zero point (asymmetric). Then, opt-in, the whole INT8 MobileNetV2 on both
// backends, symmetric and asymmetric:
//   TPUQ_MV2_DIR=/tmp/m TPUQ_MV2_CALI_TABLE=/tmp/c1/cali_table npx vitest run packages/chip-bm168x/test/int8-wasm-kernels.test.ts
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  f32, Func, i64ArrayAttr, i8, loadNpz, Module, ndarray, OpBuilder, parseMlir, runPipeline, tensorType, ui8, uniformType,
  type NdArray, type Op,
} from '@tpu-quant/ir';
import { createSession, getKernel } from '@tpu-quant/runtime';
import { importCalibration, lutIndex, mulShiftHalfUp, propagateCalibration, quantize, quantParamsOfUniform, tpu, type CalibrationRow } from '../src/index.js';
import { conv2dWasm } from '../src/kernels/wasm-conv2d.js';
import { matmulWasm } from '../src/kernels/wasm-matmul.js';
import { int8Wasm } from '../src/kernels/wasm-int8.js';
import { convCaseGeometry, seededRandom, kernelCtx, expectSameData } from './helpers.js';

const rnd = seededRandom(20261129);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const ctxOf = kernelCtx;

const expectSame = expectSameData;

interface ConvCase {
  n?: number; ic: number; oc: number; ih: number; iw: number; k: [number, number]; s?: [number, number];
  d?: [number, number]; pads?: [number, number, number, number]; g?: number; u8?: boolean; relu?: number;
  /** Filter codes drawn with |w| in [wmin, wmax] (default [0, 127]), random signs. */
  wmin?: number;
  wmax?: number;
  /** Per-tensor multiplier / shift instead of per channel. */
  perTensor?: boolean;
}

/** A random INT8 Conv2D (weights and bias as top.Weight, as lowered modules have them) and its inputs. */
function convCase(c: ConvCase): { op: Op; inputs: NdArray[] } {
  const { n, g, kh, kw, oh, ow, attrs } = convCaseGeometry(c);
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const inZp = c.u8 ? int(0, 255) : 0;
  const x = f.addArgument(tensorType([n, c.ic, c.ih, c.iw], c.u8 ? uniformType(ui8, 0.02, inZp) : uniformType(i8, 0.02)));
  const w = ndarray('i8', [c.oc, c.ic / g, kh, kw]);
  for (let i = 0; i < w.data.length; i++) w.data[i] = int(c.wmin ?? 0, c.wmax ?? 127) * (rnd() < 0.5 ? -1 : 1);
  const bias = ndarray('i32', [c.oc]);
  for (let i = 0; i < c.oc; i++) bias.data[i] = int(-50000, 50000);
  m.weights = new Map<string, NdArray>([['w', w], ['b', bias]]);
  const nq = c.perTensor ? 1 : c.oc;
  // shifts 0..40 and multipliers up to 2^31 - 1: effective scales both far below and above 1
  const rshift = Array.from({ length: nq }, () => (rnd() < 0.1 ? 0 : int(1, 40)));
  const multiplier = rshift.map((r) => int(0, Math.min(2 ** 31 - 1, 2 ** Math.max(0, r + int(-12, 4)))));
  const outZp = c.relu !== undefined ? 0 : int(-20, 20);
  const op = tpu.conv2D(b, { input: x, filter: b.weight('w', w), bias: b.weight('b', bias) }, {
    ...attrs, with_bias: true,
    do_relu: c.relu !== undefined, relu_limit: c.relu ?? -1, multiplier, rshift,
  }, { loc: 'c', resultType: tensorType([n, c.oc, oh, ow], c.relu !== undefined ? uniformType(ui8, 0.05, 0) : uniformType(i8, 0.05, outZp)) });
  const xin = ndarray('f32', [n, c.ic, c.ih, c.iw]);
  for (let i = 0; i < xin.data.length; i++) xin.data[i] = c.u8 ? int(0, 255) : int(-128, 127);
  return { op, inputs: [xin, ndarray('f32', w.shape, Float32Array.from(w.data)), ndarray('f32', [c.oc], Float32Array.from(bias.data))] };
}

const CONVS: [string, ConvCase][] = [
  ['1x1 (input read in place)', { ic: 19, oc: 13, ih: 9, iw: 11, k: [1, 1] }],
  ['1x1 with many columns (several chunks)', { ic: 40, oc: 6, ih: 61, iw: 67, k: [1, 1] }],
  ['1x1 stride 2', { ic: 8, oc: 9, ih: 10, iw: 9, k: [1, 1], s: [2, 2] }],
  ['3x3 pad 1, uint8 input with a zero point', { ic: 5, oc: 7, ih: 12, iw: 13, k: [3, 3], pads: [1, 1, 1, 1], u8: true }],
  ['3x3 stride 2, asymmetric pads (first MobileNet conv)', { ic: 3, oc: 8, ih: 17, iw: 16, k: [3, 3], s: [2, 2], pads: [0, 0, 1, 1], u8: true }],
  ['5x3 dilation 2, stride (2, 1)', { ic: 4, oc: 5, ih: 15, iw: 14, k: [5, 3], s: [2, 1], d: [2, 2], pads: [2, 1, 3, 0] }],
  ['group conv (3 groups)', { ic: 9, oc: 6, ih: 8, iw: 8, k: [3, 3], g: 3, pads: [1, 1, 1, 1] }],
  ['depthwise 3x3 pad 1, ReLU6', { ic: 12, oc: 12, ih: 14, iw: 14, k: [3, 3], g: 12, pads: [1, 1, 1, 1], relu: 6, u8: true }],
  ['depthwise 3x3 stride 2', { ic: 10, oc: 10, ih: 15, iw: 17, k: [3, 3], s: [2, 2], g: 10, pads: [1, 1, 1, 1], u8: true }],
  ['depthwise 3x3 stride 2, pads (0, 0, 1, 1), wide rows', { ic: 7, oc: 7, ih: 12, iw: 40, k: [3, 3], s: [2, 2], g: 7, pads: [0, 0, 1, 1], relu: 6 }],
  ['depthwise 3x3 dilation 2, stride 3', { ic: 6, oc: 6, ih: 20, iw: 23, k: [3, 3], s: [3, 3], d: [2, 2], g: 6, pads: [2, 2, 1, 2] }],
  ['depthwise 5x5 multiplier 2 (two outputs per channel)', { ic: 4, oc: 8, ih: 11, iw: 37, k: [5, 5], g: 4, pads: [2, 2, 2, 2], relu: -1 }],
  ['depthwise 7x7 wide rows (16-output steps)', { ic: 3, oc: 3, ih: 9, iw: 50, k: [7, 7], g: 3, pads: [3, 3, 3, 3], u8: true }],
  ['depthwise too large for f32 sums (GEMM path)', { ic: 2, oc: 2, ih: 1, iw: 700, k: [1, 600], g: 2, wmin: 115 }],
  ['batch 2, per-tensor requant, ReLU with relu_limit', { n: 2, ic: 6, oc: 5, ih: 7, iw: 6, k: [3, 3], pads: [1, 0, 1, 2], relu: 3, perTensor: true }],
  ['batch 2 depthwise', { n: 2, ic: 5, oc: 5, ih: 9, iw: 9, k: [3, 3], g: 5, pads: [1, 1, 1, 1] }],
];

describe.skipIf(!int8Wasm)('INT8 wasm kernels = js reference kernels, code for code', () => {
  it.each(CONVS)('Conv2D: %s', (_, c) => {
    for (let rep = 0; rep < 3; rep++) {
      const { op, inputs } = convCase(c);
      const ctx = ctxOf(op, inputs);
      const got = conv2dWasm(ctx);
      expect(got, 'the wasm kernel took the op').toBeDefined();
      const want = getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!;
      expect(got!.shape).toEqual(want.shape);
      expectSame(got!.data as Float32Array, want.data as Float32Array, `${op.name} rep ${rep}`);
      // a second run reuses the packed filter and records
      expectSame(conv2dWasm(ctx)!.data as Float32Array, want.data as Float32Array, `${op.name} rep ${rep}, second run`);
    }
  });

  it('Conv2D: ops past the kernels\' integer ranges run on js (the wasm backend\'s kernel still answers)', () => {
    const { op, inputs } = convCase({ ic: 4, oc: 3, ih: 5, iw: 5, k: [3, 3] });
    op.attrs.set('rshift', i64ArrayAttr([63, 1, 2]));
    const ctx = ctxOf(op, inputs);
    expect(conv2dWasm(ctx)).toBeUndefined();
    const want = getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!;
    expectSame(getKernel('tpu.Conv2D', 'wasm')!.run(ctx)[0]!.data as Float32Array, want.data as Float32Array, 'fallback');
  });

  it.each([
    { rows: 1, k: 37, n: 10, transpose: false, perTensor: true, shifts: [0, 36], code: 128 },
    { rows: 3, k: 64, n: 7, transpose: true, perTensor: false, shifts: [0, 36], code: 128 },
    { rows: 5, k: 9, n: 1, transpose: false, perTensor: false, shifts: [0, 36], code: 128 },
    // small codes and shifts of 1-3: results inside the int8 range, exact halves (HalfUp's ties) common
    { rows: 6, k: 20, n: 9, transpose: true, perTensor: false, shifts: [1, 3], code: 3 },
    // asymmetric: uint8 input codes (the zero point is in the bias), output zero point −37
    { rows: 4, k: 33, n: 6, transpose: false, perTensor: true, shifts: [8, 30], code: 128, u8: true },
    { rows: 2, k: 16, n: 11, transpose: true, perTensor: false, shifts: [1, 3], code: 3, u8: true },
  ])('MatMul: $rows×$k · $k×$n, right transposed $transpose, per-tensor $perTensor, shifts $shifts, |codes| ≤ $code, uint8 input $u8', ({ rows, k, n, transpose, perTensor, shifts, code, u8 }) => {
    const m = new Module('k');
    const f = m.addFunc(new Func('main'));
    const b = new OpBuilder(f);
    const u = u8 ? uniformType(ui8, 0.1, int(1, 255)) : uniformType(i8, 0.1);
    const w = ndarray('i8', transpose ? [n, k] : [k, n]);
    for (let i = 0; i < w.data.length; i++) w.data[i] = int(-code, code - 1);
    const bias = ndarray('i32', [n]);
    for (let i = 0; i < n; i++) bias.data[i] = int(-30000, 30000) % (code * code * 8);
    m.weights = new Map<string, NdArray>([['w', w], ['b', bias]]);
    const nq = perTensor ? 1 : n;
    const rshifts = Array.from({ length: nq }, () => int(shifts[0]!, shifts[1]!));
    const multipliers = rshifts.map((r) => int(0, Math.min(2 ** 31 - 1, 2 ** Math.max(0, r + int(-10, 3)))));
    const op = tpu.matMul(b, { input: f.addArgument(tensorType([rows, k], u)), right: b.weight('w', w), bias: b.weight('b', bias) },
      { multipliers, rshifts, right_transpose: transpose, do_relu: rnd() < 0.5 }, { loc: 'm', resultType: tensorType([rows, n], uniformType(i8, 0.2, u8 ? -37 : 3)) });
    const x = ndarray('f32', [rows, k]);
    for (let i = 0; i < x.data.length; i++) x.data[i] = u8 ? int(0, 2 * code - 1) : int(-code, code - 1);
    const ctx = ctxOf(op, [x, ndarray('f32', w.shape, Float32Array.from(w.data)), ndarray('f32', [n], Float32Array.from(bias.data))]);
    const got = matmulWasm(ctx);
    expect(got, 'the wasm kernel took the op').toBeDefined();
    expectSame(got!.data as Float32Array, getKernel('tpu.MatMul', 'js')!.run(ctx)[0]!.data as Float32Array, 'matmul');
  });
});

// The js loops of Add, Pool2D, Lut and Cast were rewritten for speed; they must still compute
// their per-element definitions exactly.
describe('fast js loops of Add / Pool2D / Lut / Cast = their per-element definitions', () => {
  const setup = () => {
    const m = new Module('k');
    const f = m.addFunc(new Func('main'));
    return { b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1]) => f.addArgument(tensorType(shape, el)) };
  };
  const codes = (shape: number[], lo: number, hi: number): NdArray<'f32'> => {
    const x = ndarray('f32', shape);
    for (let i = 0; i < x.data.length; i++) x.data[i] = int(lo, hi);
    return x;
  };
  const js = (op: Op, inputs: NdArray[]): Float32Array => getKernel(op.type, 'js')!.run(ctxOf(op, inputs))[0]!.data as Float32Array;

  it.each([
    { name: 'two inputs', shapes: [[2, 5, 6], [2, 5, 6]], m: [93, 117], r: [7, 8] },
    { name: 'zero and large shifts', shapes: [[40], [40]], m: [3, 2 ** 30], r: [0, 37] },
    { name: 'three inputs, broadcast', shapes: [[3, 4, 5], [4, 1], [1]], m: [5, 7, 9], r: [2, 1, 3] },
    { name: 'products past 2^53', shapes: [[30], [30]], m: [2 ** 46 + 1, 11], r: [40, 2] },
  ])('Add: $name', ({ shapes, m, r }) => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.1, 2);
    const out = shapes.reduce((a, s) => (s.length > a.length ? s : a));
    const op = tpu.add(b, { inputs: shapes.map((s) => arg(s, u)) }, { multipliers: m, rshifts: r, do_relu: true }, { loc: 'a', resultType: tensorType(out, u) });
    const xs = shapes.map((s) => codes(s, -128, 127));
    const n = out.reduce((p, d) => p * d, 1);
    const want = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      // numpy broadcasting by hand: the output index, right-aligned onto each input
      let s = 0;
      xs.forEach((x, i) => {
        let off = 0, rest = k, stride = 1;
        for (let d = out.length - 1; d >= 0; d--) {
          const pos = rest % out[d]!;
          rest = Math.floor(rest / out[d]!);
          const dim = x.shape[d - (out.length - x.shape.length)];
          if (dim !== undefined) { off += (dim === 1 ? 0 : pos) * stride; stride *= dim; }
        }
        s += mulShiftHalfUp(x.data[off]!, m[i]!, r[i]!);
      });
      want[k] = Math.min(127, Math.max(2, s + 2));
    }
    expectSame(js(op, xs), want, 'add');
  });

  it('Pool2D: average with padding (window sums, HalfUp requant) and max', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.1, -3);
    const x = arg([1, 3, 7, 6], u);
    const cases = [
      tpu.pool2D(b, { input: x }, { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], pool_mode: 'Avg', multiplier: 171, rshift: 10, count_include_pad: true }, { loc: 'p', resultType: tensorType([1, 3, 4, 3], u) }),
      tpu.pool2D(b, { input: x }, { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1], pool_mode: 'Max' }, { loc: 'q', resultType: tensorType([1, 3, 4, 6], u) }),
    ];
    const xin = codes([1, 3, 7, 6], -128, 127);
    for (const op of cases) {
      const avg = op.name === 'p';
      const [kh, kw, sh, sw, pt, pl, oh, ow] = avg ? [3, 2, 2, 2, 1, 0, 4, 3] : [3, 3, 2, 1, 1, 1, 4, 6];
      const want = new Float32Array(3 * oh * ow);
      for (let c = 0; c < 3; c++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
        let acc = avg ? 0 : -Infinity;
        for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
          const iy = y * sh - pt + ky, ix = xo * sw - pl + kx;
          if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
          const v = xin.data[(c * 7 + iy) * 6 + ix]!;
          acc = avg ? acc + v : Math.max(acc, v);
        }
        want[(c * oh + y) * ow + xo] = avg ? Math.min(127, Math.max(-128, mulShiftHalfUp(acc, 171, 10) - 3)) : Math.min(127, Math.max(-128, acc));
      }
      expectSame(js(op, [xin]), want, `pool ${op.name}`);
    }
  });

  it('Lut indexes by the raw byte; Cast quantizes half away from zero and saturates', () => {
    const { b, arg } = setup();
    const u = uniformType(i8, 0.05, 4);
    const lop = tpu.lut(b, { input: arg([300], u), table: arg([1, 1, 1, 256], i8) }, {}, { loc: 'l', resultType: tensorType([300], u) });
    const x = codes([300], -128, 127);
    const table = codes([1, 1, 1, 256], -128, 127);
    expectSame(js(lop, [x, table]), Float32Array.from(x.data, (q) => table.data[lutIndex(q)]!), 'lut');
    const cop = tpu.cast(b, { input: arg([500], f32) }, {}, { loc: 'c', resultType: tensorType([500], u) });
    const xf = ndarray('f32', [500]);
    for (let i = 0; i < 500; i++) xf.data[i] = rnd() < 0.2 ? (int(-200, 200) + 0.5) * 0.05 : (rnd() - 0.5) * 20;
    expectSame(js(cop, [xf]), Float32Array.from(xf.data, (v) => quantize(v, quantParamsOfUniform(u))), 'cast');
  });
});

const DIR = process.env.TPUQ_MV2_DIR ?? '';
const TABLE = process.env.TPUQ_MV2_CALI_TABLE ?? '';
const MLIR = join(DIR, 'mobilenet_v2.mlir');
const HAVE_MV2 = DIR !== '' && existsSync(MLIR) && TABLE !== '' && existsSync(TABLE);
if (!HAVE_MV2) console.log('int8-wasm-kernels (MobileNetV2): set TPUQ_MV2_DIR and TPUQ_MV2_CALI_TABLE to run it; skipped');

/** The data lines of a TPU-MLIR calibration table (the CLI uses calib's full parser). */
function readRows(path: string): CalibrationRow[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/)).filter((f) => f.length === 4)
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

describe.skipIf(!HAVE_MV2 || !int8Wasm)('MobileNetV2 INT8 on the wasm and js backends (TPUQ_MV2_DIR, TPUQ_MV2_CALI_TABLE)', () => {
  it.each([false, true])('every tensor is the same code for code, with every Conv2D on the wasm kernels (asymmetric %s)', async (asymmetric) => {
    const m = parseMlir(readFileSync(MLIR, 'utf8'), MLIR);
    m.weights = await loadNpz(join(DIR, 'mobilenet_v2_top_f32_all_weight.npz'));
    importCalibration(m, readRows(TABLE), { asymmetric });
    propagateCalibration(m);
    await runPipeline(m, `convert-top-to-tpu{chip=bm1684x mode=INT8 asymmetric=${asymmetric}}`);
    const input = [...(await loadNpz(join(DIR, 'mobilenet_v2_in_f32.npz'))).values()][0]!;
    const js = await createSession(m, { backend: 'js' });
    const wasm = await createSession(m, { backend: 'wasm' });
    const report = wasm.kernelReport();
    expect(report.fallbacks.get('tpu.Conv2D') ?? 0).toBe(0);
    expect(report.ops.filter((o) => o.type === 'tpu.Conv2D').length).toBe(53);
    const feed = { [js.inputNames[0]!]: input };
    const a = await js.run(feed, { capture: 'all' });
    const b = await wasm.run(feed, { capture: 'all' });
    expect(a.tensors.size).toBeGreaterThan(60);
    for (const [name, t] of a.tensors) expectSame(b.tensors.get(name)!.data as Float32Array, t.data as Float32Array, name);
    await js.dispose();
    await wasm.dispose();
  }, 300_000);
});

