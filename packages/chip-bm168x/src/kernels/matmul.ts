// tpu.MatMul with a 2-D right operand (spec deploy.md §3.10 MatMul / FC): INT8
// acc = Σ_k q_in·Wq + bias_i32, y = saturate(RightShiftRound(acc · m, r, HalfUp) + ZPo), per-tensor
// (m, r) (`multipliers`/`rshifts` of length 1; per-channel when they have N entries). Float: f64 sums,
// the result rounded to its element type (f32/f16/bf16; an f16/bf16 right operand arrives decoded).
// A right operand of rank > 2 (float act × act) runs matmul-batched.ts; transposed left/output
// are not handled (the lowering keeps such MatMuls top ops).
import type { NdArray } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { matMulAttrs } from '../dialect/generated/attrs.js';
import { clamp, exactWeight, floatIn, floatOut, mulShiftHalfUp, operandData, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

export function matmulKernel(ctx: KernelContext): NdArray {
  const op = ctx.op;
  const a = matMulAttrs(op);
  const x = floatIn(ctx, 0);
  const w = floatIn(ctx, 1);
  if (w.shape.length !== 2 || a.left_transpose || a.output_transpose || a.hdim_is_batch) {
    throw new UserError('E_UNSUPPORTED_OP', `tpu.MatMul "${op.name ?? '?'}": only a 2-D right operand without left/output transposes is supported`);
  }
  const [r0, r1] = w.shape as [number, number];
  const [k, nOut] = a.right_transpose ? [r1, r0] : [r0, r1];
  const rows = x.data.length / k;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const shape = outShapeOf(ctx);
  const outQ = quantOf(ctx.outputTypes[0]);
  const m = a.multipliers;
  const rs = a.rshifts;
  const [lo, hi] = outQ ? reluBounds(outQ, a.do_relu, a.relu_limit) : [-Infinity, Infinity];
  const out = new Float32Array(rows * nOut);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < nOut; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let t = 0; t < k; t++) acc += xd[i * k + t]! * wd[a.right_transpose ? j * k + t : t * nOut + j]!;
      if (outQ) {
        const c = m.length === 1 ? 0 : j;
        out[i * nOut + j] = clamp(mulShiftHalfUp(acc, m[c]!, rs[c]!) + outQ.zeroPoint, lo, hi);
      } else out[i * nOut + j] = a.do_relu ? floatRelu(acc, a.relu_limit) : acc;
    }
  }
  return floatOut(ctx, shape, out);
}
