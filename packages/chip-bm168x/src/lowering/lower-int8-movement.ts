// INT8 lowerings of the data-movement ops (spec deploy.md §3.4, §3.10 Concat and
// "Reshape/Permute/Slice/Squeeze/Upsample/Pad/Depth2Space/Gather: type-preserving"): after
// threshold propagation input and output share a range, so the int8 codes move unchanged.
//
// Concat requantizes an input whose (scale, zero point, sign) differs from the output's with a
// tpu.MulShift named `<input>_to_<concat>` (upstream `do_transfer`, get_scale_and_shift_positive
// 8-bit), or a tpu.RequantInt (MultiplierShift, same multiplier) when either side has a zero
// point; a constant input sends the Concat to float (F16), as upstream does.
//
// Deliberate differences from TPU-MLIR:
// - A pass-through op keeps its input's int8 type even when the table gave its output another
//   range (propagation makes them equal; when it cannot, the codes are still right this way,
//   while TPU-MLIR would relabel them with the output's scale).
// - A Gather of one constant index is lowered as a tpu.Slice (+ tpu.Reshape when the axis is
//   dropped): TPU-MLIR's top canonicalization turns that Gather into a Slice before calibration
//   (lib/Dialect/Top/Canonicalize/Gather.cpp), which our model_transform does not do yet. Other
//   Gathers stay float (F16), as upstream's BM1684X Gather INT8 lowering does.
import type { Op, TensorType, Value } from '@tpu-quant/ir';
import { tensorType, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { getScaleAndShiftPositive } from '../quant/multiplier.js';
import { roundHalfAwayFromZero } from '../quant/rounding.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';
import { at, isWeight, sameElementAs, type Int8Lowering } from './int8-common.js';

const shapeOf = (v: Value): number[] => [...(v.type as TensorType).shape];

/** A data-movement op: `build(input)` with the input as int8 (cast when it is float with a range). */
function passThrough(build: (op: Op, cx: LoweringContext, input: Value, resultType: TensorType) => Value | undefined): Int8Lowering {
  return (op, cx) => {
    if (isWeight(op.operand(0))) return undefined;
    const input = cx.int8(op.operand(0));
    const out = shapeOf(op.result());
    if (!input || out.some((d) => d < 0)) return undefined;
    return build(op, cx, input, sameElementAs(input, out));
  };
}

const slice = passThrough((op, cx, input, t) => {
  const a = top.sliceAttrs(op);
  // offset / ends / steps given as tensors are folded by the importer; refuse the rest
  if (op.operands.slice(1).some((v) => v.type.kind !== 'none')) return undefined;
  return tpu.slice(cx.b, { input }, { offset: a.offset, steps: a.steps, ends: a.ends, axes: a.axes.length > 0 ? a.axes : a.offset.map((_, i) => i) }, at(op, cx, t)).result();
});

const permute = passThrough((op, cx, input, t) => tpu.permute(cx.b, { input }, { order: top.permuteAttrs(op).order }, at(op, cx, t)).result());

const upsample = passThrough((op, cx, input, t) => {
  const a = top.upsampleAttrs(op);
  return tpu.upsample(cx.b, { input }, { scale_h: a.scale_h, scale_w: a.scale_w, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, t)).result();
});

/** Pad: the constant becomes a code, round(val / S + ZP) (upstream Pad.cpp LoweringINT8). */
const pad = passThrough((op, cx, input, t) => {
  const a = top.padAttrs(op);
  if (a.paddings.length === 0 || op.operands.slice(1).some((v) => v.type.kind !== 'none')) return undefined;
  const q = paramsOf(input)!;
  const val = roundHalfAwayFromZero(a.val / q.scale + q.zeroPoint);
  return tpu.pad(cx.b, { input }, { paddings: a.paddings, val, mode: a.mode }, at(op, cx, t)).result();
});

/** Gather of one constant index → Slice on that axis (+ Reshape dropping it). */
const gather = passThrough((op, cx, input, t) => {
  const a = top.gatherAttrs(op);
  const idx = intWeight(cx, op.operand(1));
  if (!idx || idx.length !== 1) return undefined;
  const inShape = shapeOf(input);
  const axis = a.axis < 0 ? a.axis + inShape.length : a.axis;
  const d = inShape[axis]!;
  const i = idx[0]! < 0 ? idx[0]! + d : idx[0]!;
  if (!Number.isInteger(i) || i < 0 || i >= d) return undefined;
  const sliced = inShape.map((s, k) => (k === axis ? 1 : s));
  const same = sliced.length === t.shape.length && sliced.every((s, k) => s === t.shape[k]);
  const name = same ? undefined : cx.freshName(`${op.name ?? 'gather'}_slice`);
  const s = tpu.slice(cx.b, { input }, { offset: [i], steps: [1], ends: [i + 1], axes: [axis] }, at(op, cx, sameElementAs(input, sliced), name)).result();
  if (same) return s;
  return tpu.reshape(cx.b, { input: s }, { shape: [...t.shape] }, at(op, cx, t)).result();
});

/** The values of a constant index operand (a top.Weight of any integer or float dtype). */
function intWeight(cx: LoweringContext, v: Value): number[] | undefined {
  const p = v.producer;
  const w = p?.type === 'top.Weight' && p.name !== undefined ? cx.module.weights.get(p.name) : undefined;
  if (!w || w.dtype === 'f16' || w.dtype === 'bf16') return undefined;
  return Array.from(w.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/**
 * Concat: every input in the output's int8 type (a MulShift where it differs), then a pure copy.
 * A weight input → undefined (float), as upstream lowers such a Concat in F16.
 */
const concat: Int8Lowering = (op, cx) => {
  if (op.operands.some(isWeight)) return undefined;
  const outT = cx.quantTypeOf(op.result());
  if (!outT) return undefined;
  const outU = outT.element;
  if (outU.kind !== 'quant.uniform') return undefined;
  const outQ = paramsOfType(outT);
  const done = new Map<Value, Value>();
  const inputs: Value[] = [];
  for (const v of op.operands) {
    const hit = done.get(v);
    if (hit) {
      inputs.push(hit);
      continue;
    }
    const q = cx.int8(v);
    if (!q) return undefined;
    const inQ = paramsOf(q)!;
    const same = inQ.scale === outQ.scale && inQ.zeroPoint === outQ.zeroPoint && inQ.signed === outQ.signed;
    let moved = q;
    if (!same) {
      const ms = getScaleAndShiftPositive(inQ.scale / outQ.scale, 8);
      const name = cx.freshName(`${q.name ?? 'in'}_to_${op.name ?? 'concat'}`);
      const t = at(op, cx, tensorType(shapeOf(q), outU), name);
      moved = inQ.zeroPoint === 0 && outQ.zeroPoint === 0
        ? tpu.mulShift(cx.b, { input: q }, { multiplier: ms.multiplier, rshift: ms.shift }, t).result()
        : tpu.requantInt(cx.b, { input: q }, { multiplier: ms.multiplier, rshift: ms.shift, quant_mode: 'MultiplierShift' }, t).result();
    }
    done.set(v, moved);
    inputs.push(moved);
  }
  const a = top.concatAttrs(op);
  return tpu.concat(cx.b, { inputs }, { axis: a.axis, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, outT)).result();
};

/** The data-movement ops lowered to INT8, by top op type. */
export const MOVEMENT_LOWERINGS: Readonly<Record<string, Int8Lowering>> = {
  'top.Concat': concat,
  'top.Slice': slice,
  'top.Permute': permute,
  'top.Upsample': upsample,
  'top.Pad': pad,
  'top.Gather': gather,
};
