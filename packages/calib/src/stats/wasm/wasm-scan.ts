// SampleScan on the WebAssembly SIMD kernels of assembly/stats.ts (memory layout described there):
// the tensor is copied into the module's memory once per sample, then every pass reads it there.
// `pnpm build` compiles wasm/stats.wasm (scripts/build-wasm.mjs); a fresh clone or edited sources
// get it compiled on first import, through the runtime's AssemblyScript helper.
import { fileURLToPath } from 'node:url';
import { assemblyScriptBytes } from '@tpu-quant/runtime';
import { addHistogram } from '../histogram.js';
import type { StepResult } from '../octav.js';
import { scanAbsTail, type CentralSums, type Moments, type SampleScan } from '../scan.js';
import type { TopK } from '../top-k.js';

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernels {
  readonly memory: WasmMemory;
  heapBase(): number;
  moments(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number): void;
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
    bytes = await assemblyScriptBytes({ root: ROOT, entry: 'assembly/stats.ts', outFile: 'wasm/stats.wasm' });
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

const f32Bits = (s: number): number => new Int32Array(new Float32Array([s]).buffer)[0]!;

export class WasmScan implements SampleScan {
  private readonly k: Kernels;
  private u8 = new Uint8Array(0);
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  private f64 = new Float64Array(0);
  private x: Float32Array = new Float32Array(0);
  private n = 0;
  private kept = 0;
  /** Elements the regions hold, and the regions (byte offsets): x, |x| scratch, tail candidates, bin counts. */
  private cap = -1;
  private readonly X: number;
  private SCR: number;
  private HI: number;
  private LO: number;
  private CNT: number;

  constructor() {
    if (!compiled || !WebAssemblyApi) throw new Error(`WasmScan: ${unavailable}`);
    this.k = new WebAssemblyApi.Instance(compiled, {
      env: { abort: () => { throw new Error('wasm kernel aborted'); } },
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

  load(x: Float32Array): void {
    if (!this.fits(x.length)) throw new RangeError(`WasmScan: no memory for ${x.length} elements`);
    this.x = x;
    this.n = x.length;
    this.f32.set(x, this.X >> 2);
  }

  moments(hi?: TopK, lo?: TopK): Moments {
    const [hc, lc] = hi && lo ? [hi.cut, -lo.cut] : [Infinity, -Infinity];
    this.k.moments(this.X, this.n, OUT, hc, lc, this.HI, this.LO);
    const o = OUT >> 2;
    if (hi && lo) this.takeCandidates(hi, lo, this.i32[o + 7]!, this.i32[o + 8]!);
    return { min: this.f32[o]!, max: this.f32[o + 1]!, sum: this.f64[(OUT + 8) >> 3]!, sumAbs: this.f64[(OUT + 16) >> 3]!, nonZero: this.i32[o + 6]! };
  }

  histogram(th: number, counts: Float64Array, zeros: number): void {
    const bins = counts.length;
    const w = Math.fround(th / (bins - 1));
    if (!(w > 0)) return;
    // a histogram much longer than the tensor: zeroing and merging the counts would cost more
    if (bins > 2 * this.n) return addHistogram(this.x, th, counts, zeros);
    // four tables (one per vector lane) where the tensor is long enough to pay for zeroing them
    const tables = this.n >= 16 * bins ? 4 : 1;
    const stride = tables > 1 ? (bins + 4) & ~3 : 0;
    const slots = tables > 1 ? 4 * stride : bins + 1;
    this.reserve(this.CNT + 4 * slots);
    const c = this.CNT >> 2;
    this.i32.fill(0, c, c + slots);
    this.k.histogram(this.X, this.n, w, this.CNT, bins, stride);
    const i32 = this.i32;
    if (tables === 1) for (let b = 0; b < bins; b++) counts[b]! += i32[c + b]!;
    else for (let b = 0; b < bins; b++) counts[b]! += i32[c + b]! + i32[c + stride + b]! + i32[c + 2 * stride + b]! + i32[c + 3 * stride + b]!;
    counts[0]! -= zeros;
  }

  tails(hi: TopK, lo: TopK, hc = -Infinity, lc = Infinity): void {
    this.k.tails(this.X, this.n, OUT, Math.max(hc, hi.cut), Math.min(lc, -lo.cut), this.HI, this.LO);
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
    this.k.central(this.X, this.n, mean, f32Bits(s), this.SCR, OUT);
    const o = OUT >> 3;
    const f64 = this.f64;
    this.kept = this.i32[(OUT + 32) >> 2]!;
    return { absDev: f64[o]!, m2: f64[o + 1]!, m4: f64[o + 2]!, above: f64[o + 3]!, count: this.kept };
  }

  octavStep(s: number, rescan: boolean): StepResult {
    if (rescan) this.k.filter(this.X, this.n, f32Bits(s), this.SCR, OUT);
    else this.k.filter(this.SCR, this.kept, f32Bits(s), this.SCR, OUT);
    this.kept = this.i32[(OUT + 8) >> 2]!;
    return { sum: this.f64[OUT >> 3]!, count: this.kept };
  }

  unload(): void {
    this.x = new Float32Array(0);
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
