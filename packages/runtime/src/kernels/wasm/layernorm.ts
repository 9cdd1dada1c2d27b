// top.LayerNorm on wasm (assembly/layernorm.ts): each row over the axes from `axis` on, mean and
// variance in f64 as on js. Weight and bias may hold a suffix of the normalised shape (js indexes
// them modulo their size); they are tiled to a full row once per op and kept resident.
import { top } from '@tpu-quant/ir';
import { input0, outShape } from '../../registry.js';
import { normAxis, size } from '../../tensor.js';
import { dataOf, heap, keep, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

/** `v` repeated to `len` floats. */
function tiled(v: Float32Array, len: number): Float32Array {
  if (v.length === len) return v;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = v[i % v.length]!;
  return out;
}

wasmKernel('LayerNorm', (ctx) => {
  const a = top.layerNormAttrs(ctx.op);
  const x = input0(ctx);
  const len = size(x.shape.slice(normAxis(a.axis, x.shape.length)));
  const n = size(x.shape);
  const w = dataOf(ctx.inputs[1]);
  const b = dataOf(ctx.inputs[2]);
  const [pw, pb] = residentFor(ctx.op, [w, b, len], (alloc) => [
    w ? keep(alloc, tiled(w, len)) : 0,
    b ? keep(alloc, tiled(b, len)) : 0,
  ]);
  const xp = heap.put(x.data as Float32Array);
  if (n > 0) wasm.layerNormRows(xp, n / len, len, a.eps, pw!, pb!, xp);
  return takeOut(ctx, outShape(ctx), xp, n);
});
