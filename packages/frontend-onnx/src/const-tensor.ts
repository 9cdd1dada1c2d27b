// Constant tensors as the importer holds them: initializers, Constant nodes and everything
// constant folding computes. Float tensors keep float32 data (weights are large); integer and
// bool tensors hold their values as doubles (they are shapes and indices, small and exact).
import { ndarray, type NdArray } from '@tpu-quant/ir';

export type ConstKind = 'float' | 'int' | 'bool';

export interface ConstTensor {
  readonly kind: ConstKind;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function constOf(kind: ConstKind, shape: readonly number[], values: ArrayLike<number>): ConstTensor {
  const data = kind === 'float' && values instanceof Float32Array ? values : Float64Array.from(values);
  if (data.length !== numel(shape)) throw new RangeError(`constant of shape [${shape.join(',')}] given ${data.length} values`);
  return { kind, shape: [...shape], data };
}

/** A plain number list (shape operands, axes, pads). */
export function toNumbers(c: ConstTensor): number[] {
  return Array.from(c.data);
}

/**
 * The float32 weight TPU-MLIR stores for a constant (it converts every initializer with
 * astype(float32)); rank-0 constants become [1] as TPU-MLIR's shapes do.
 */
export function toWeightArray(c: ConstTensor): NdArray<'f32'> {
  const shape = c.shape.length === 0 ? [1] : [...c.shape];
  const data = c.data instanceof Float32Array ? c.data : Float32Array.from(c.data);
  return ndarray('f32', shape, data);
}

/** Whether every element equals the first (TPU-MLIR's isScalar for weights). */
export function isUniform(c: ConstTensor): boolean {
  const d = c.data;
  if (d.length === 0) return false;
  for (let i = 1; i < d.length; i++) if (d[i] !== d[0]) return false;
  return true;
}
