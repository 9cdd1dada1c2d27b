import type { ElementType, FloatType, IntegerType } from './types.js';
import { storageElement } from './types.js';

/**
 * Element types of tensor data as stored in memory and in npz files. bf16 is held as its 16 raw
 * bits (numpy has no bf16: TPU-MLIR stores it as uint16), f16 likewise as raw bits.
 */
export type DType = 'f64' | 'f32' | 'f16' | 'bf16' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'bool';

export const DTYPES: readonly DType[] = ['f64', 'f32', 'f16', 'bf16', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'bool'];

export type TypedArrayOf<D extends DType> = D extends 'f64'
  ? Float64Array
  : D extends 'f32'
    ? Float32Array
    : D extends 'f16' | 'bf16' | 'u16'
      ? Uint16Array
      : D extends 'i8'
        ? Int8Array
        : D extends 'u8' | 'bool'
          ? Uint8Array
          : D extends 'i16'
            ? Int16Array
            : D extends 'i32'
              ? Int32Array
              : D extends 'u32'
                ? Uint32Array
                : D extends 'i64'
                  ? BigInt64Array
                  : BigUint64Array;

export type AnyTypedArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

const BYTES: Record<DType, number> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, bool: 1,
};

export function dtypeBytes(d: DType): number {
  return BYTES[d];
}

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

/** Allocates a zeroed typed array for `n` elements of `d`. */
export function allocTyped<D extends DType>(d: D, n: number): TypedArrayOf<D> {
  switch (d) {
    case 'f64': return new Float64Array(n) as TypedArrayOf<D>;
    case 'f32': return new Float32Array(n) as TypedArrayOf<D>;
    case 'f16': case 'bf16': case 'u16': return new Uint16Array(n) as TypedArrayOf<D>;
    case 'i8': return new Int8Array(n) as TypedArrayOf<D>;
    case 'u8': case 'bool': return new Uint8Array(n) as TypedArrayOf<D>;
    case 'i16': return new Int16Array(n) as TypedArrayOf<D>;
    case 'i32': return new Int32Array(n) as TypedArrayOf<D>;
    case 'u32': return new Uint32Array(n) as TypedArrayOf<D>;
    case 'i64': return new BigInt64Array(n) as TypedArrayOf<D>;
    default: return new BigUint64Array(n) as TypedArrayOf<D>;
  }
}

/** The dtype a tensor of this element type is stored as. Quant types store as their storage type. */
export function dtypeOf(e: ElementType): DType {
  const s = storageElement(e);
  if (s.kind === 'index') return 'i64';
  return s.kind === 'float' ? floatDType(s) : intDType(s);
}

function floatDType(t: FloatType): DType {
  return t.name;
}

function intDType(t: IntegerType): DType {
  if (t.width === 1) return 'bool';
  const unsigned = t.signedness === 'unsigned';
  switch (t.width) {
    case 8: return unsigned ? 'u8' : 'i8';
    case 16: return unsigned ? 'u16' : 'i16';
    case 32: return unsigned ? 'u32' : 'i32';
    case 64: return unsigned ? 'u64' : 'i64';
    default: throw new RangeError(`no storage dtype for a ${t.width}-bit integer`);
  }
}

/** An n-dimensional array of raw data, as read from or written to npy/npz. */
export interface NdArray<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf<D>;
}

/** The number of elements of a tensor of this shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function ndarray<D extends DType>(dtype: D, shape: readonly number[], data?: TypedArrayOf<D>): NdArray<D> {
  const n = shapeSize(shape);
  const buf = data ?? allocTyped(dtype, n);
  if (buf.length !== n) throw new RangeError(`data has ${buf.length} elements, shape [${shape.join(',')}] needs ${n}`);
  return { dtype, shape: [...shape], data: buf };
}
