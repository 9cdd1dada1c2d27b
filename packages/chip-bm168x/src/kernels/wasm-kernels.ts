// The tpu kernels of the runtime's `wasm` backend: INT8 Conv2D and MatMul on the WebAssembly
// integer kernels (wasm-conv2d.ts, wasm-matmul.ts), float ones (F32/F16/BF16) on the runtime's
// wasm top.Conv / top.MatMul (wasm-float.ts) and its elementwise / Deconv kernels
// (wasm-float-eltwise.ts), and the element-wise INT8, data-movement, pooling and Scale ops on
// exact fast js paths (fast-paths.ts). An op none of them takes (supports() false) runs its js kernel, per op, as the runtime does for any backend; so does one whose data turns
// out to be past the kernels' integer ranges when it first runs.
import type { NdArray, Op } from '@tpu-quant/ir';
import { getKernel, registerKernel, type KernelContext } from '@tpu-quant/runtime';
import { conv2dWasm, conv2dWasmSupports } from './wasm-conv2d.js';
import { floatConv2dWasm, floatConv2dWasmSupports, floatMatmulWasm, floatMatmulWasmSupports } from './wasm-float.js';
import { floatActiveJs, floatActiveJsSupports, floatEltwiseWasm, floatEltwiseWasmSupports } from './wasm-float-eltwise.js';
import { matmulWasm, matmulWasmSupports } from './wasm-matmul.js';
import { FAST_PATHS } from './fast-paths.js';

interface WasmPath { supports: (op: Op) => boolean; run: (ctx: KernelContext) => NdArray | undefined }

// float elementwise ops and Deconv on the runtime's wasm top kernels (wasm-float-eltwise.ts)
const FLOAT_ELTWISE: WasmPath = { supports: floatEltwiseWasmSupports, run: floatEltwiseWasm };

/** Per op, its wasm paths (INT8, float); the first that supports the op runs it. */
const WASM_KERNELS: Readonly<Record<string, readonly WasmPath[]>> = {
  'tpu.Conv2D': [{ supports: conv2dWasmSupports, run: conv2dWasm }, { supports: floatConv2dWasmSupports, run: floatConv2dWasm }],
  'tpu.MatMul': [{ supports: matmulWasmSupports, run: matmulWasm }, { supports: floatMatmulWasmSupports, run: floatMatmulWasm }],
  'tpu.Add': [FLOAT_ELTWISE],
  'tpu.Mul': [FLOAT_ELTWISE],
  'tpu.AddConst': [FLOAT_ELTWISE],
  'tpu.MulConst': [FLOAT_ELTWISE],
  'tpu.Deconv': [FLOAT_ELTWISE],
  'tpu.Active': [FLOAT_ELTWISE, { supports: floatActiveJsSupports, run: floatActiveJs }],
};

/**
 * `TPUQ_TPU_FAST_PATHS=0` turns the fast js paths off (the js kernels run instead), read on every
 * run: a benchmark can time both in one process (tools/bench/src/tpu-profile.ts --ab).
 */
const fastOn = (): boolean => process.env.TPUQ_TPU_FAST_PATHS !== '0';

/** The wasm paths of each op, then its fast js path (fast-paths.ts) where it has one. */
const ALL_PATHS: Readonly<Record<string, readonly WasmPath[]>> = Object.fromEntries(
  [...new Set([...Object.keys(WASM_KERNELS), ...Object.keys(FAST_PATHS)])].map((op) => {
    const fast = FAST_PATHS[op];
    const paths = fast ? [{ supports: (o: Op) => fastOn() && fast.supports(o), run: fast.run }] : [];
    return [op, [...(WASM_KERNELS[op] ?? []), ...paths]];
  }),
);

/** Registers the wasm tpu kernels once (after the js ones, which they fall back to). */
export function registerWasmTpuKernels(): void {
  for (const [op, paths] of Object.entries(ALL_PATHS)) {
    if (getKernel(op, 'wasm')) continue;
    const js = (ctx: KernelContext): NdArray => getKernel(op, 'js')!.run(ctx)[0]!;
    const pathFor = (o: Op): WasmPath | undefined => paths.find((p) => p.supports(o));
    registerKernel({
      op, backend: 'wasm', dtypes: ['f32'], supports: (o) => pathFor(o) !== undefined,
      run: (ctx) => [pathFor(ctx.op)?.run(ctx) ?? js(ctx)],
    });
  }
}
