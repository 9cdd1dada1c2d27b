// tpu.MatMul in float with a right operand of rank > 2 (activation × activation, e.g. attention's
// Q·Kᵀ and P·V): [..., M, K] × [..., K, N] (or [..., N, K] with right_transpose), batch dims
// broadcast numpy-style; f64 sums, optional bias over N and fused ReLU, the result rounded to its
// element type. INT8 act × act MatMuls are not lowered here (the lowering keeps them float).
import { shapeSize, type NdArray } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { matMulAttrs } from '../dialect/generated/attrs.js';
import { broadcastIndex } from './add.js';
import { floatIn, floatOut, outShapeOf, quantOf } from './common.js';
import { floatRelu } from './conv2d.js';

export function batchedMatmulKernel(ctx: KernelContext): NdArray {
  const a = matMulAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const w = floatIn(ctx, 1);
  const shape = outShapeOf(ctx);
  if (quantOf(ctx.outputTypes[0]) || a.left_transpose || a.output_transpose || a.hdim_is_batch || x.shape.length < 2 || shape.length !== Math.max(x.shape.length, w.shape.length)) {
    throw new UserError('E_UNSUPPORTED_OP', `tpu.MatMul "${ctx.op.name ?? '?'}": a batched right operand is supported in float, without left/output transposes`);
  }
  const rank = shape.length;
  const [m, k] = x.shape.slice(-2) as [number, number];
  const [r0, r1] = w.shape.slice(-2) as [number, number];
  const n = a.right_transpose ? r0 : r1;
  if ((a.right_transpose ? r1 : r0) !== k) throw new Error(`tpu.MatMul "${ctx.op.name ?? '?'}": inner sizes ${k} and ${a.right_transpose ? r1 : r0} differ`);
  // each operand's batch index per output batch: broadcast over [batch..., 1, 1]
  const batchShape = shape.slice(0, rank - 2);
  const batches = shapeSize(batchShape);
  const batchIndex = (s: readonly number[]): Int32Array | undefined => {
    const b = s.slice(0, s.length - 2);
    return broadcastIndex(b.length ? b : [1], batchShape.length ? batchShape : [1]);
  };
  const xi = batchIndex(x.shape);
  const wi = batchIndex(w.shape);
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const bias = ctx.inputs[2] ? (floatIn(ctx, 2).data as Float32Array) : undefined;
  const out = new Float32Array(batches * m * n);
  for (let bt = 0; bt < batches; bt++) {
    const xo = (xi ? xi[bt]! : bt) * m * k;
    const wo = (wi ? wi[bt]! : bt) * k * n;
    const oo = bt * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = bias ? bias[j]! : 0;
        for (let t = 0; t < k; t++) acc += xd[xo + i * k + t]! * wd[wo + (a.right_transpose ? j * k + t : t * n + j)]!;
        out[oo + i * n + j] = a.do_relu ? floatRelu(acc, a.relu_limit) : acc;
      }
    }
  }
  return floatOut(ctx, shape, out);
}
