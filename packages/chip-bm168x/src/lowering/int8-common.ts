// Small pieces every INT8 lowering file shares: weight data of an operand, None checks, placing
// a new op, and the pass-through result type of the data-movement ops.
import type { Location, NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { tensorType } from '@tpu-quant/ir';
import type { LoweringContext } from './context.js';

/** A lowering of one top op: the replacement value, or undefined to keep the op in float. */
export type Int8Lowering = (op: Op, cx: LoweringContext) => Value | undefined;

/** Weight data of an operand produced by a loaded top.Weight, as float. */
export function weightData(cx: LoweringContext, v: Value): NdArray | undefined {
  const p = v.producer;
  if (p?.type !== 'top.Weight' || p.name === undefined) return undefined;
  const w = cx.module.weights.get(p.name);
  return w && (w.dtype === 'f32' || w.dtype === 'f64') ? w : undefined;
}

export const isNone = (v: Value | undefined): boolean => v === undefined || v.type.kind === 'none';

export const isWeight = (v: Value): boolean => v.producer?.type === 'top.Weight';

/** Builder options placing the new op before `op` with `op`'s location (or `loc`). */
export function at(op: Op, cx: LoweringContext, resultType: TensorType, loc?: string | Location) {
  cx.b.setInsertionPointBefore(op);
  return { loc: loc ?? op.loc, resultType };
}

/** `shape` typed like the int8/uint8 value `like` (data-movement ops keep their input's type). */
export function sameElementAs(like: Value, shape: readonly number[]): TensorType {
  return tensorType(shape, (like.type as TensorType).element);
}
