// Reading and creating weights the way TPU-MLIR's rewrites do (top::WeightOp::read_as_float and
// WeightOp::create in lib/Dialect/Top/IR/TopOps.cpp). New weights are new arrays in
// module.weights; the arrays of the input module are never written.
import type { NdArray, Op, TensorType, Value } from '../../../core/index.js';
import { ndarray } from '../../../core/index.js';
import { OpBuilder } from '../../../dialects/index.js';
import type { PatternContext } from './pattern.js';

/** The value's static shape, or undefined for a non-tensor. */
export function shapeOf(v: Value): readonly number[] | undefined {
  return v.type.kind === 'tensor' ? (v.type as TensorType).shape : undefined;
}

export function numElements(v: Value): number | undefined {
  const s = shapeOf(v);
  return s === undefined ? undefined : s.reduce((a, d) => a * d, 1);
}

export function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** module::getStorageType(v).isF32(): f32 tensors, and calibrated ones expressed in f32. */
export function isF32(v: Value): boolean {
  if (v.type.kind !== 'tensor') return false;
  const e = (v.type as TensorType).element;
  if (e.kind === 'float') return e.name === 'f32';
  return e.kind === 'quant.calibrated' && e.expressed.name === 'f32';
}

export function isF32OrF16(v: Value): boolean {
  if (isF32(v)) return true;
  const e = v.type.kind === 'tensor' ? (v.type as TensorType).element : undefined;
  return e?.kind === 'float' && e.name === 'f16';
}

/** module::isWeight: the value is a top.Weight's result. */
export function isWeight(v: Value | undefined): boolean {
  return v?.producer?.type === 'top.Weight';
}

export function isNone(v: Value | undefined): boolean {
  return v === undefined || v.producer?.type === 'top.None';
}

/** The weight's data as float32 (read_as_float), or undefined when it is no loaded weight. */
export function readAsFloat(cx: PatternContext, v: Value | undefined): Float32Array | undefined {
  const w = v?.producer;
  if (!w || w.type !== 'top.Weight' || !w.name) return undefined;
  const arr = cx.module.weights.get(w.name);
  if (!arr || arr.dtype === 'bool') return undefined;
  // A copy: callers may compute into it, and the module's arrays stay as they are.
  const out = new Float32Array(arr.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(arr.data[i]);
  return out;
}

/**
 * WeightOp::create(owner, suffix, data): a new f32 weight named `<owner>_<suffix>`, or
 * `<owner>_<k>_<suffix>` (k = 1, 2, ...) when that name is taken; its Weight op goes before `owner`.
 */
export function createWeight(cx: PatternContext, owner: Op, suffix: string, data: Float32Array, shape: readonly number[]): Value {
  const base = owner.name ?? 'weight';
  let name = `${base}_${suffix}`;
  for (let k = 1; cx.module.weights.has(name); k++) name = `${base}_${k}_${suffix}`;
  const b = new OpBuilder(cx.func).setInsertionPointBefore(owner);
  return b.weight(name, ndarray('f32', shape, data) as NdArray);
}

/** Math.fround, short: TPU-MLIR computes these folds in C++ float. */
export const f = Math.fround;
