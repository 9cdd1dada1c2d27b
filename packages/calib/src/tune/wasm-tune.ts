// The WebAssembly SIMD kernels of assembly/tune.ts (fake quantisation, squared distance) with a
// bump allocator over their memory: distance.ts lays out one op's tensors once, then runs every
// candidate on them without copying the references again. `pnpm build` compiles wasm/tune.wasm
// (scripts/build-wasm.mjs); a fresh clone or edited sources get it compiled on first import.
// Where the module cannot be had, tuneKernels() is undefined and distance.ts runs its js loops
// (the reference, bit-equal: tune.wasm-matches-js.test.ts).
import { fileURLToPath } from 'node:url';
import { assemblyScriptBytes } from '@tpu-quant/runtime';

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Exports {
  readonly memory: WasmMemory;
  heapBase(): number;
  fakeQuant(x: number, n: number, scale: number, out: number): void;
  squaredDiff(a: number, b: number, n: number): number;
  fakeQuantWeight(x: number, n: number, m: number, out: number): void;
}

/** The package root: src/tune/ and dist/tune/ both sit two levels below it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const compiled: object | null = await (async () => {
  if (!WebAssemblyApi) return null;
  try {
    const bytes = await assemblyScriptBytes({ root: ROOT, entry: 'assembly/tune.ts', outFile: 'wasm/tune.wasm' });
    return await WebAssemblyApi.compile(bytes);
  } catch (e) {
    process.emitWarning(`@tpu-quant/calib: auto-tune runs on the js loops: ${(e as Error).message}`);
    return null;
  }
})();

/** Regions of more than this many bytes in all go to the js loops (wasm32 memory is at most 4 GiB). */
const MAX_BYTES = 2 ** 31;

export class TuneKernels {
  private readonly k: Exports;
  private readonly base: number;
  private top: number;
  private f32 = new Float32Array(0);

  constructor() {
    if (!compiled || !WebAssemblyApi) throw new Error('TuneKernels: WebAssembly SIMD is not available');
    this.k = new WebAssemblyApi.Instance(compiled, {
      env: { abort: () => { throw new Error('wasm kernel aborted'); } },
    }).exports as Exports;
    this.base = this.top = (this.k.heapBase() + 15) & ~15;
    this.f32 = new Float32Array(this.k.memory.buffer);
  }

  /** Size of the module's memory. */
  get bytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** Frees every region (views made before stay valid until the next alloc that grows memory). */
  reset(): void {
    this.top = this.base;
  }

  /** Whether regions of these element counts fit after the current ones. */
  fits(counts: readonly number[]): boolean {
    return counts.reduce((a, n) => a + align(n), this.top) <= MAX_BYTES;
  }

  /**
   * A region of n f32 (16-byte aligned); a view of it, made with view(), is detached when a later
   * alloc grows the memory: allocate every region first, then make the views.
   */
  alloc(n: number): number {
    const p = this.top;
    this.top += align(n);
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) {
      this.k.memory.grow(Math.ceil((this.top - have) / 65536));
      this.f32 = new Float32Array(this.k.memory.buffer);
    }
    return p;
  }

  view(p: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, p, n);
  }

  /** Copies x to region p. */
  put(p: number, x: Float32Array): void {
    this.f32.set(x, p >> 2);
  }

  /** Region out := fake quantisation of region x (n elements) at threshold th (fakeQuantActivationInto). */
  fakeQuant(x: number, n: number, th: number, out: number): void {
    this.k.fakeQuant(x, n, Math.fround(127 / th), out);
  }

  /** Region out := the weights' fake quantisation of region x (n elements) at absmax m (fake-quant.ts). */
  fakeQuantWeight(x: number, n: number, m: number, out: number): void {
    this.k.fakeQuantWeight(x, n, m, out);
  }

  /** Σ (a − b)² of two regions of n elements (distance.ts's squaredDiff). */
  squaredDiff(a: number, b: number, n: number): number {
    return this.k.squaredDiff(a, b, n);
  }
}

/** 16-byte aligned bytes of n f32, plus 64 so that consecutive regions do not share a cache line. */
function align(n: number): number {
  return ((4 * n + 15) & ~15) + 64;
}

let shared: TuneKernels | undefined;
let busy = false;
let enabled = true;

/** Tests: off makes acquireTuneKernels() undefined, so the tuner runs its js loops. */
export function useTuneKernels(on: boolean): void {
  enabled = on;
}

/**
 * The thread's kernels, reset, for one op's searches at a time (release() when done); a fresh
 * instance when they are in use; undefined without WebAssembly SIMD.
 */
export function acquireTuneKernels(): TuneKernels | undefined {
  if (!compiled || !enabled) return undefined;
  if (busy) return new TuneKernels();
  busy = true;
  shared ??= new TuneKernels();
  shared.reset();
  return shared;
}

/** Memory the shared instance may keep between ops (wasm memory never shrinks): above, it is dropped. */
const KEEP_BYTES = 256 * 2 ** 20;

export function releaseTuneKernels(k: TuneKernels): void {
  if (k !== shared) return;
  busy = false;
  if (k.bytes > KEEP_BYTES) shared = undefined;
}
