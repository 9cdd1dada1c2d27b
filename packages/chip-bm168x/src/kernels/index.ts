// Registers the js (reference, integer-exact) kernels of the `tpu` ops in the runtime's registry.
// Float results (F32/F16/BF16 modes) are computed in f32/f64 and rounded to their element type.
// The wasm backend runs INT8 Conv2D / MatMul on WebAssembly integer kernels (wasm-kernels.ts) and
// falls back to these per op for the rest.
import { getKernel, registerKernel, type KernelContext } from '@tpu-quant/runtime';
import type { NdArray } from '@tpu-quant/ir';
import { addKernel } from './add.js';
import { conv2dKernel } from './conv2d.js';
import { conv2dOnlyShiftKernel, isOnlyShift } from './bm1684-conv2d.js';
import { activeKernel, castKernel, lutKernel, reshapeKernel, softmaxKernel } from './elementwise.js';
import { matmulKernel } from './matmul.js';
import { batchedMatmulKernel } from './matmul-batched.js';
import { layerNormKernel, mulConstKernel, scaleKernel } from './float-norm.js';
import { pool2dKernel } from './pool2d.js';
import { concatKernel, padKernel, permuteKernel, sliceKernel, upsampleKernel } from './data-movement.js';
import { addConstKernel, mulKernel, mulShiftKernel, subKernel } from './arith.js';
import { deconvKernel } from './deconv.js';
import { scaleLutKernel, swapChannelKernel } from './preprocess.js';
import { requantIntAxisKernel, requantIntKernel } from './requant.js';
import { registerWasmTpuKernels } from './wasm-kernels.js';

const KERNELS: Readonly<Record<string, (ctx: KernelContext) => NdArray>> = {
  // BM1684 INT8 convs requantize by shift only (quant_mode OnlyShift)
  'tpu.Conv2D': (ctx) => (isOnlyShift(ctx.op) ? conv2dOnlyShiftKernel(ctx) : conv2dKernel(ctx)),
  'tpu.Add': addKernel,
  'tpu.Pool2D': pool2dKernel,
  // a right operand of rank > 2 (float act × act) has its own kernel
  'tpu.MatMul': (ctx) => ((ctx.inputs[1]?.shape.length ?? 2) > 2 ? batchedMatmulKernel(ctx) : matmulKernel(ctx)),
  'tpu.Lut': lutKernel,
  'tpu.Cast': castKernel,
  'tpu.Softmax': softmaxKernel,
  'tpu.Reshape': reshapeKernel,
  'tpu.Active': activeKernel,
  'tpu.Concat': concatKernel,
  'tpu.Slice': sliceKernel,
  'tpu.Permute': permuteKernel,
  'tpu.Upsample': upsampleKernel,
  'tpu.Pad': padKernel,
  'tpu.Mul': mulKernel,
  'tpu.Sub': subKernel,
  'tpu.MulShift': mulShiftKernel,
  'tpu.AddConst': addConstKernel,
  'tpu.Deconv': deconvKernel,
  'tpu.RequantIntAxis': requantIntAxisKernel,
  'tpu.RequantInt': requantIntKernel,
  'tpu.ScaleLut': scaleLutKernel,
  'tpu.SwapChannel': swapChannelKernel,
  'tpu.LayerNorm': layerNormKernel,
  'tpu.Scale': scaleKernel,
  'tpu.MulConst': mulConstKernel,
};

/** Registers every tpu kernel once (a second call, e.g. a package loaded twice, does nothing). */
export function registerTpuKernels(): string[] {
  for (const [op, run] of Object.entries(KERNELS)) {
    if (getKernel(op, 'js')) continue;
    registerKernel({ op, backend: 'js', dtypes: ['f32'], run: (ctx) => [run(ctx)] });
  }
  registerWasmTpuKernels();
  return Object.keys(KERNELS);
}
