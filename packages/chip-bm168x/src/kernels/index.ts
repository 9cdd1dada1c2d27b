// Registers the js (reference, integer-exact) kernels of the `tpu` ops in the runtime's registry.
// Float results (F32/F16/BF16 modes) are computed in f32/f64 and rounded to their element type.
// There is no wasm integer path yet: sessions on the wasm backend fall back to these per op.
import { getKernel, registerKernel, type KernelContext } from '@tpu-quant/runtime';
import type { NdArray } from '@tpu-quant/ir';
import { addKernel } from './add.js';
import { conv2dKernel } from './conv2d.js';
import { activeKernel, castKernel, lutKernel, reshapeKernel, softmaxKernel } from './elementwise.js';
import { matmulKernel } from './matmul.js';
import { pool2dKernel } from './pool2d.js';

const KERNELS: Readonly<Record<string, (ctx: KernelContext) => NdArray>> = {
  'tpu.Conv2D': conv2dKernel,
  'tpu.Add': addKernel,
  'tpu.Pool2D': pool2dKernel,
  'tpu.MatMul': matmulKernel,
  'tpu.Lut': lutKernel,
  'tpu.Cast': castKernel,
  'tpu.Softmax': softmaxKernel,
  'tpu.Reshape': reshapeKernel,
  'tpu.Active': activeKernel,
};

/** Registers every tpu kernel once (a second call, e.g. a package loaded twice, does nothing). */
export function registerTpuKernels(): string[] {
  for (const [op, run] of Object.entries(KERNELS)) {
    if (getKernel(op, 'js')) continue;
    registerKernel({ op, backend: 'js', dtypes: ['f32'], run: (ctx) => [run(ctx)] });
  }
  return Object.keys(KERNELS);
}
