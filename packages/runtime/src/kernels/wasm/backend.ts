// Shared plumbing of the wasm kernels: the instance and heap, registration, and the per-op cache
// of resident (pre-packed) weights.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { allocOut, getKernel, registerKernel } from '../../registry.js';
import { roundBF16InPlace, roundF16InPlace } from '../../overrides.js';
import { WasmHeap } from './heap.js';
import type { WasmKernels } from './loader.js';
import { loadWasmKernels } from './loader.js';

// top-level await: importing the wasm backend yields a ready instance, so kernels stay synchronous
export const wasm: WasmKernels = await loadWasmKernels();
export const heap = new WasmHeap(wasm);

/** Epilogue flags (assembly/gemm.ts). */
export const RELU = 1;
export const CAP = 2;

/** Fused relu / relu_limit as (flags, hi) for the kernels' epilogue. */
export function epilogue(doRelu: boolean, limit: number): [number, number] {
  if (!doRelu) return [0, 0];
  return limit > 0 ? [RELU | CAP, limit] : [RELU, 0];
}

/**
 * Registers a one-result wasm kernel. `supports` says which ops it handles: sessions send the rest
 * to js, and a direct call with one runs the js kernel too.
 */
export function wasmKernel(op: string, run: (ctx: KernelContext) => NdArray, supports?: (op: Op) => boolean): void {
  const name = `top.${op}`;
  registerKernel({
    op: name, backend: 'wasm', dtypes: ['f32'],
    ...(supports ? { supports } : {}),
    run: (ctx) => {
      const mode = roundingOf(ctx.op);
      if (supports && !supports(ctx.op)) return [roundRest(getKernel(name, 'js')!.run(ctx)[0]!, mode, 0)];
      heap.resetScratch();
      roundedInWasm = 0;
      return [roundRest(run(ctx), mode, roundedInWasm)];
    },
  });
}

/**
 * An op carrying the string attribute `round_result = "f16" | "bf16"` (the chip packages' float
 * adapters: a tpu op in F16 / BF16 run through a top kernel) gets its result rounded to that type,
 * ties to even, as roundF16InPlace / roundBF16InPlace would: in wasm memory by `takeOut`, before the
 * copy out, else (a kernel that does not end in takeOut, a js fallback) in place afterwards.
 */
export const ROUND_RESULT_ATTR = 'round_result';
const F16 = 1;
const BF16 = 2;

function roundingOf(op: Op): number {
  const a = op.attrs.get(ROUND_RESULT_ATTR);
  if (a?.kind !== 'string') return 0;
  return a.value === 'f16' ? F16 : a.value === 'bf16' ? BF16 : 0;
}

/** Elements `takeOut` rounded during the current kernel call. */
let roundedInWasm = 0;

function roundRest(out: NdArray, mode: number, rounded: number): NdArray {
  const d = out.data as Float32Array;
  if (mode === 0 || rounded === d.length) return out;
  if (mode === F16) roundF16InPlace(d);
  else roundBF16InPlace(d);
  return out;
}

/** Resident blocks made for one op from its weight arrays; remade when the arrays change. */
interface Resident {
  readonly sources: readonly unknown[];
  readonly blocks: { ptr: number; bytes: number }[];
  readonly ptrs: number[];
}

const resident = new WeakMap<Op, Resident>();
// an op that is garbage collected gives its blocks back
const reclaim = new FinalizationRegistry<{ ptr: number; bytes: number }[]>((blocks) => {
  for (const b of blocks) heap.release(b.ptr, b.bytes);
});

/**
 * The op's resident weight blocks, made once by `make` (which allocates with `alloc`) and reused
 * while `sources` (the weight arrays, by identity) stay the same.
 */
export function residentFor(op: Op, sources: readonly unknown[], make: (alloc: (bytes: number) => number) => number[]): number[] {
  const hit = resident.get(op);
  if (hit && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i])) return hit.ptrs;
  if (hit) {
    reclaim.unregister(hit);
    for (const b of hit.blocks) heap.release(b.ptr, b.bytes);
  }
  const blocks: { ptr: number; bytes: number }[] = [];
  const ptrs = make((bytes) => {
    const ptr = heap.alloc(bytes);
    blocks.push({ ptr, bytes });
    return ptr;
  });
  const entry = { sources, blocks, ptrs };
  resident.set(op, entry);
  reclaim.register(op, blocks, entry);
  return ptrs;
}

export function dataOf(x: NdArray | undefined): Float32Array | undefined {
  return x?.data as Float32Array | undefined;
}

/** Copies `data` into a block from `alloc`, zero-padded to `padTo` floats (vector over-reads). */
export function keep(alloc: (bytes: number) => number, data: Float32Array, padTo = data.length): number {
  const n = Math.max(padTo, data.length);
  const ptr = alloc(n * 4);
  const v = heap.f32(ptr, n);
  v.fill(0);
  v.set(data);
  return ptr;
}

/** Rounds up to a multiple of 8 floats plus 8 spare: bias vectors may be read a tile past the end. */
export const padded = (n: number): number => Math.ceil(n / 8) * 8 + 8;

/** Copies n floats at `ptr` out of wasm memory into the result (session-pooled when offered). */
export function takeOut(ctx: KernelContext, shape: readonly number[], ptr: number, n: number): NdArray {
  const out = allocOut(ctx, shape);
  const mode = roundingOf(ctx.op);
  if (mode !== 0) {
    // the result rounded to f16 / bf16 where it lies (see ROUND_RESULT_ATTR)
    if (mode === F16) wasm.roundF16(ptr, n);
    else wasm.roundBF16(ptr, n);
    roundedInWasm += n;
  }
  (out.data as Float32Array).set(heap.f32(ptr, n));
  return out;
}
