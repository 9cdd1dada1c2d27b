// Softmax / log-softmax along one axis, inputs scaled by beta. The max is subtracted first and the
// sums kept in f64, so large inputs neither overflow nor lose the small terms.
import { top } from '@tpu-quant/ir';
import { input0, jsKernel, outShape } from '../../registry.js';
import { aroundAxis, f32, normAxis } from '../../tensor.js';

jsKernel('Softmax', (ctx) => {
  const a = top.softmaxAttrs(ctx.op);
  const x = input0(ctx);
  const xd = x.data as Float32Array;
  const [outer, dim, inner] = aroundAxis(x.shape, normAxis(a.axis, x.shape.length));
  const out = new Float32Array(xd.length);
  const e = new Float64Array(dim);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let d = 0; d < dim; d++) max = Math.max(max, a.beta * xd[base + d * inner]!);
      let sum = 0;
      for (let d = 0; d < dim; d++) {
        e[d] = a.beta * xd[base + d * inner]! - max;
        sum += Math.exp(e[d]!);
      }
      const logSum = Math.log(sum);
      for (let d = 0; d < dim; d++) {
        out[base + d * inner] = a.log ? e[d]! - logSum : Math.exp(e[d]!) / sum;
      }
    }
  }
  return f32(outShape(ctx), out);
});
