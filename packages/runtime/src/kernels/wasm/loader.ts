// Finds, (re)builds and instantiates the AssemblyScript kernels (through ../../wasm-module.ts).
// `pnpm build` compiles wasm/kernels.wasm and wasm/kernels-relaxed.wasm ahead of time
// (scripts/build-wasm.mjs); a fresh clone or edited sources get the one needed compiled on first
// use and cached in the same place.
//
// Two builds of the same sources: kernels-relaxed.wasm enables relaxed SIMD, so the GEMM and
// depthwise inner loops use f32x4.relaxed_madd (one FMA instead of mul + add: ~25-30% faster
// convs). Node 20's V8 (11.3) has relaxed SIMD behind --experimental-wasm-relaxed-simd, which is
// turned on here before compiling (V8 reads wasm feature flags per compile); if the host still
// rejects the module, or TPUQ_WASM_RELAXED=0, the plain build runs.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { assemblyScriptIsStale, compileAssemblyScript, loadAssemblyScriptModule, type AssemblyScriptModule } from '../../wasm-module.js';

/** The package root: src/kernels/wasm/ and dist/kernels/wasm/ both sit three levels below it. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WASM_FILE = join(ROOT, 'wasm', 'kernels.wasm');
export const WASM_RELAXED_FILE = join(ROOT, 'wasm', 'kernels-relaxed.wasm');

/** The module that builds to `file` (one of the two above). */
function build(file: string, relaxed = file === WASM_RELAXED_FILE): AssemblyScriptModule {
  return { root: ROOT, entry: 'assembly/index.ts', outFile: file, extraArgs: relaxed ? ['--enable', 'relaxed-simd'] : [] };
}

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports; pointers are byte offsets into `memory`. */
export interface WasmKernels {
  readonly memory: WasmMemory;
  heapBase(): number;
  chunkCols(k: number, n: number): number;
  gemm(m: number, n: number, k: number, pa: number, pb: number, c: number, ldc: number,
    biasRow: number, biasCol: number, flags: number, hi: number): void;
  packA(src: number, rs: number, cs: number, m: number, k: number, dst: number): void;
  packB(src: number, rs: number, cs: number, k: number, j0: number, j1: number, dst: number): void;
  conv2d(x: number, n: number, ic: number, ih: number, iw: number, oc: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    group: number, direct: number, pa: number, bias: number, flags: number, hi: number, y: number, scratch: number): void;
  clampRange(x: number, n: number, relu: number, cap: number, lo: number, hi: number, y: number): void;
  binary(a: number, b: number, n: number, op: number, ca: number, cb: number, flags: number, hi: number, y: number): void;
  depthwise(x: number, n: number, c: number, m: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
    w: number, bias: number, flags: number, hi: number, y: number, plane: number, fresh: number): void;
  depthwisePlane(oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number;
  binaryNd(op: number, a: number, b: number, y: number, d0: number, d1: number, d2: number, d3: number,
    sa0: number, sa1: number, sa2: number, sa3: number, sb0: number, sb1: number, sb2: number, sb3: number,
    ca: number, cb: number, flags: number, hi: number): void;
  channelAffine(x: number, planes: number, ch: number, hw: number, k: number, b: number, flags: number, hi: number, y: number): void;
  activation(kind: number, x: number, n: number, p0: number, p1: number, y: number): void;
  softmaxRows(x: number, rows: number, len: number, beta: number, y: number): void;
  layerNormRows(x: number, rows: number, len: number, eps: number, w: number, b: number, y: number): void;
  interp(x: number, planes: number, ih: number, iw: number, oh: number, ow: number, linear: number,
    maps: number, y: number, rows: number): void;
  pool2d(x: number, planes: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, pb: number, pr: number, max: number, includePad: number,
    padValue: number, flags: number, hi: number, y: number): void;
  col2im(cols: number, oc: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, bias: number, flags: number, hi: number, y: number): void;
  reduceRows(x: number, rows: number, len: number, mean: number, y: number): void;
  gatherNd(x: number, y: number, d0: number, d1: number, d2: number, d3: number, d4: number, d5: number,
    s0: number, s1: number, s2: number, s3: number, s4: number, s5: number): void;
  roundF16(x: number, n: number): void;
  roundBF16(x: number, n: number): void;
}

/** True when the .wasm is missing or older than any AssemblyScript source (or asconfig.json). */
export function wasmIsStale(file = WASM_FILE): boolean {
  return assemblyScriptIsStale(build(file));
}

/** Compiles assembly/index.ts with asconfig.json (relaxed SIMD for kernels-relaxed.wasm). */
export async function compileWasm(out = WASM_FILE, relaxed = out === WASM_RELAXED_FILE): Promise<void> {
  await compileAssemblyScript(build(out, relaxed));
}

let loading: Promise<WasmKernels> | undefined;

/** The instantiated kernels, built first when needed; one instance per process (thread). */
export function loadWasmKernels(): Promise<WasmKernels> {
  loading ??= (async () => (await relaxedKernels()) ?? loadAssemblyScriptModule<WasmKernels>(build(WASM_FILE)))();
  return loading;
}

/** Which build `loadWasmKernels` picked: 'relaxed' (FMA) or 'plain'. */
export let wasmBuild: 'relaxed' | 'plain' = 'plain';

/** The relaxed-SIMD build when wanted and this host runs it, else undefined. */
async function relaxedKernels(): Promise<WasmKernels | undefined> {
  if (process.env.TPUQ_WASM_RELAXED === '0') return undefined;
  try {
    if (!WebAssemblyApi.validate(RELAXED_PROBE)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (!WebAssemblyApi.validate(RELAXED_PROBE)) return undefined;
    // a host that still rejects the module fails to instantiate it: the plain build then
    const kernels = await loadAssemblyScriptModule<WasmKernels>(build(WASM_RELAXED_FILE));
    wasmBuild = 'relaxed';
    return kernels;
  } catch {
    return undefined;
  }
}

// (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);
