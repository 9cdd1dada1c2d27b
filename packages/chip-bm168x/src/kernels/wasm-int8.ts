// The INT8 WebAssembly kernels (assembly/, built to wasm/int8.wasm) and their memory, for the
// tpu kernels the runtime's `wasm` backend runs (wasm-conv2d.ts, wasm-matmul.ts). `pnpm build`
// compiles the module (scripts/build-wasm.mjs); a fresh clone or edited sources get it compiled
// on first import, through the runtime's AssemblyScript helper. Loaded at import (top-level
// await) so kernels stay synchronous; where it cannot be built or run, the js kernels run.
//
// Memory: the runtime's WasmHeap — resident blocks (each op's packed filter and requant records,
// kept while the op lives) from a first-fit free list at the bottom, and per-call scratch (input,
// output, packing buffers) bumped above them and dropped when the next call starts.
import { fileURLToPath } from 'node:url';
import type { Op } from '@tpu-quant/ir';
import { loadAssemblyScriptModule, WasmHeap } from '@tpu-quant/runtime';

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

/** The module's exports (assembly/index.ts); pointers are byte offsets into `memory`. */
export interface Int8Kernels {
  readonly memory: WasmMemory;
  heapBase(): number;
  chunkCols(k: number, p: number): number;
  conv2d(x: number, n: number, ic: number, ih: number, iw: number, oc: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, group: number, zpIn: number,
    pa: number, params: number, lo: number, hi: number, zp: number, y: number, col: number, packed: number, nc: number): void;
  depthwiseScratch(oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number;
  depthwise(x: number, n: number, c: number, mult: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, zpIn: number,
    w: number, params: number, lo: number, hi: number, zp: number, y: number, scratch: number): void;
  matmul(x: number, rows: number, k: number, n: number, w: number, kpad: number, params: number,
    lo: number, hi: number, zp: number, y: number, xr: number): void;
  // element-wise and pooling kernels (wasm-eltwise8.ts); flags are 0 / 1
  lut(x: number, n: number, tab: number, y: number, strict: number): number;
  quantize(x: number, n: number, scale: number, zp: number, lo: number, hi: number, y: number): void;
  dequantize(x: number, n: number, s: number, zp: number, y: number): number;
  addPair(x0: number, x1: number, n: number, m0: number, h0: number, s0: number, m1: number, h1: number, s1: number,
    zp: number, lo: number, hi: number, y: number, stats: number): void;
  mulPair(x0: number, x1: number, n: number, m: number, h: number, s: number, pos: number, zp: number, lo: number, hi: number,
    y: number, stats: number): void;
  roundF16(x: number, n: number): void;
  roundBF16(x: number, n: number): void;
  requantAxis(x: number, n: number, zx: number, m: number, h: number, s: number, away: number, zp: number, lo: number, hi: number, y: number): void;
  planeSums(x: number, planes: number, inner: number, sums: number, maxAbs: number): number;
  scaleRun(x: number, n: number, sc: number, b: number, relu: number, limit: number, y: number): void;
  maxPoolScratch(iw: number, ow: number, kw: number, sw: number, pl: number): number;
  maxPool(x: number, planes: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, y: number, scratch: number): void;
}

/** The package root: src/kernels/ and dist/kernels/ both sit two levels below it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The instantiated kernels, or undefined (with a warning) where they cannot be built or run. */
export const int8Wasm: Int8Kernels | undefined = await (async () => {
  try {
    return await loadAssemblyScriptModule<Int8Kernels>({ root: ROOT, entry: 'assembly/index.ts', outFile: 'wasm/int8.wasm' });
  } catch (e) {
    process.emitWarning(`@tpu-quant/chip-bm168x: the INT8 tpu ops run on the js kernels: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
})();

export const int8Heap: WasmHeap | undefined = int8Wasm ? new WasmHeap(int8Wasm) : undefined;

/** What an op keeps in wasm memory between runs: its blocks, or why the wasm kernel cannot run it. */
export interface Resident {
  readonly sources: readonly unknown[];
  readonly blocks: { ptr: number; bytes: number }[];
  /** Pointers and numbers the kernel needs; undefined when the op must run on js. */
  readonly ptrs?: readonly number[];
}

const resident = new WeakMap<Op, Resident>();
// an op that is garbage collected gives its blocks back
const reclaim = new FinalizationRegistry<{ ptr: number; bytes: number }[]>((blocks) => {
  for (const b of blocks) int8Heap?.release(b.ptr, b.bytes);
});

/**
 * The op's resident blocks, made once by `make` and reused while `sources` (its weight arrays, by
 * identity) stay the same. `make` returns undefined when the op's data rules the kernel out (the
 * answer is cached too).
 */
export function residentFor(op: Op, sources: readonly unknown[], make: (alloc: (bytes: number) => number) => number[] | undefined): readonly number[] | undefined {
  const heap = int8Heap!;
  const hit = resident.get(op);
  if (hit && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i])) return hit.ptrs;
  if (hit) {
    reclaim.unregister(hit);
    for (const b of hit.blocks) heap.release(b.ptr, b.bytes);
  }
  const blocks: { ptr: number; bytes: number }[] = [];
  heap.resetScratch();
  const ptrs = make((bytes) => {
    const ptr = heap.alloc(bytes);
    blocks.push({ ptr, bytes });
    return ptr;
  });
  if (!ptrs) for (const b of blocks) heap.release(b.ptr, b.bytes);
  const entry: Resident = { sources, blocks: ptrs ? blocks : [], ...(ptrs ? { ptrs } : {}) };
  resident.set(op, entry);
  if (ptrs) reclaim.register(op, blocks, entry);
  return ptrs;
}

/** Bytes of one requant record (assembly/requant.ts): i32 bias, multiplier, shift, vlo, vhi, unused. */
export const PARAM_BYTES = 32;
const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;

/** floor(a / b), b > 0. */
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const clampI32 = (v: bigint): bigint => (v < I32_MIN ? I32_MIN : v > I32_MAX ? I32_MAX : v);

/**
 * The requant records of a kernel's output channels (assembly/requant.ts), or undefined when one
 * channel's numbers leave the kernels' integer ranges (the op then runs on js). `accBound[o]`
 * bounds |Σ products| of channel o; the result is clamp(f(acc + bias) + zp, lo, hi) with
 * f(v) = floor((v·m + 2^(r−1)) / 2^r). Each record also holds [vlo, vhi], the widest range of v
 * outside which f lands beyond [lo − zp, hi − zp] (so clamping v there first changes nothing),
 * computed exactly with BigInt; f must fit int32 over it.
 */
export function requantRecords(
  accBound: readonly number[], bias: readonly number[], mult: readonly number[], shift: readonly number[],
  zp: number, lo: number, hi: number,
): Int32Array | undefined {
  const rec = new Int32Array(accBound.length * 8);
  for (let o = 0; o < accBound.length; o++) {
    const b = bias[o]!, m = mult[o]!, r = shift[o]!;
    if (![b, m, r].every(Number.isInteger) || r < 0 || r > 62) return undefined;
    // acc + bias must fit int32; so must the multiplier
    if (accBound[o]! + Math.abs(b) >= 2 ** 31 || m < -(2 ** 31) || m >= 2 ** 31) return undefined;
    const M = BigInt(m), R = BigInt(r);
    const h = r > 0 ? 1n << (R - 1n) : 0n;
    const f = (v: bigint): bigint => (v * M + h) >> R;
    let vlo = I32_MIN, vhi = I32_MAX;
    if (m > 0) {
      // vlo: one below the least v with f(v) >= lo - zp; vhi: one above the largest with f(v) <= hi - zp
      vlo = clampI32(-floorDiv(-(BigInt(lo - zp) << R) + h, M) - 1n);
      vhi = clampI32(floorDiv(((BigInt(hi - zp) + 1n) << R) - h - 1n, M) + 1n);
    }
    const LIM = 2n ** 30n;
    for (const e of [f(vlo), f(vhi)]) if (e <= -LIM || e >= LIM) return undefined;
    rec.set([b, m, r, Number(vlo), Number(vhi)], o * 8);
  }
  return rec;
}

/** Copies records into a resident block, with `spare` zero records the kernels may read past the end. */
export function writeRecords(alloc: (bytes: number) => number, rec: Int32Array, spare = 4): number {
  const ptr = alloc(rec.byteLength + spare * PARAM_BYTES);
  const v = int8Heap!.i32(ptr, rec.length + spare * 8);
  v.fill(0);
  v.set(rec);
  return ptr;
}

/** A per-tensor (length 1) or per-channel attribute as one value per channel. */
export function perChannel(values: readonly number[], n: number): number[] {
  return Array.from({ length: n }, (_, o) => values[values.length === 1 ? 0 : o]!);
}
