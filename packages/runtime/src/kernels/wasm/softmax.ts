// Softmax over the last axis on wasm (assembly/softmax.ts): SIMD expf, f64 sum. Other axes and
// log-softmax stay on js.
import type { Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { input0, outShape } from '../../registry.js';
import { size } from '../../tensor.js';
import { heap, takeOut, wasm, wasmKernel } from './backend.js';

function lastAxis(op: Op): boolean {
  const a = top.softmaxAttrs(op);
  if (a.log) return false;
  const t = op.operands[0]?.type;
  const rank = t && t.kind === 'tensor' ? t.shape.length : undefined;
  if (rank === undefined || rank < 1) return false;
  return a.axis === -1 || a.axis === rank - 1;
}

wasmKernel('Softmax', (ctx) => {
  const x = input0(ctx);
  const n = size(x.shape);
  const len = x.shape[x.shape.length - 1]!;
  const xp = heap.put(x.data as Float32Array);
  if (n > 0) wasm.softmaxRows(xp, n / len, len, top.softmaxAttrs(ctx.op).beta, xp);
  return takeOut(ctx, outShape(ctx), xp, n);
}, lastAxis);
