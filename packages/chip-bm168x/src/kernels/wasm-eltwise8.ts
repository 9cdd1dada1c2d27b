// The element-wise and pooling WebAssembly kernels behind the fast js paths (fast-int8.ts,
// fast-movement.ts, fast-paths.ts): table lookups of 8-bit codes (tpu.Lut and the per-code tables
// of MulShift / AddConst / RequantInt), the quantizing and dequantizing tpu.Cast, the residual INT8
// tpu.Add and max pooling (assembly/lut.ts, quantize.ts, eltwise8.ts, maxpool.ts). Each wrapper
// answers false (or undefined) where its kernel cannot give the js result exactly, or the wasm
// module is missing; the caller then runs its js loop, which stays the reference. Element-wise
// data streams through wasm memory in chunks small enough to stay in cache.
// `TPUQ_TPU_WASM8=0` turns them off (read per call), so a benchmark or test can compare.
import { int8Heap, int8Wasm } from './wasm-int8.js';

/** Floats per chunk: input(s) and output stay in L2. */
const CHUNK = 16384;
/** Below this many elements the js loops are as fast as a wasm call. */
const MIN_ELEMENTS = 64;

/** Whether the kernels here take n elements (the module loaded, n large enough, not turned off). */
export const eltwiseWasmOn = (n: number): boolean => int8Wasm !== undefined && n >= MIN_ELEMENTS && process.env.TPUQ_TPU_WASM8 !== '0';
const on = eltwiseWasmOn;
/** f32 data only: another typed array (an int32 tensor) would be rounded on its way into f32 lanes. */
const f32s = (...xs: unknown[]): boolean => xs.every((x) => x instanceof Float32Array);

/**
 * Streams `ins` (each n floats) through wasm memory CHUNK floats at a time, each chunk zero-padded
 * to a multiple of 16; `call(xs, len, y)` computes a chunk (len padded) into y and may refuse
 * (false: stop, `out` partly written). `scratch` extra bytes are allocated first (at `call`'s
 * disposal through `pre`).
 */
function streamed(
  ins: readonly Float32Array[], out: Float32Array, scratch: number, pre: (ptr: number) => void,
  call: (xs: readonly number[], len: number, y: number, extra: number) => boolean,
): boolean {
  const heap = int8Heap!;
  const n = out.length;
  heap.resetScratch();
  const extra = heap.scratch(scratch);
  const xs = ins.map(() => heap.scratch(Math.min(CHUNK, n + 15) * 4));
  const y = heap.scratch(Math.min(CHUNK, n + 15) * 4);
  pre(extra);
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    const padded = (len + 15) & ~15;
    for (let j = 0; j < ins.length; j++) {
      const v = heap.f32(xs[j]!, padded);
      v.set(ins[j]!.subarray(i, i + len));
      if (padded > len) v.fill(0, len);
    }
    if (!call(xs, padded, y, extra)) return false;
    out.set(heap.f32(y, len), i);
  }
  return true;
}

/** Looks x up in `entries` (f32 in wasm memory, zero-padded to 512) on the wasm `lut` kernel. */
function runLut(x: Float32Array, entries: ArrayLike<number>, strict: boolean, out: Float32Array): boolean {
  const k = int8Wasm!;
  return streamed([x], out, 512 * 4, (tab) => {
    const t = new Float32Array(k.memory.buffer, tab, 512);
    t.fill(0);
    t.set(entries);
  }, ([xs], len, y, tab) => k.lut(xs!, len, tab, y, strict ? 1 : 0) === 1);
}

/**
 * tpu.Lut: out[i] = table[ToInt32(x[i]) & 255] (elementwise.ts lutKernel) while every
 * |x[i]| < 2^31; false otherwise (out then partly written).
 */
export function lutWasm(x: Float32Array, table: ArrayLike<number>, out: Float32Array): boolean {
  if (!on(x.length) || !f32s(x) || table.length !== 256 || out.length !== x.length) return false;
  return runLut(x, table, false, out);
}

/**
 * out[i] = tab[x[i] + 128] for a table over the codes −128..255 (fast-int8.ts `lookup`) when every
 * x[i] is such an integer code and not −0; false otherwise (out then partly written).
 */
export function codeLookupWasm(x: Float32Array, tab: Float64Array, out: Float32Array): boolean {
  if (!on(x.length) || !f32s(x) || tab.length !== 384 || out.length !== x.length) return false;
  return runLut(x, tab, true, out);
}

/**
 * Quantizing tpu.Cast (fast-int8.ts castFast): out[i] = saturate(round_half_away(x[i] / scale)
 * + zp) into [lo, hi] with NaN → lo and −0 → +0, in f64 lanes exactly as the js loop.
 */
export function quantizeWasm(x: Float32Array, scale: number, zp: number, lo: number, hi: number, out: Float32Array): boolean {
  if (!on(x.length) || !f32s(x) || out.length !== x.length) return false;
  const k = int8Wasm!;
  return streamed([x], out, 0, () => {}, ([xs], len, y) => {
    k.quantize(xs!, len, scale, zp, lo, hi, y);
    return true;
  });
}

/**
 * Dequantizing tpu.Cast to f32: out[i] = fround(s · (x[i] − zp)) (s an f32, zp an integer) when
 * every x[i] is an integer of magnitude ≤ 2^24; false otherwise.
 */
export function dequantizeWasm(x: Float32Array, s: number, zp: number, out: Float32Array): boolean {
  if (!on(x.length) || !f32s(x) || out.length !== x.length || Math.fround(s) !== s || !Number.isInteger(zp) || Math.abs(zp) > 2 ** 24) return false;
  const k = int8Wasm!;
  return streamed([x], out, 0, () => {}, ([xs], len, y) => k.dequantize(xs!, len, s, zp, y) === 1);
}

/**
 * The residual INT8 tpu.Add of two terms with positive shifts (fast-int8.ts addInt8Fast):
 * out[i] = clamp(floor((x0·m0 + h0)·s0) + floor((x1·m1 + h1)·s1) + zp, lo, hi) in f64 lanes.
 * Returns [max |x0|, max |x1|] (NaN when an element is NaN) for the caller's exactness check
 * (out holds the result only when it passes), or undefined where the kernel did not run.
 */
export function addPairWasm(
  x0: Float32Array, x1: Float32Array, t0: { m: number; half: number; scale: number }, t1: { m: number; half: number; scale: number },
  zp: number, lo: number, hi: number, out: Float32Array,
): [number, number] | undefined {
  if (Object.is(zp, -0)) return undefined; // a −0 sum would survive the js clamp (eltwise8.ts clampLanes)
  const k = int8Wasm!;
  return pairWithStats(x0, x1, out, (a, b, len, y, stats) => k.addPair(a, b, len, t0.m, t0.half, t0.scale, t1.m, t1.half, t1.scale, zp, lo, hi, y, stats));
}

/**
 * The INT8 tpu.Mul of two operands of the result's size (fast-int8.ts mulInt8Fast): out[i] =
 * clamp(floor((x0·x1·m + 2^(r−1))·2^−r) + zp, lo, hi) for r > 0, clamp(x0·x1·m·2^−r + zp) else, in
 * f64 lanes. Returns [max |x0|, max |x1|] for the caller's exactness check, as addPairWasm.
 */
export function mulPairWasm(x0: Float32Array, x1: Float32Array, m: number, r: number, zp: number, lo: number, hi: number, out: Float32Array): [number, number] | undefined {
  if (Object.is(zp, -0)) return undefined; // as addPairWasm
  const k = int8Wasm!;
  const pos = r > 0;
  return pairWithStats(x0, x1, out, (a, b, len, y, stats) => k.mulPair(a, b, len, m, pos ? 2 ** (r - 1) : 0, 2 ** -r, pos ? 1 : 0, zp, lo, hi, y, stats));
}

/** Streams two operands through `kernel`, which keeps max |x0|, max |x1| at stats (2 f32). */
function pairWithStats(
  x0: Float32Array, x1: Float32Array, out: Float32Array, kernel: (a: number, b: number, len: number, y: number, stats: number) => void,
): [number, number] | undefined {
  if (!on(out.length) || !f32s(x0, x1) || x0.length !== out.length || x1.length !== out.length) return undefined;
  const k = int8Wasm!;
  let statsPtr = 0;
  streamed([x0, x1], out, 16, (stats) => {
    statsPtr = stats;
    new Float32Array(k.memory.buffer, stats, 2).fill(0);
  }, ([a, b], len, y, stats) => {
    kernel(a!, b!, len, y, stats);
    return true;
  });
  const s = new Float32Array(k.memory.buffer, statsPtr, 2);
  return [s[0]!, s[1]!];
}

/**
 * Applies `run(xs, len, ys, ch)` to each plane of `inner` elements (channel p % c), streamed
 * through wasm memory in chunks padded to a multiple of 4; false (nothing run) where wasm is off,
 * the planes are small or x is no f32 array (an Int32Array only with `int32Exact`: its values fit
 * f32 exactly, as the caller checked).
 */
function perChannel(
  x: Float32Array | Int32Array, inner: number, c: number, out: Float32Array, int32Exact: boolean,
  run: (xs: number, len: number, ys: number, ch: number) => void,
): boolean {
  if (!on(x.length) || !(f32s(x) || (int32Exact && x instanceof Int32Array)) || inner < MIN_ELEMENTS || out.length !== x.length || x.length % inner !== 0) return false;
  const heap = int8Heap!;
  heap.resetScratch();
  const size = Math.min(CHUNK, inner + 3);
  const xs = heap.scratch(size * 4);
  const ys = heap.scratch(size * 4);
  for (let base = 0, ch = 0; base < x.length; base += inner, ch = ch + 1 === c ? 0 : ch + 1) {
    for (let i = 0; i < inner; i += CHUNK) {
      const len = Math.min(CHUNK, inner - i);
      const padded = (len + 3) & ~3;
      const v = heap.f32(xs, padded);
      v.set(x.subarray(base + i, base + i + len));
      if (padded > len) v.fill(0, len);
      run(xs, padded, ys, ch);
      out.set(heap.f32(ys, len), base + i);
    }
  }
  return true;
}

/**
 * The float tpu.Scale (fast-movement.ts scaleFast): out = x·s[ch] + b[ch] per channel plane in f64,
 * with floatRelu(·, limit) when `relu`; false where it does not run.
 */
export function scaleWasm(x: Float32Array, inner: number, s: Float32Array, b: Float32Array, relu: boolean, limit: number, out: Float32Array): boolean {
  const k = int8Wasm!;
  return perChannel(x, inner, s.length, out, false, (xs, len, ys, ch) => k.scaleRun(xs, len, s[ch]!, b[ch]!, relu ? 1 : 0, limit, ys));
}

/**
 * INT8 tpu.RequantIntAxis per channel (fast-int8.ts requantModeLoop's inline branch: HalfUp, or
 * HalfAwayFromZero when `away`, every shift 0 < r ≤ 52, products bounded by the caller): plane p
 * of `inner` elements uses channel p % c's multiplier, shift and zero point, in f64 lanes. An
 * Int32Array is converted to f32 on the way in: the caller passes one only when |x| ≤ 2^24.
 */
export function requantAxisWasm(
  x: Float32Array | Int32Array, inner: number, c: number, m: readonly number[], r: readonly number[], zp: readonly number[],
  zx: number, away: boolean, lo: number, hi: number, out: Float32Array,
): boolean {
  for (let ch = 0; ch < c; ch++) if (!(r[ch]! > 0 && r[ch]! <= 52)) return false;
  const k = int8Wasm!;
  return perChannel(x, inner, c, out, true, (xs, len, ys, ch) =>
    k.requantAxis(xs, len, zx, m[ch]!, 2 ** (r[ch]! - 1), 2 ** -r[ch]!, away ? 1 : 0, zp[ch]!, lo, hi, ys));
}

/**
 * Rounds d in place to f16 or bf16 (the runtime's roundF16InPlace / roundBF16InPlace, bit for
 * bit) in wasm lanes; false for another name or where the kernels are off (nothing changed). The
 * js kernels round through this too (common.ts roundFloatInPlace), so `TPUQ_TPU_FAST_PATHS=0`
 * turns it off as well: the js reference then runs without any wasm.
 */
export function roundFloatWasm(name: string | undefined, d: Float32Array): boolean {
  if ((name !== 'f16' && name !== 'bf16') || !on(d.length) || process.env.TPUQ_TPU_FAST_PATHS === '0') return false;
  const k = int8Wasm!;
  const heap = int8Heap!;
  heap.resetScratch();
  const xs = heap.scratch(Math.min(CHUNK, d.length + 3) * 4);
  for (let i = 0; i < d.length; i += CHUNK) {
    const len = Math.min(CHUNK, d.length - i);
    const padded = (len + 3) & ~3;
    const v = heap.f32(xs, padded);
    v.set(d.subarray(i, i + len));
    if (padded > len) v.fill(0, len);
    if (name === 'f16') k.roundF16(xs, padded);
    else k.roundBF16(xs, padded);
    d.set(heap.f32(xs, len), i);
  }
  return true;
}

/**
 * Max pooling of n·c planes (fast-movement.ts pool2dFast, Max): out[p, oy, ox] = the maximum of
 * the window clipped to the input (Math.max: NaN wins, +0 above −0; −Inf for an empty window),
 * before any ReLU / clamp. False where pads are negative or wasm is off.
 */
export function maxPoolWasm(
  x: Float32Array, planes: number, ih: number, iw: number, oh: number, ow: number,
  kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, out: Float32Array,
): boolean {
  const perIn = ih * iw, perOut = oh * ow;
  if (!on(planes * perOut) || !f32s(x) || pt < 0 || pl < 0 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || x.length !== planes * perIn || out.length !== planes * perOut) return false;
  const k = int8Wasm!;
  const heap = int8Heap!;
  // planes per call: about a chunk's worth of input
  const block = Math.max(1, Math.min(planes, Math.floor((4 * CHUNK) / Math.max(1, perIn))));
  heap.resetScratch();
  const scratch = heap.scratch(k.maxPoolScratch(iw, ow, kw, sw, pl) * 4);
  const xs = heap.scratch(block * perIn * 4);
  const ys = heap.scratch((block * perOut + 4) * 4); // rows are written 4 outputs at a time
  for (let p = 0; p < planes; p += block) {
    const nb = Math.min(block, planes - p);
    heap.f32(xs, nb * perIn).set(x.subarray(p * perIn, (p + nb) * perIn));
    k.maxPool(xs, nb, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, ys, scratch);
    out.set(heap.f32(ys, nb * perOut), p * perOut);
  }
  return true;
}

/**
 * Each plane's sum (`planes` planes of `inner` floats, in order in x) in f64 lanes, with the
 * largest |x| (NaN when one is NaN); undefined when an element is no integer (the sums would
 * depend on the order) or wasm is off. The caller checks max |x| · inner < 2^53: then every partial
 * sum is exact, so the sums equal a js loop's.
 */
export function planeSumsWasm(x: Float32Array, planes: number, inner: number): { sums: Float64Array; maxAbs: number } | undefined {
  if (!on(x.length) || !f32s(x) || inner < 1 || x.length !== planes * inner) return undefined;
  const k = int8Wasm!;
  const heap = int8Heap!;
  const block = Math.max(1, Math.min(planes, Math.floor((4 * CHUNK) / inner)));
  heap.resetScratch();
  const stats = heap.scratch(16);
  const sumsPtr = heap.scratch(block * 8);
  const xs = heap.scratch(block * inner * 4);
  new Float32Array(k.memory.buffer, stats, 1)[0] = 0;
  const sums = new Float64Array(planes);
  for (let p = 0; p < planes; p += block) {
    const nb = Math.min(block, planes - p);
    heap.f32(xs, nb * inner).set(x.subarray(p * inner, (p + nb) * inner));
    if (k.planeSums(xs, nb, inner, sumsPtr, stats) !== 1) return undefined;
    sums.set(new Float64Array(k.memory.buffer, sumsPtr, nb), p);
  }
  return { sums, maxAbs: new Float32Array(k.memory.buffer, stats, 1)[0]! };
}
