// SampleScan on the WebAssembly SIMD kernels of kernels.ts: the tensor is copied into the
// module's memory once per sample, then every pass reads it there.
import { addHistogram } from '../histogram.js';
import type { StepResult } from '../octav.js';
import { scanAbsTail, type CentralSums, type Moments, type SampleScan } from '../scan.js';
import type { TopK } from '../top-k.js';
import { compactionTable, kernelModule } from './kernels.js';

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernels {
  readonly memory: WasmMemory;
  moments(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number): void;
  tails(p: number, n: number, out: number, hc: number, lc: number, hiOut: number, loOut: number): void;
  histogram(p: number, n: number, w: number, counts: number, bins: number): void;
  central(p: number, n: number, mean: number, sBits: number, scr: number, out: number): void;
  filter(p: number, n: number, sBits: number, dst: number, out: number): void;
}

/** Results of a call (bytes); the compaction table sits at 0. */
const OUT = 256;
const HEAP = 1024;
/** Larger tensors go to the js loops (the module's four buffers would pass 1 GiB). */
export const WASM_MAX_ELEMENTS = 1 << 26;

let compiled: object | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is not available. */
function kernelsModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = WebAssemblyApi ? new WebAssemblyApi.Module(kernelModule()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function wasmScanAvailable(): boolean {
  return kernelsModule() !== null;
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
  private readonly X = HEAP;
  private SCR = HEAP;
  private HI = HEAP;
  private LO = HEAP;
  private CNT = HEAP;

  constructor() {
    const mod = kernelsModule();
    if (!mod || !WebAssemblyApi) throw new Error('WebAssembly SIMD is not available');
    this.k = new WebAssemblyApi.Instance(mod, {}).exports as Kernels;
    this.views();
    this.u8.set(compactionTable(), 0);
  }

  /** Whether a tensor of n elements can be loaded (the memory grows here; false when it cannot). */
  fits(n: number): boolean {
    if (n > WASM_MAX_ELEMENTS) return false;
    if (n <= this.cap) return true;
    const cap = Math.ceil(Math.max(n, 1) / 1024) * 1024; // keeps every region 16-byte aligned
    const SCR = this.X + 4 * (cap + 4);
    const HI = SCR + 4 * (cap + 8);
    const LO = HI + 4 * (cap + 4);
    const CNT = LO + 4 * (cap + 4);
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
    this.reserve(this.CNT + 4 * (bins + 1));
    const c = this.CNT >> 2;
    this.i32.fill(0, c, c + bins + 1);
    this.k.histogram(this.X, this.n, w, this.CNT, bins);
    const i32 = this.i32;
    for (let b = 0; b < bins; b++) counts[b]! += i32[c + b]!;
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
