// tpu.Mul, tpu.Sub, tpu.AddConst and tpu.MulShift (spec deploy.md §3.10 Mul / MulConst / Add-Sub
// / Concat; upstream lib/Dialect/Tpu/Interfaces/Common/{Mul,Sub,AddConst,MulShift}.cpp, symmetric
// BM1684X paths):
//   Mul      y = saturate(RightShiftRound(q1 · q2 · m, r, HalfUp))
//   Sub      y = saturate(RightShiftRound(q0 · m0, r0, HalfUp) − RightShiftRound(q1 · m1, r1, HalfUp))
//   AddConst y = saturate(RightShiftRound((q − zx) · m + const_val, r, HalfUp)), ReLU at 0
//   MulShift y = saturate(RightShiftRound((q − zx) · m, r, HalfUp) + zy)
// Inputs broadcast numpy-style. A fused ReLU clamps the result at the zero point; relu_limit is
// taken in the output's real units (TPU-MLIR's interpreter applies it to the raw integer product,
// which no lowering of ours produces). Float results (F32/F16/BF16 forms) compute in f64 and round
// to their element type.
import { shapeSize, type NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { addConstAttrs, mulAttrs, mulShiftAttrs, subAttrs } from '../dialect/generated/attrs.js';
import { storageRange } from '../quant/rounding.js';
import { broadcastIndex } from './add.js';
import { clamp, floatIn, floatOut, mulShiftHalfUp, operandQuant, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

interface Term {
  readonly data: Float32Array;
  readonly idx: Int32Array | undefined;
}

function terms(ctx: KernelContext, shape: readonly number[]): Term[] {
  return ctx.inputs.map((_, i) => {
    const x = floatIn(ctx, i);
    return { data: x.data as Float32Array, idx: broadcastIndex(x.shape, shape) };
  });
}

const at = (t: Term, k: number): number => t.data[t.idx ? t.idx[k]! : k]!;

export function mulKernel(ctx: KernelContext): NdArray {
  const a = mulAttrs(ctx.op);
  const shape = outShapeOf(ctx);
  const n = shapeSize(shape);
  const ts = terms(ctx, shape);
  if (ts.length !== 2) throw new Error(`tpu.Mul "${ctx.op.name ?? '?'}": ${ts.length} inputs, the kernel takes 2`);
  const [x, y] = ts as [Term, Term];
  const outQ = quantOf(ctx.outputTypes[0]);
  const out = new Float32Array(n);
  if (outQ) {
    const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
    for (let k = 0; k < n; k++) out[k] = clamp(mulShiftHalfUp(at(x, k) * at(y, k), a.multiplier, a.rshift) + outQ.zeroPoint, lo, hi);
  } else {
    for (let k = 0; k < n; k++) {
      const v = at(x, k) * at(y, k);
      out[k] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
    }
  }
  return floatOut(ctx, shape, out);
}

export function subKernel(ctx: KernelContext): NdArray {
  const a = subAttrs(ctx.op);
  const shape = outShapeOf(ctx);
  const n = shapeSize(shape);
  const ts = terms(ctx, shape);
  if (ts.length !== 2) throw new Error(`tpu.Sub "${ctx.op.name ?? '?'}": ${ts.length} inputs, the kernel takes 2`);
  // is_reverse: inputs[1] − inputs[0]; each input keeps its own multiplier
  const [l, r] = a.is_reverse ? [1, 0] : [0, 1];
  const outQ = quantOf(ctx.outputTypes[0]);
  const out = new Float32Array(n);
  if (outQ) {
    const m = a.multipliers ?? [1, 1];
    const s = a.rshifts ?? [0, 0];
    const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
    for (let k = 0; k < n; k++) {
      const lhs = mulShiftHalfUp(at(ts[l]!, k), m[l]!, s[l]!);
      const rhs = mulShiftHalfUp(at(ts[r]!, k), m[r]!, s[r]!);
      out[k] = clamp(lhs - rhs + outQ.zeroPoint, lo, hi);
    }
  } else {
    const c = a.coeff ?? [1, 1];
    for (let k = 0; k < n; k++) {
      const v = c[l]! * at(ts[l]!, k) - c[r]! * at(ts[r]!, k);
      out[k] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
    }
  }
  return floatOut(ctx, shape, out);
}

export function mulShiftKernel(ctx: KernelContext): NdArray {
  const a = mulShiftAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ) throw new Error(`tpu.MulShift "${ctx.op.name ?? '?'}": the result must be int8/uint8`);
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const x = floatIn(ctx, 0).data as Float32Array;
  const [lo, hi] = storageRange(outQ);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = clamp(mulShiftHalfUp(x[i]! - zx, a.multiplier, a.rshift) + outQ.zeroPoint, lo, hi);
  return floatOut(ctx, outShapeOf(ctx), out);
}

export function addConstKernel(ctx: KernelContext): NdArray {
  const a = addConstAttrs(ctx.op);
  const x = floatIn(ctx, 0).data as Float32Array;
  const outQ = quantOf(ctx.outputTypes[0]);
  const out = new Float32Array(x.length);
  if (outQ) {
    const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
    const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
    for (let i = 0; i < x.length; i++) out[i] = clamp(mulShiftHalfUp((x[i]! - zx) * a.multiplier + a.const_val, 1, a.rshift) + outQ.zeroPoint, lo, hi);
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]! + a.const_val;
      out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
    }
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}
