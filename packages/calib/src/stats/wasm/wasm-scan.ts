// SampleScan on the WebAssembly SIMD kernels of assembly/stats.ts (memory layout described there):
// the tensor is copied into the module's memory once per sample, then every pass reads it there;
// a tensor that already lies in that memory is read where it is. The memory is shared (a
// SharedArrayBuffer), so the statistics thread lends blocks of it (allocBlock) to the inference
// thread, which computes the tensors straight into them.
// `pnpm build` compiles wasm/stats.wasm (scripts/build-wasm.mjs); a fresh clone or edited sources
// get it compiled on first import, through the runtime's AssemblyScript helper.
import { fileURLToPath } from 'node:url';
import { assemblyScriptBytes } from '@tpu-quant/runtime';
import { addHistogram } from '../histogram.js';
import type { StepResult } from '../octav.js';
import { scanAbsTail, type CentralSums, type Moments, type SampleScan } from '../scan.js';
import type { TopK } from '../top-k.js';

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBufferLike; grow(pages: number): number }
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

/**
 * asc flags of wasm/stats.wasm (scripts/build-wasm.mjs passes the same): the memory is imported
 * and shared, at most 4 GiB (the reservation is address space only).
 */
export const STATS_ASC_ARGS = ['--importMemory', '--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'] as const;
const MAX_PAGES = 65536;
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernels {
  readonly memory: WasmMemory;
  heapBase(): number;
  moments(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number): void;
  momentsHistogram(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number, w: number, counts: number, bins: number, stride: number): void;
  tails(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number): void;
  histogram(p: number, n: number, w: number, counts: number, bins: number, stride: number): void;
  central(p: number, n: number, mean: number, sBits: number, scr: number, out: number): void;
  filter(p: number, n: number, sBits: number, dst: number, out: number): void;
}

/** Results of a call (bytes); the compaction table sits at 0. */
const OUT = 256;
/** Larger tensors go to the js loops (the module's four buffers would pass 1 GiB). */
export const WASM_MAX_ELEMENTS = 1 << 26;

/** The package root: src/stats/wasm/ and dist/stats/wasm/ both sit three levels below it. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Why there are no kernels, when there are none. */
let unavailable = 'WebAssembly SIMD is not available';

/**
 * The compiled kernels, or null where WebAssembly SIMD is not available. Compiled at import (a
 * top-level await) so that collectors stay synchronous to construct; a module that cannot be
 * found or built is a warning, and the js loops run.
 */
const compiled: object | null = await (async () => {
  if (!WebAssemblyApi) return null;
  let bytes: Uint8Array;
  try {
    bytes = await assemblyScriptBytes({ root: ROOT, entry: 'assembly/stats.ts', outFile: 'wasm/stats.wasm', extraArgs: STATS_ASC_ARGS });
  } catch (e) {
    unavailable = (e as Error).message;
    process.emitWarning(`@tpu-quant/calib: the statistics run on the js loops: ${unavailable}`);
    return null;
  }
  try {
    return await WebAssemblyApi.compile(bytes);
  } catch {
    return null; // no WebAssembly SIMD here
  }
})();

export function wasmScanAvailable(): boolean {
  return compiled !== null;
}

let shared: WasmScan | undefined;

/**
 * One instance per thread, shared by every collector: its memory grows to the largest tensor once
 * (a fresh one per collector pays the page faults again). Safe to share because each call leaves
 * nothing behind that another collector's add() could disturb (adds do not interleave).
 */
export function sharedWasmScan(): WasmScan | undefined {
  if (shared === undefined && wasmScanAvailable()) shared = new WasmScan();
  return shared;
}

// one shared view pair: f32Bits runs for every OCTAV step (hundreds per sample)
const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
const f32Bits = (s: number): number => {
  bitsF32[0] = s;
  return bitsI32[0]!;
};

export class WasmScan implements SampleScan {
  private readonly k: Kernels;
  private u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private x: Float32Array = new Float32Array(0);
  /** Where the loaded x lies (bytes): the x region, or where it was found in this memory. */
  private P = 0;
  private n = 0;
  /** The SharedArrayBuffer objects of this memory seen so far (a tensor in one is read in place). */
  private readonly mine = new WeakSet<ArrayBufferLike>();
  private kept = 0;
  /** The bins moments() counted for its guess, waiting in the count tables for histogram(). */
  private binned: { th: number; bins: number; stride: number } | undefined;
  /** Elements the regions hold, and the regions (byte offsets): x, |x| scratch, tail candidates, bin counts. */
  private cap = -1;
  private X: number;
  private SCR: number;
  private HI: number;
  private LO: number;
  private CNT: number;

  constructor() {
    if (!compiled || !WebAssemblyApi) throw new Error(`WasmScan: ${unavailable}`);
    let memory: WasmMemory | undefined;
    try {
      memory = new WebAssemblyApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    } catch {
      memory = undefined; // a module built without STATS_ASC_ARGS has a memory of its own
    }
    this.k = new WebAssemblyApi.Instance(compiled, {
      env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } },
    }).exports as Kernels;
    this.X = this.SCR = this.HI = this.LO = this.CNT = (this.k.heapBase() + 15) & ~15;
    this.views();
    this.u8.set(compactionTable(), 0);
  }

  /** Whether a tensor of n elements can be loaded (the memory grows here; false when it cannot). */
  fits(n: number): boolean {
    if (n > WASM_MAX_ELEMENTS) return false;
    if (n <= this.cap) return true;
    const cap = Math.ceil(Math.max(n, 1) / 1024) * 1024; // keeps every region 16-byte aligned
    // Each region starts 1 KiB further on, modulo 4 KiB, than the one before (256 slots of
    // slack, more than the kernels write past n): a list written while x is read at nearly the
    // same offset modulo 4 KiB stalls on false store-to-load dependencies (4K aliasing: tails
    // ran 1.6x slower with the regions 16 bytes apart modulo 4 KiB).
    const SCR = this.X + 4 * cap + 1024;
    const HI = SCR + 4 * cap + 1024;
    const LO = HI + 4 * cap + 1024;
    const CNT = LO + 4 * cap + 1024;
    try {
      this.reserve(CNT);
    } catch {
      return false;
    }
    this.cap = cap;
    this.SCR = SCR;
    this.HI = HI;
    this.LO = LO;
    this.CNT = CNT;
    return true;
  }

  /** The module's memory when it is shared (allocBlock's blocks are views of it), else undefined. */
  sharedMemory(): SharedArrayBuffer | undefined {
    const b = this.k.memory.buffer;
    if (!(b instanceof SharedArrayBuffer)) return undefined;
    this.mine.add(b);
    return b;
  }

  /**
   * Reserves `bytes` of the memory for the caller (16-byte aligned; the scratch regions move past
   * it) and returns where they start. Tensors loaded from there are not copied.
   */
  allocBlock(bytes: number): number {
    const at = this.X;
    this.reserve(at + bytes + 1024);
    this.X = (at + bytes + 1024 + 15) & ~15;
    this.SCR = this.HI = this.LO = this.CNT = this.X;
    this.cap = -1;
    return at;
  }

  load(x: Float32Array): void {
    if (!this.fits(x.length)) throw new RangeError(`WasmScan: no memory for ${x.length} elements`);
    this.x = x;
    this.n = x.length;
    this.binned = undefined;
    if (this.mine.has(x.buffer) && (x.byteOffset & 15) === 0) this.P = x.byteOffset;
    else {
      this.P = this.X;
      this.f32.set(x, this.X >> 2);
    }
  }

  moments(hi?: TopK, lo?: TopK, guess?: { readonly th: number; readonly bins: number }): Moments {
    const [hc, lc] = hi && lo ? [hi.cut, -lo.cut] : [Infinity, -Infinity];
    const t = guess && this.tables(guess.th, guess.bins);
    if (t) {
      this.k.momentsHistogram(this.P, this.n, OUT, hc, lc, this.HI, this.LO, t.w, this.CNT, guess.bins, t.stride);
      this.binned = { th: guess.th, bins: guess.bins, stride: t.stride };
    } else this.k.moments(this.P, this.n, OUT, hc, lc, this.HI, this.LO);
    const o = OUT >> 2;
    if (hi && lo) this.takeCandidates(hi, lo, this.i32[o + 7]!, this.i32[o + 8]!);
    return { min: this.f32[o]!, max: this.f32[o + 1]!, sum: this.f64[(OUT + 8) >> 3]!, sumAbs: this.f64[(OUT + 16) >> 3]!, nonZero: this.i32[o + 6]! };
  }

  histogram(th: number, counts: Float64Array, zeros: number): void {
    const bins = counts.length;
    const b = this.binned;
    this.binned = undefined;
    let t: { w: number; stride: number } | undefined;
    if (b && b.th === th && b.bins === bins) t = { w: 0, stride: b.stride }; // moments() counted them
    else {
      if (!(Math.fround(th / (bins - 1)) > 0)) return;
      t = this.tables(th, bins);
      // a histogram much longer than the tensor: zeroing and merging the counts would cost more
      // (and the kernel's bin arithmetic is exact below 2^23 bins; more are refused there)
      if (!t) return addHistogram(this.x, th, counts, zeros);
      this.k.histogram(this.P, this.n, t.w, this.CNT, bins, t.stride);
    }
    const c = this.CNT >> 2;
    const { stride } = t;
    const i32 = this.i32;
    if (stride === 0) for (let i = 0; i < bins; i++) counts[i]! += i32[c + i]!;
    else for (let i = 0; i < bins; i++) counts[i]! += i32[c + i]! + i32[c + stride + i]! + i32[c + 2 * stride + i]! + i32[c + 3 * stride + i]!;
    counts[0]! -= zeros;
  }

  /**
   * Zeroed count tables for the histogram kernels (w: the float32 bin width; stride 0: one
   * table), or undefined where the js loop should count: th = 0, or many more bins than values.
   */
  private tables(th: number, bins: number): { w: number; stride: number } | undefined {
    const w = Math.fround(th / (bins - 1));
    if (!(w > 0) || bins > 2 * this.n || bins >= 2 ** 23) return undefined;
    // four tables (one per vector lane) where the tensor is long enough to pay for zeroing them
    const stride = this.n >= 16 * bins ? (bins + 4) & ~3 : 0;
    const slots = stride > 0 ? 4 * stride : bins + 1;
    this.reserve(this.CNT + 4 * slots);
    const c = this.CNT >> 2;
    this.i32.fill(0, c, c + slots);
    return { w, stride };
  }

  tails(hi: TopK, lo: TopK, hc = -Infinity, lc = Infinity): void {
    this.k.tails(this.P, this.n, OUT, Math.max(hc, hi.cut), Math.min(lc, -lo.cut), this.HI, this.LO);
    this.takeCandidates(hi, lo, this.i32[OUT >> 2]!, this.i32[(OUT >> 2) + 1]!);
  }

  /** Pushes the candidates the kernel wrote (nh above the hi cut, nl below the lo cut). */
  private takeCandidates(hi: TopK, lo: TopK, nh: number, nl: number): void {
    const f32 = this.f32;
    for (let i = 0, b = this.HI >> 2; i < nh; i++) {
      const v = f32[b + i]!;
      if (v > hi.cut) hi.push(v);
    }
    for (let i = 0, b = this.LO >> 2; i < nl; i++) {
      const v = -f32[b + i]!;
      if (v > lo.cut) lo.push(v);
    }
  }

  absTail(top: TopK): void {
    scanAbsTail(this.x, top);
  }

  central(mean: number, s: number): CentralSums {
    this.k.central(this.P, this.n, mean, f32Bits(s), this.SCR, OUT);
    const o = OUT >> 3;
    const f64 = this.f64;
    this.kept = this.i32[(OUT + 32) >> 2]!;
    return { absDev: f64[o]!, m2: f64[o + 1]!, m4: f64[o + 2]!, above: f64[o + 3]!, count: this.kept };
  }

  octavStep(s: number, rescan: boolean): StepResult {
    if (rescan) this.k.filter(this.P, this.n, f32Bits(s), this.SCR, OUT);
    else this.k.filter(this.SCR, this.kept, f32Bits(s), this.SCR, OUT);
    this.kept = this.i32[(OUT + 8) >> 2]!;
    return { sum: this.f64[OUT >> 3]!, count: this.kept };
  }

  unload(): void {
    this.x = new Float32Array(0);
    this.binned = undefined;
  }

  private reserve(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) {
      this.k.memory.grow(Math.ceil((bytes - have) / 65536));
      this.views();
    }
  }

  private views(): void {
    const b = this.k.memory.buffer;
    this.mine.add(b);
    this.u8 = new Uint8Array(b);
    this.f32 = new Float32Array(b);
    this.i32 = new Int32Array(b);
    this.f64 = new Float64Array(b);
  }
}

/** The shuffle that packs the lanes set in each 4-bit mask to the front (16 x 16 bytes). */
function compactionTable(): Uint8Array {
  const t = new Uint8Array(256).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let o = 0;
    for (let lane = 0; lane < 4; lane++) {
      if (!(mask & (1 << lane))) continue;
      for (let b = 0; b < 4; b++) t[mask * 16 + o * 4 + b] = lane * 4 + b;
      o++;
    }
  }
  return t;
}
