// Concat for the wasm backend, in JS: a concat is only copies, and TypedArray.prototype.set of
// contiguous blocks (a memcpy in V8) beats a round trip through wasm memory. Per outer index
// (product of the dims before the axis) each input contributes one block of dim_axis·inner
// floats. The result comes from the session's pool (`allocOut`) instead of a fresh, zeroed array.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { allocOut, outShape, registerKernel } from '../../registry.js';
import { applyRelu, aroundAxis, normAxis } from '../../tensor.js';

/** Below this many floats a block is copied by a plain loop (subarray + set cost more). */
const SMALL = 16;

registerKernel({
  op: 'top.Concat',
  backend: 'wasm',
  dtypes: ['f32'],
  run: (ctx) => {
    const a = top.concatAttrs(ctx.op);
    const shape = outShape(ctx);
    const axis = normAxis(a.axis, shape.length);
    const [outer, dim, inner] = aroundAxis(shape, axis);
    const out = allocOut(ctx, shape);
    const od = out.data as Float32Array;
    const row = dim * inner;
    let at = 0;
    for (const x of ctx.inputs) {
      if (x === undefined) continue;
      const xd = (x as NdArray).data as Float32Array;
      const chunk = x.shape[axis]! * inner;
      if (chunk === 0) continue;
      if (outer === 1) od.set(chunk === xd.length ? xd : xd.subarray(0, chunk), at);
      else if (chunk < SMALL) {
        for (let o = 0, s = 0, d = at; o < outer; o++, d += row) for (let j = 0; j < chunk; j++) od[d + j] = xd[s++]!;
      } else {
        for (let o = 0, d = at; o < outer; o++, d += row) od.set(xd.subarray(o * chunk, (o + 1) * chunk), d);
      }
      at += chunk;
    }
    if (a.do_relu) applyRelu(od, a.relu_limit);
    return [out];
  },
});
