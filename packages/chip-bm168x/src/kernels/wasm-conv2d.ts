// INT8 tpu.Conv2D on the wasm backend: the same arithmetic as conv2d.ts's js kernel (int32
// accumulation, mulShiftHalfUp, zero point, clamp with the fused ReLU bounds), or for BM1684's
// OnlyShift bm1684-conv2d.ts's (mulShiftHalfUp with multiplier 1 is its HalfUp shift), code for code, on
// assembly/gemm.ts (grouped GEMM with i16 pair dots) or assembly/depthwise.ts. What the op's
// attributes say is worked out once per op (planFor), the filter packed and the requant records
// written once per op and weight array (wasm-int8.ts's resident blocks); an op the kernels cannot
// take (float, other attributes, data past their integer ranges) runs on js.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut } from '@tpu-quant/runtime';
import { conv2DAttrs } from '../dialect/generated/attrs.js';
import { onlyShiftAsMultiplier, onlyShiftBounds } from './bm1684-conv2d.js';
import { exactWeight, nchw, operandData, operandQuant, quantOf, reluBounds } from './common.js';
import { int8Heap, int8Wasm, PARAM_BYTES, perChannel, requantRecords, residentFor, writeRecords } from './wasm-int8.js';

const MR = 4; // assembly/gemm.ts's panel rows
/** Products of 8-bit codes summed in f32 stay exact below this (assembly/depthwise.ts). */
const F32_EXACT = 2 ** 24;
/** The largest magnitude of an 8-bit code, input or zero point (uint8 255, int8 -128). */
const CODE_MAX = 255;

/** What a Conv2D's attributes and types say, in the numbers the kernels take. */
interface ConvPlan {
  readonly shape: readonly number[];
  readonly n: number; readonly ic: number; readonly ih: number; readonly iw: number;
  readonly oc: number; readonly oh: number; readonly ow: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number; readonly pt: number; readonly pl: number; readonly g: number;
  readonly inZp: number; readonly zp: number; readonly lo: number; readonly hi: number;
  readonly mult: number[]; readonly shift: number[];
}

const plans = new WeakMap<Op, ConvPlan | null>();

/** The op's plan, or null when the wasm kernels do not take it (8-bit quantized input and result,
 * a 2-D kernel, MultiplierShift requant, or BM1684's symmetric OnlyShift, with per-tensor or
 * per-channel attributes only). */
function planFor(op: Op): ConvPlan | null {
  let p = plans.get(op);
  if (p !== undefined) return p;
  p = null;
  const a = conv2DAttrs(op);
  const x = op.operands[0]?.type;
  const t = op.results[0]?.type;
  const outQ = t?.kind === 'tensor' ? quantOf(t) : undefined;
  const inQ = operandQuant(op, 0);
  // BM1684's OnlyShift (bm1684-conv2d.ts): multiplier 1 (any multiplier attribute ignored, as
  // there), symmetric, its own ReLU bounds; a left shift (r < 0) is the multiplier 2^−r
  const onlyShift = a.quant_mode === 'OnlyShift' && outQ?.zeroPoint === 0 && inQ?.zeroPoint === 0;
  const ok = int8Wasm && outQ && inQ && outQ.bits === 8 && inQ.bits === 8 && x?.kind === 'tensor' && t?.kind === 'tensor' &&
    (x.shape.length === 4 || x.shape.length === 3) && a.kernel_shape.length === 2 && a.inserts.every((v) => v === 0) &&
    a.kernel_zp === 0 && a.rshift && (onlyShift || (a.quant_mode === 'MultiplierShift' && a.multiplier));
  if (ok) {
    const [n, ic, ih, iw] = nchw(x.shape);
    const [, oc, oh, ow] = nchw(t.shape);
    const [lo, hi] = onlyShift ? onlyShiftBounds(outQ, a.do_relu) : reluBounds(outQ, a.do_relu, a.relu_limit);
    const lengthsFit = [onlyShift ? 1 : a.multiplier!.length, a.rshift!.length].every((l) => l === 1 || l === oc);
    if (lengthsFit && ic % a.group === 0 && oc % a.group === 0) {
      const ms = onlyShift ? perChannel(a.rshift!, oc).map(onlyShiftAsMultiplier) : undefined;
      p = {
        shape: [...t.shape], n, ic, ih, iw, oc, oh, ow,
        kh: a.kernel_shape[0]!, kw: a.kernel_shape[1]!, sh: a.strides[0]!, sw: a.strides[1]!,
        // dilations as convGeometry reads them (the js kernels)
        dh: a.dilations.length === 2 ? a.dilations[0]! : 1, dw: a.dilations.length === 2 ? a.dilations[1]! : 1,
        pt: a.pads[0]!, pl: a.pads[1]!, g: a.group,
        inZp: inQ.zeroPoint, zp: outQ.zeroPoint, lo, hi,
        mult: ms ? ms.map(([m]) => m) : perChannel(a.multiplier!, oc),
        shift: ms ? ms.map(([, r]) => r) : perChannel(a.rshift!, oc),
      };
    }
  }
  plans.set(op, p);
  return p;
}

export function conv2dWasmSupports(op: Op): boolean {
  return planFor(op) !== null;
}

/** The wasm result, or undefined when this op's data rules the kernels out (the caller runs js). */
export function conv2dWasm(ctx: KernelContext): NdArray | undefined {
  const p = planFor(ctx.op);
  const xArr = operandData(ctx, 0);
  if (!p || xArr.data.length !== p.n * p.ic * p.ih * p.iw) return undefined;
  const k = int8Wasm!;
  const heap = int8Heap!;
  const w = operandData(ctx, 1).data as Float32Array;
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const { n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, g } = p;
  const kk = (ic / g) * kh * kw;

  const res = residentFor(ctx.op, [w, bias], (alloc) => {
    if (w.length !== oc * kk) return undefined;
    const pre = preparedFor(p, kk, w, bias);
    if (!pre) return undefined;
    const params = writeRecords(alloc, pre.rec, MR);
    if (pre.depthwise) {
      const ptr = alloc(w.length * 4);
      heap.f32(ptr, w.length).set(w);
      return [params, ptr, 1];
    }
    const ptr = alloc(pre.filter!.byteLength);
    heap.i16(ptr, pre.filter!.length).set(pre.filter!);
    return [params, ptr, 0];
  });
  if (!res) return undefined;
  const [params, filter, depthwise] = res as [number, number, number];
  if (depthwise) return depthwiseBlocks(ctx, p, xArr.data as Float32Array, filter, params);

  heap.resetScratch();
  const x = heap.put(xArr.data as Float32Array);
  const yn = n * oc * oh * ow;
  const y = heap.scratch(yn * 4);
  const nc = k.chunkCols(kk, oh * ow);
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && oh === ih && ow === iw;
  const col = direct ? 0 : heap.scratch(kk * nc * 4);
  const packed = heap.scratch(((kk + 1) >> 1) * nc * 4);
  k.conv2d(x, n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, g, p.inZp, filter, params, p.lo, p.hi, p.zp, y, col, packed, nc);
  const out = allocOut(ctx, p.shape);
  (out.data as Float32Array).set(heap.f32(y, yn));
  return out;
}

/** Floats of input (or output) per depthwise block: the block stays in cache while it is copied
 * in, convolved and copied out (the runtime's float depthwise measured 32 Ki best). */
const DW_BLOCK = 32768;

/** Depthwise in blocks of whole input channels (with their oc / ic output channels each). */
function depthwiseBlocks(ctx: KernelContext, p: ConvPlan, xd: Float32Array, filter: number, params: number): NdArray {
  const k = int8Wasm!;
  const heap = int8Heap!;
  const { n, ic: c, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl } = p;
  const mult = oc / c;
  const inPer = ih * iw;
  const outPer = mult * oh * ow;
  const cb = Math.max(1, Math.min(c, Math.floor(DW_BLOCK / Math.max(inPer, outPer))));
  heap.resetScratch();
  const xs = heap.scratch(cb * inPer * 4);
  const ys = heap.scratch((cb * outPer + 8) * 4); // the last row may write 7 codes past the end
  const scratch = heap.scratch(k.depthwiseScratch(oh, ow, kh, kw, sh, sw, dh, dw) * 4);
  const xv = heap.f32(xs, cb * inPer);
  const yv = heap.f32(ys, cb * outPer);
  const out = allocOut(ctx, p.shape);
  const od = out.data as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let c0 = 0; c0 < c; c0 += cb) {
      const m = Math.min(cb, c - c0);
      const at = (b * c + c0) * inPer;
      xv.set(m === cb ? xd.subarray(at, at + cb * inPer) : xd.subarray(at, at + m * inPer));
      const o0 = c0 * mult;
      k.depthwise(xs, 1, m, mult, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, p.inZp,
        filter + o0 * kh * kw * 4, params + o0 * PARAM_BYTES, p.lo, p.hi, p.zp, ys, scratch);
      od.set(m === cb ? yv : yv.subarray(0, m * outPer), (b * c + c0) * outPer);
    }
  }
  return out;
}

/**
 * Each group's [ocg, k] filter as assembly/gemm.ts's A panels: MR rows of (k, k+1) i16 pairs,
 * groups back to back; rows past ocg and the odd k's partner are zero.
 */
function packFilter(w: Float32Array, g: number, ocg: number, k: number): Int16Array {
  const kp = (k + 1) >> 1;
  const panels = Math.ceil(ocg / MR);
  const perGroup = panels * kp * MR * 2; // i16 elements
  const d = new Int16Array(g * perGroup);
  for (let gi = 0; gi < g; gi++) {
    for (let i = 0; i < ocg; i++) {
      const row = (gi * ocg + i) * k;
      const base = gi * perGroup + Math.floor(i / MR) * kp * MR * 2 + (i % MR) * 2;
      for (let t = 0; t < k; t++) d[base + (t >> 1) * MR * 2 + (t & 1)] = w[row + t]!;
    }
  }
  return d;
}

/** What the resident blocks are made from: the requant records, and the packed filter (GEMM) or none (depthwise: the filter as is). */
interface Prepared {
  readonly rec: Int32Array;
  readonly depthwise: boolean;
  readonly filter?: Int16Array;
}

/**
 * The prepared blocks of a filter, kept by content across ops: each candidate of a mixed-precision
 * search is a fresh lowering whose Convs carry byte-equal weights in new arrays and new ops, and
 * checking the codes, the BigInt requant bounds and the panel packing were most of a new session's
 * first-run Conv time. Found by a hash of the plan's numbers, bias and filter, then the filter
 * compared word for word with a kept copy (exact); least recently used first out past
 * a byte cap (setPreparedCacheBytes) of kept arrays (plain js memory: nothing in wasm memory depends on an entry).
 */
let preparedCacheBytes = 64 * 2 ** 20;

/** Sets the prepared-filter cache's byte cap (default 64 MiB; 0 keeps nothing), evicting down to it. */
export function setPreparedCacheBytes(bytes: number): void {
  preparedCacheBytes = bytes;
  evictPrepared();
}

function evictPrepared(): void {
  for (const [k, e] of preparedCache) {
    if (preparedBytes <= preparedCacheBytes) break;
    preparedCache.delete(k);
    preparedBytes -= e.bytes;
  }
}
interface PreparedEntry {
  readonly w: Float32Array;
  readonly pre: Prepared | undefined;
  readonly bytes: number;
}
const preparedCache = new Map<string, PreparedEntry>();
let preparedBytes = 0;

/** Entries and bytes the prepared-filter cache holds (tests). */
export function preparedCacheStats(): { entries: number; bytes: number } {
  return { entries: preparedCache.size, bytes: preparedBytes };
}

function hashWords(w: Float32Array): string {
  const u = new Uint32Array(w.buffer, w.byteOffset, w.length);
  let h1 = 0x811c9dc5, h2 = 0x9747b28c;
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    h1 = Math.imul(h1 ^ x, 16777619);
    h2 = Math.imul(h2 ^ (x + i), 2246822519) ^ (h2 >>> 15);
  }
  return `${u.length}:${h1 >>> 0}:${h2 >>> 0}`;
}

function sameWords(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function preparedFor(p: ConvPlan, kk: number, w: Float32Array, bias: ArrayLike<number> | undefined): Prepared | undefined {
  const bs = Array.from({ length: p.oc }, (_, o) => (bias ? Number(bias[o]) : 0));
  const key = [p.g, p.ic, p.oc, kk, p.zp, p.lo, p.hi, p.mult.join(','), p.shift.join(','), bs.join(','), hashWords(w)].join('|');
  const hit = preparedCache.get(key);
  if (hit && sameWords(hit.w, w)) {
    preparedCache.delete(key); // most recently used last
    preparedCache.set(key, hit);
    return hit.pre;
  }
  const pre = prepare(p, kk, w, bs);
  const bytes = w.byteLength + (pre ? pre.rec.byteLength + (pre.filter?.byteLength ?? 0) : 0);
  if (hit) {
    preparedCache.delete(key);
    preparedBytes -= hit.bytes;
  }
  if (bytes <= preparedCacheBytes) {
    preparedCache.set(key, { w: w.slice(), pre, bytes });
    preparedBytes += bytes;
    evictPrepared();
  }
  return pre;
}

/** The requant records and packed filter of a Conv, or undefined when its numbers rule the wasm kernels out. */
function prepare(p: ConvPlan, kk: number, w: Float32Array, bs: number[]): Prepared | undefined {
  const { oc, g, ic } = p;
  // Σ|w| per output channel bounds every accumulator; the codes must fit i16 lanes
  const absSum = new Array<number>(oc).fill(0);
  for (let o = 0; o < oc; o++) {
    for (let i = o * kk; i < (o + 1) * kk; i++) {
      const v = w[i]!;
      if (!Number.isInteger(v) || v < -32768 || v > 32767) return undefined;
      absSum[o] += Math.abs(v);
    }
  }
  const rec = requantRecords(absSum.map((s) => s * CODE_MAX), bs, p.mult, p.shift, p.zp, p.lo, p.hi);
  if (!rec) return undefined;
  // depthwise in f32 lanes while every window sum stays exact there, else the GEMM
  if (g === ic && g > 1 && absSum.every((s) => s * CODE_MAX < F32_EXACT)) return { rec, depthwise: true };
  return { rec, depthwise: false, filter: packFilter(w, g, oc / g, kk) };
}
