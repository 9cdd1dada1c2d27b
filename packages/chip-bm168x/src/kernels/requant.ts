// tpu.RequantIntAxis (upstream lib/Dialect/Tpu/Interfaces/Common/RequantIntAxis.cpp, BM1684X
// packing): int32 data requantized per channel of axis 1 with quant = [multiplier, −rshift, zero
// point] per channel: y = saturate(zp + RightShiftRound((x − zx) · m, rshift, round_mode))
// (MultiplierShift; the product is exact, BigInt past 2^53). TFLite modes are not produced here.
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { requantIntAttrs, requantIntAxisAttrs } from '../dialect/generated/attrs.js';
import { mulRightShiftRound, storageRange } from '../quant/rounding.js';
import { clamp, exactWeight, f32Out, operandData, operandQuant, outShapeOf, quantOf } from './common.js';

export function requantIntAxisKernel(ctx: KernelContext): NdArray {
  const a = requantIntAxisAttrs(ctx.op);
  const name = `tpu.RequantIntAxis "${ctx.op.name ?? '?'}"`;
  if (a.quant_mode !== 'MultiplierShift' || a.fuse_rq_axis || a.rq_axis !== 1) throw new Error(`${name}: only MultiplierShift on axis 1`);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ) throw new Error(`${name}: the result must be int8/uint8`);
  const x = operandData(ctx, 0).data as ArrayLike<number>;
  const quant = exactWeight(ctx, 1)!;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const shape = outShapeOf(ctx);
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  const [lo, hi] = storageRange(outQ);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / inner) % c;
    const m = quant[3 * ch]!;
    const r = -quant[3 * ch + 1]!;
    const zp = quant[3 * ch + 2]!;
    out[i] = clamp(zp + mulRightShiftRound(x[i]! - zx, m, r, a.round_mode), lo, hi);
  }
  return f32Out(shape, out);
}

/**
 * tpu.RequantInt (upstream Common/RequantInt.cpp, MultiplierShift): 8-bit codes to another scale
 * and zero point, y = saturate(zy + RightShiftRound((x − zx) · m, rshift, round_mode)) (Concat's
 * `do_transfer` when a zero point is involved).
 */
export function requantIntKernel(ctx: KernelContext): NdArray {
  const a = requantIntAttrs(ctx.op);
  const name = `tpu.RequantInt "${ctx.op.name ?? '?'}"`;
  if (a.quant_mode !== 'MultiplierShift') throw new Error(`${name}: only MultiplierShift is computed`);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ) throw new Error(`${name}: the result must be int8/uint8`);
  const x = operandData(ctx, 0).data as ArrayLike<number>;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const [lo, hi] = storageRange(outQ);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = clamp(outQ.zeroPoint + mulRightShiftRound(x[i]! - zx, a.multiplier, a.rshift, a.round_mode), lo, hi);
  return f32Out(outShapeOf(ctx), out);
}
