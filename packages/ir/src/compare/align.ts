// Shape and dtype alignment before two tensors are compared (npz_compare.py's
// align_type_and_shape and its NonMaxSuppression special case).
import { shapeSize, type DType, type NdArray } from '../core/dtype.js';
import { bf16BitsToNumber, f16BitsToNumber } from '../mlir/float-bits.js';
import type { AlignedKind } from './metrics.js';

export interface AlignedPair {
  readonly kind: AlignedKind;
  readonly shape: readonly number[];
  readonly target: Float32Array | Int32Array | Int8Array;
  readonly ref: Float32Array | Int32Array | Int8Array;
}

/** What alignment said on the way (TPU-MLIR prints these before the results). */
export type AlignOutcome = { ok: true; pair: AlignedPair; messages: string[] } | { ok: false; messages: string[] };

/** numpy's name for a dtype, as TPU-MLIR prints it (`d1.dtype`); bf16 is stored as uint16. */
export function numpyDTypeName(d: DType): string {
  const names: Record<DType, string> = {
    f64: 'float64', f32: 'float32', f16: 'float16', bf16: 'uint16', i8: 'int8', u8: 'uint8', i16: 'int16',
    u16: 'uint16', i32: 'int32', u32: 'uint32', i64: 'int64', u64: 'uint64', bool: 'bool',
  };
  return names[d];
}

/** A Python tuple as `str(shape)` prints it: `(1, 3)`, `(5,)`, `()`. */
export function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

export function alignForCompare(name: string, target: NdArray, ref: NdArray): AlignOutcome {
  const messages: string[] = [];
  let t = { shape: target.shape, values: toNumbers(target) };
  let r = { shape: ref.shape, values: toNumbers(ref) };
  const fail = (): AlignOutcome => {
    messages.push(`Error: ${name} in two npz file is not same shape. ${pyShape(t.shape)} v.s. ${pyShape(r.shape)}`);
    return { ok: false, messages };
  };
  // Top/tpu NMS outputs keep the largest shape; onnx and bmodel ones do not: cut to the smaller.
  if (name.includes('NonMaxSuppression')) {
    if (t.shape.length < 2 || r.shape.length < 2) return fail();
    const n = Math.min(t.shape[0]!, r.shape[0]!);
    t = crop(t, [n, ...t.shape.slice(1)]);
    r = crop(r, [n, ...r.shape.slice(1)]);
  }
  if (shapeSize(t.shape) === shapeSize(r.shape)) {
    r = { shape: t.shape, values: r.values }; // numpy reshape of the reference to the target's shape
  } else {
    messages.push(`WARRING: not the same shape  ${pyShape(t.shape)} v.s. ${pyShape(r.shape)}`);
    const sameRank = t.shape.length === r.shape.length;
    if (sameRank && t.shape.every((d, i) => d >= r.shape[i]!)) t = crop(t, r.shape);
    else if (sameRank && t.shape.every((d, i) => d <= r.shape[i]!)) r = crop(r, t.shape);
    else return fail();
  }
  const kind = alignedKind(target.dtype, ref.dtype);
  return { ok: true, messages, pair: { kind, shape: t.shape, target: cast(t.values, kind), ref: cast(r.values, kind) } };
}

/** int8 wins, then int32, else float32 (uint16 is bf16 and counts as float). */
export function alignedKind(a: DType, b: DType): AlignedKind {
  if (a === 'i8' || b === 'i8') return 'i8';
  if (a === 'i32' || b === 'i32') return 'i32';
  return 'f32';
}

/** Leading slices `data[:s0, :s1, ...]` of a C-order array. */
function crop(a: { shape: readonly number[]; values: Float64Array }, to: readonly number[]) {
  const out = new Float64Array(shapeSize(to));
  const rank = to.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= a.shape[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i]! * strides[i]!;
    out[o] = a.values[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < to[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: [...to], values: out };
}

/** Values as float64 numbers; uint16 (and bf16) are bf16 bits, f16 is decoded. */
function toNumbers(a: NdArray): Float64Array {
  const out = new Float64Array(a.data.length);
  const decode = a.dtype === 'u16' || a.dtype === 'bf16' ? bf16BitsToNumber : a.dtype === 'f16' ? f16BitsToNumber : undefined;
  if (decode) {
    const src = a.data as Uint16Array;
    for (let i = 0; i < src.length; i++) out[i] = decode(src[i]!);
  } else {
    const src = a.data as ArrayLike<number | bigint>;
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
  }
  return out;
}

/** numpy's astype: float to int truncates (x86 cvtt: out of range gives INT_MIN, then wraps). */
function cast(values: Float64Array, kind: AlignedKind): Float32Array | Int32Array | Int8Array {
  if (kind === 'f32') return Float32Array.from(values);
  const toInt = (v: number) => (Number.isFinite(v) && Math.abs(v) < 2 ** 31 ? Math.trunc(v) : Number.isInteger(v) ? Number(BigInt.asIntN(32, BigInt(v))) : -(2 ** 31));
  const out = kind === 'i32' ? new Int32Array(values.length) : new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toInt(values[i]!);
  return out;
}
