// BM1684's shift-only INT8 convolution (tpu.Conv2D, quant_mode OnlyShift) on the wasm integer
// kernels (wasm-conv2d.ts: multiplier 1, or 2^−r for a left shift, and the OnlyShift ReLU rule)
// against its js reference kernel (bm1684-conv2d.ts), code for code, on random shapes and numbers:
// depthwise (also the GEMM fallback for windows too large for f32 sums), groups, 1×1, strides,
// dilations, asymmetric pads, odd sizes, shifts 0, large and negative, saturation both ways, ReLU
// (with a relu_limit the OnlyShift rule ignores), with and without bias, uint8 input and result.
// Then the whole MobileNetV2 lowered for bm1684 INT8 on both backends, every tensor, where the
// model is (TPUQ_MV2_DIR, default /tmp/m; TPUQ_MV2_CALI_TABLE, default /tmp/c1/cali_table_100).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  f32, Func, i64ArrayAttr, i8, loadNpz, Module, ndarray, OpBuilder, parseMlir, runPipeline, tensorType, ui8, uniformType,
  type NdArray, type Op,
} from '@tpu-quant/ir';
import { createSession, getKernel } from '@tpu-quant/runtime';
import { importCalibration, propagateCalibration, tpu, type CalibrationRow } from '../src/index.js';
import { conv2DAttrs } from '../src/dialect/generated/attrs.js';
import { castFast } from '../src/kernels/fast-int8.js';
import { conv2dWasm } from '../src/kernels/wasm-conv2d.js';
import { int8Wasm } from '../src/kernels/wasm-int8.js';
import { convCaseGeometry, seededRandom, kernelCtx, expectSameData } from './helpers.js';

const rnd = seededRandom(16841129);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const ctxOf = kernelCtx;

const expectSame = expectSameData;

interface ShiftConvCase {
  n?: number; ic: number; oc: number; ih: number; iw: number; k: [number, number]; s?: [number, number];
  d?: [number, number]; pads?: [number, number, number, number]; g?: number;
  /** The shifts drawn from [r0, r1] (r < 0 shifts left). */
  r: [number, number];
  perChannel?: boolean;
  u8In?: boolean; u8Out?: boolean; relu?: boolean; noBias?: boolean;
  /** |filter codes| and |input codes| at most these (defaults 127 and the storage range). */
  wmax?: number; xmax?: number; wmin?: number;
}

/** A random OnlyShift Conv2D as convert-top-to-tpu{chip=bm1684} writes it (int8 filter, int16 bias weights) and its inputs. */
function shiftConv(c: ShiftConvCase): { op: Op; inputs: NdArray[] } {
  const { n, g, kh, kw, oh, ow, attrs } = convCaseGeometry(c);
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = f.addArgument(tensorType([n, c.ic, c.ih, c.iw], uniformType(c.u8In ? ui8 : i8, 0.02)));
  const w = ndarray('i8', [c.oc, c.ic / g, kh, kw]);
  const wmax = c.wmax ?? 127;
  for (let i = 0; i < w.data.length; i++) w.data[i] = int(c.wmin ?? 0, wmax) * (rnd() < 0.5 ? -1 : 1);
  const bias = ndarray('i16', [c.oc]);
  for (let i = 0; i < c.oc; i++) bias.data[i] = int(-32768, 32767);
  m.weights = new Map<string, NdArray>([['w', w], ['b', bias]]);
  const rshift = Array.from({ length: c.perChannel ? c.oc : 1 }, () => int(c.r[0], c.r[1]));
  const op = tpu.conv2D(b, { input: x, filter: b.weight('w', w), ...(c.noBias ? {} : { bias: b.weight('b', bias) }) }, {
    ...attrs, with_bias: !c.noBias, do_relu: c.relu ?? false,
    // OnlyShift leaves relu_limit out of an integer result; a limit here must change nothing
    relu_limit: c.relu ? 6 : -1, rshift, quant_mode: 'OnlyShift',
  }, { loc: 'c', resultType: tensorType([n, c.oc, oh, ow], uniformType(c.u8Out ? ui8 : i8, 0.05)) });
  const [xlo, xhi] = c.u8In ? [0, Math.min(255, c.xmax ?? 255)] : [-Math.min(128, c.xmax ?? 128), Math.min(127, c.xmax ?? 127)];
  const xin = ndarray('f32', [n, c.ic, c.ih, c.iw]);
  for (let i = 0; i < xin.data.length; i++) xin.data[i] = int(xlo, xhi);
  const inputs = [xin, ndarray('f32', w.shape, Float32Array.from(w.data))];
  if (!c.noBias) inputs.push(ndarray('f32', [c.oc], Float32Array.from(bias.data)));
  return { op, inputs };
}

const CASES: [string, ShiftConvCase][] = [
  ['1x1 (input read in place), per-layer shift', { ic: 19, oc: 13, ih: 9, iw: 11, k: [1, 1], r: [6, 10] }],
  ['1x1 with many columns (several chunks), ReLU', { ic: 40, oc: 6, ih: 61, iw: 67, k: [1, 1], r: [7, 9], relu: true }],
  ['1x1 stride 2, no bias', { ic: 8, oc: 9, ih: 10, iw: 9, k: [1, 1], s: [2, 2], r: [3, 6], noBias: true }],
  ['3x3 pad 1, uint8 input, uint8 result', { ic: 5, oc: 7, ih: 12, iw: 13, k: [3, 3], pads: [1, 1, 1, 1], r: [8, 11], u8In: true, u8Out: true }],
  ['3x3 stride 2, asymmetric pads, uint8 input (first conv)', { ic: 3, oc: 8, ih: 17, iw: 16, k: [3, 3], s: [2, 2], pads: [0, 0, 1, 1], r: [5, 9], u8In: true, relu: true }],
  ['5x3 dilation 2, stride (2, 1), odd pads', { ic: 4, oc: 5, ih: 15, iw: 14, k: [5, 3], s: [2, 1], d: [2, 2], pads: [2, 1, 3, 0], r: [6, 10] }],
  ['group conv (3 groups), per-channel shifts', { ic: 9, oc: 6, ih: 8, iw: 7, k: [3, 3], g: 3, pads: [1, 1, 1, 1], r: [0, 12], perChannel: true }],
  ['depthwise 3x3 pad 1, ReLU, uint8 input', { ic: 12, oc: 12, ih: 14, iw: 14, k: [3, 3], g: 12, pads: [1, 1, 1, 1], r: [4, 8], u8In: true, relu: true }],
  ['depthwise 3x3 stride 2, odd sizes', { ic: 10, oc: 10, ih: 15, iw: 17, k: [3, 3], s: [2, 2], g: 10, pads: [1, 1, 1, 1], r: [5, 8] }],
  ['depthwise 3x3 dilation 2, stride 3, asymmetric pads', { ic: 6, oc: 6, ih: 20, iw: 23, k: [3, 3], s: [3, 3], d: [2, 2], g: 6, pads: [2, 2, 1, 2], r: [4, 9], perChannel: true }],
  ['depthwise 5x5 with two outputs per channel', { ic: 4, oc: 8, ih: 11, iw: 37, k: [5, 5], g: 4, pads: [2, 2, 2, 2], r: [6, 9], relu: true }],
  ['depthwise too large for f32 sums (GEMM path)', { ic: 2, oc: 2, ih: 1, iw: 700, k: [1, 600], g: 2, wmin: 115, r: [14, 18] }],
  ['r = 0: small codes, saturation both ways', { ic: 6, oc: 5, ih: 7, iw: 6, k: [3, 3], pads: [1, 0, 1, 2], r: [0, 0], wmax: 3, xmax: 20 }],
  ['r = 0 depthwise, no bias, ReLU', { ic: 5, oc: 5, ih: 9, iw: 9, k: [3, 3], g: 5, pads: [1, 1, 1, 1], r: [0, 0], wmax: 2, xmax: 8, noBias: true, relu: true }],
  ['shifts 1-2 (HalfUp ties common), small codes', { ic: 4, oc: 6, ih: 6, iw: 8, k: [2, 3], r: [1, 2], perChannel: true, wmax: 2, xmax: 4, noBias: true }],
  ['large shifts (16-40): everything rounds to 0 or ±1', { ic: 7, oc: 4, ih: 5, iw: 5, k: [3, 3], pads: [1, 1, 1, 1], r: [16, 40], perChannel: true }],
  ['shifts 50-62 (the js half 2^(r−1) past f64\'s exact integers)', { ic: 5, oc: 6, ih: 4, iw: 6, k: [3, 3], pads: [1, 1, 1, 1], r: [50, 62], perChannel: true }],
  ['negative shifts (left shifts by 1-6), tiny codes', { ic: 3, oc: 4, ih: 6, iw: 5, k: [1, 2], r: [-6, -1], perChannel: true, wmax: 1, xmax: 2, noBias: true }],
  ['negative shift depthwise, uint8 result', { ic: 4, oc: 4, ih: 7, iw: 7, k: [3, 3], g: 4, pads: [1, 1, 1, 1], r: [-2, -2], wmax: 1, xmax: 3, noBias: true, u8Out: true }],
  ['batch 2, saturating both ways (r 1-3, full codes)', { n: 2, ic: 6, oc: 5, ih: 7, iw: 6, k: [3, 3], pads: [1, 0, 1, 2], r: [1, 3], perChannel: true }],
  ['batch 2 depthwise, ReLU, uint8 input', { n: 2, ic: 5, oc: 5, ih: 9, iw: 9, k: [3, 3], g: 5, pads: [1, 1, 1, 1], r: [6, 8], relu: true, u8In: true }],
];

describe.skipIf(!int8Wasm)('BM1684 OnlyShift Conv2D: wasm kernels = js reference kernel, code for code', () => {
  it.each(CASES)('%s', (_, c) => {
    let lows = 0, highs = 0;
    for (let rep = 0; rep < 3; rep++) {
      const { op, inputs } = shiftConv(c);
      const ctx = ctxOf(op, inputs);
      const got = conv2dWasm(ctx);
      expect(got, 'the wasm kernel took the op').toBeDefined();
      const want = getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!;
      expect(got!.shape).toEqual(want.shape);
      expectSame(got!.data as Float32Array, want.data as Float32Array, `rep ${rep}`);
      // a second run reuses the packed filter and records
      expectSame(conv2dWasm(ctx)!.data as Float32Array, want.data as Float32Array, `rep ${rep}, second run`);
      const [lo, hi] = c.u8Out ? [0, 255] : [c.relu ? 0 : -128, 127];
      for (const v of want.data as Float32Array) {
        if (v === lo) lows++;
        if (v === hi) highs++;
      }
    }
    // the saturation cases do reach both ends of the range
    if (_.includes('saturat')) expect([lows > 0, highs > 0]).toEqual([true, true]);
  });

  it('ignores a multiplier attribute, as the js kernel does (OnlyShift has none)', () => {
    const { op, inputs } = shiftConv({ ic: 4, oc: 3, ih: 5, iw: 5, k: [3, 3], r: [7, 7] });
    op.attrs.set('multiplier', i64ArrayAttr([3, 5, 7]));
    const ctx = ctxOf(op, inputs);
    const got = conv2dWasm(ctx);
    expect(got).toBeDefined();
    expectSame(got!.data as Float32Array, getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!.data as Float32Array, 'multiplier ignored');
  });

  it.each([
    ['a right shift past the records (63)', [63, 1, 2]],
    ['a left shift past an i32 multiplier (-31)', [-31, 1, 2]],
  ])('runs on js where the records cannot express the shift: %s', (_, rshift) => {
    const { op, inputs } = shiftConv({ ic: 4, oc: 3, ih: 5, iw: 5, k: [3, 3], r: [1, 1], wmax: 1, xmax: 1, noBias: true });
    op.attrs.set('rshift', i64ArrayAttr(rshift));
    const ctx = ctxOf(op, inputs);
    expect(conv2dWasm(ctx)).toBeUndefined();
    const want = getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!;
    expectSame(getKernel('tpu.Conv2D', 'wasm')!.run(ctx)[0]!.data as Float32Array, want.data as Float32Array, 'fallback');
  });
});

// the model test takes ~5 s, so it runs wherever the shared model is (/tmp/m) unless told otherwise
// BM1684 models carry many Casts (their float islands); the fast quantizing loop computes its
// rounding's ±1 without branches, and must still give the js kernel's codes on every edge.
describe('fast quantizing tpu.Cast = js kernel on rounding edges', () => {
  it.each([
    ['int8, scale 1/4 (exact ties)', 0.25, uniformType(i8, 0.25, 0)],
    ['int8 with a zero point', 0.1, uniformType(i8, 0.1, -7)],
    ['uint8 with a zero point', 0.037, uniformType(ui8, 0.037, 128)],
  ])('%s', (_, S, to) => {
    const f = new Module('k').addFunc(new Func('main'));
    const b = new OpBuilder(f);
    const below = (v: number): number => v - 2 ** -53 * Math.max(1, Math.abs(v)) * 2; // a hair under v
    const edges = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -128.5, 127.5, 255.5, below(0.5), -below(0.5), below(1.5),
      -below(2.5), 1e-30, -1e-30, 1e9, -1e9, 2 ** 53, -(2 ** 53), NaN, Infinity, -Infinity];
    const xs = [...edges.map((e) => e * S), ...edges, ...Array.from({ length: 500 }, () => (rnd() - 0.5) * 400 * S)];
    const shape = [xs.length];
    const op = tpu.cast(b, { input: f.addArgument(tensorType(shape, f32)) }, {}, { loc: 'c', resultType: tensorType(shape, to) });
    const ctx = ctxOf(op, [ndarray('f32', shape, Float32Array.from(xs))]);
    const got = castFast(ctx);
    expect(got).toBeDefined();
    expectSame(got!.data as Float32Array, getKernel('tpu.Cast', 'js')!.run(ctx)[0]!.data as Float32Array, 'cast');
  });
});

const DIR = process.env.TPUQ_MV2_DIR ?? '/tmp/m';
const TABLE = process.env.TPUQ_MV2_CALI_TABLE ?? '/tmp/c1/cali_table_100';
const MLIR = join(DIR, 'mobilenet_v2.mlir');
const HAVE_MV2 = DIR !== '' && existsSync(MLIR) && TABLE !== '' && existsSync(TABLE);
if (!HAVE_MV2) console.log(`bm1684-conv-wasm (MobileNetV2): no ${MLIR} or ${TABLE} (TPUQ_MV2_DIR, TPUQ_MV2_CALI_TABLE); skipped`);

/** The data lines of a TPU-MLIR calibration table (the CLI uses calib's full parser). */
function readRows(path: string): CalibrationRow[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/)).filter((f) => f.length === 4)
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

describe.skipIf(!HAVE_MV2 || !int8Wasm)('MobileNetV2 bm1684 INT8 on the wasm and js backends (TPUQ_MV2_DIR, TPUQ_MV2_CALI_TABLE)', () => {
  it('every tensor is the same code for code, with every Conv2D on the wasm kernels', async () => {
    const m = parseMlir(readFileSync(MLIR, 'utf8'), MLIR);
    m.weights = await loadNpz(join(DIR, 'mobilenet_v2_top_f32_all_weight.npz'));
    importCalibration(m, readRows(TABLE), { processor: 'bm1684' });
    propagateCalibration(m, { processor: 'bm1684' });
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684 mode=INT8}');
    const input = [...(await loadNpz(join(DIR, 'mobilenet_v2_in_f32.npz'))).values()][0]!;
    const js = await createSession(m, { backend: 'js' });
    const wasm = await createSession(m, { backend: 'wasm' });
    const feed = { [js.inputNames[0]!]: input };
    const a = await js.run(feed, { capture: 'all' });
    const b = await wasm.run(feed, { capture: 'all' });
    expect(wasm.kernelReport().fallbacks.get('tpu.Conv2D') ?? 0).toBe(0);
    expect(a.tensors.size).toBeGreaterThan(60);
    for (const [name, t] of a.tensors) expectSame(b.tensors.get(name)!.data as Float32Array, t.data as Float32Array, name);
    // every conv is OnlyShift and the wasm kernels take it with this data (no fallback to js at run time)
    const convs = m.main.ops.filter((o) => o.type === 'tpu.Conv2D');
    expect(convs.length).toBe(53);
    for (const op of convs) {
      expect(conv2DAttrs(op).quant_mode).toBe('OnlyShift');
      const inputs = op.operands.map((v) => {
        const owner = v.owner as Op;
        const w = owner.type === 'top.Weight' ? m.weights.get(v.name!) : undefined;
        return w ? ndarray('f32', w.shape, Float32Array.from(w.data as ArrayLike<number>)) : a.tensors.get(v.name!)!;
      });
      const got = conv2dWasm(ctxOf(op, inputs));
      expect(got, `${op.name}: the wasm kernel took it`).toBeDefined();
      expectSame(got!.data as Float32Array, a.tensors.get(op.results[0]!.name!)!.data as Float32Array, op.name ?? '?');
    }
    await js.dispose();
    await wasm.dispose();
  }, 120_000);
});
