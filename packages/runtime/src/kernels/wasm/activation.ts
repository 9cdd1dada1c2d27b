// Activations on wasm (assembly/activation.ts): the exp-based ones through a SIMD expf within
// 3e-7 relative, Tanh in f64 scalar.
import type { Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, outShape } from '../../registry.js';
import { size } from '../../tensor.js';
import { heap, takeOut, wasm, wasmKernel } from './backend.js';

// kinds of assembly/activation.ts
const KIND = { Sigmoid: 0, SiLU: 1, HardSigmoid: 2, HardSwish: 3, LeakyRelu: 4, Tanh: 5, Exp: 6 } as const;

function act(ctx: KernelContext, kind: number, p0 = 0, p1 = 0) {
  const x = input0(ctx);
  const n = size(x.shape);
  const xp = heap.put(x.data as Float32Array);
  wasm.activation(kind, xp, n, p0, p1, xp);
  return takeOut(ctx, outShape(ctx), xp, n);
}

// Sigmoid's log form stays on js
wasmKernel('Sigmoid', (ctx) => {
  const a = top.sigmoidAttrs(ctx.op);
  return act(ctx, KIND.Sigmoid, a.scale, a.bias);
}, (op: Op) => !top.sigmoidAttrs(op).log);
wasmKernel('SiLU', (ctx) => act(ctx, KIND.SiLU));
wasmKernel('HardSigmoid', (ctx) => {
  const a = top.hardSigmoidAttrs(ctx.op);
  return act(ctx, KIND.HardSigmoid, a.alpha, a.beta);
});
wasmKernel('HardSwish', (ctx) => act(ctx, KIND.HardSwish));
wasmKernel('LeakyRelu', (ctx) => act(ctx, KIND.LeakyRelu, top.leakyReluAttrs(ctx.op).alpha));
wasmKernel('Tanh', (ctx) => act(ctx, KIND.Tanh));
wasmKernel('Exp', (ctx) => act(ctx, KIND.Exp));
