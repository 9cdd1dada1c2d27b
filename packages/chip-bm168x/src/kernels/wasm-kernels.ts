// The tpu kernels of the runtime's `wasm` backend: INT8 Conv2D and MatMul on the WebAssembly
// integer kernels (wasm-conv2d.ts, wasm-matmul.ts). An op they do not take (supports() false)
// runs its js kernel, per op, as the runtime does for any backend; so does one whose data turns
// out to be past the kernels' integer ranges when it first runs.
import type { NdArray, Op } from '@tpu-quant/ir';
import { getKernel, registerKernel, type KernelContext } from '@tpu-quant/runtime';
import { conv2dWasm, conv2dWasmSupports } from './wasm-conv2d.js';
import { matmulWasm, matmulWasmSupports } from './wasm-matmul.js';

const WASM_KERNELS: Readonly<Record<string, { supports: (op: Op) => boolean; run: (ctx: KernelContext) => NdArray | undefined }>> = {
  'tpu.Conv2D': { supports: conv2dWasmSupports, run: conv2dWasm },
  'tpu.MatMul': { supports: matmulWasmSupports, run: matmulWasm },
};

/** Registers the wasm tpu kernels once (after the js ones, which they fall back to). */
export function registerWasmTpuKernels(): void {
  for (const [op, k] of Object.entries(WASM_KERNELS)) {
    if (getKernel(op, 'wasm')) continue;
    const js = (ctx: KernelContext): NdArray => getKernel(op, 'js')!.run(ctx)[0]!;
    registerKernel({
      op, backend: 'wasm', dtypes: ['f32'], supports: k.supports,
      run: (ctx) => [(k.supports(ctx.op) ? k.run(ctx) : undefined) ?? js(ctx)],
    });
  }
}
