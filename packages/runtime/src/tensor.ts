// Tensor helpers shared by the js kernels and the session. The js backend holds every tensor as
// f32 (integer index tensors too: exact up to 2^24, which covers every index a model holds).
import type { NdArray } from '@tpu-quant/ir';
import { f16BitsToNumber, ndarray } from '@tpu-quant/ir';

export type F32 = NdArray<'f32'>;

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function f32(shape: readonly number[], data?: Float32Array): F32 {
  return ndarray('f32', shape, data ?? new Float32Array(size(shape)));
}

/** Same data, new shape (no copy; the caller guarantees equal sizes). */
export function reshaped(x: NdArray, shape: readonly number[]): F32 {
  return f32(shape, x.data as Float32Array);
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Converts any stored dtype to f32 values (f16/bf16 decoded from their raw bits). */
export function toF32(x: NdArray): F32 {
  if (x.dtype === 'f32') return x as F32;
  const n = x.data.length;
  const out = new Float32Array(n);
  if (x.dtype === 'bf16') {
    const u = new Uint32Array(out.buffer);
    const src = x.data as Uint16Array;
    for (let i = 0; i < n; i++) u[i] = src[i]! << 16;
  } else if (x.dtype === 'f16') {
    const src = x.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = f16BitsToNumber(src[i]!);
  } else {
    const src = x.data as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
  }
  return f32(x.shape, out);
}

/** Numpy broadcast of two shapes; undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides of `shape` read as `outShape` under broadcasting: 0 on broadcast axes, so that
 * offset = Σ index[i]·stride[i] walks the smaller tensor.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const r = outShape.length;
  const s = stridesOf(shape);
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = r - shape.length + i;
    out[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : s[i]!;
  }
  return out;
}

/**
 * out[i] = src[start + Σ index[d]·strides[d]] over every index of `shape` (an odometer walk that
 * keeps the source offset in step): broadcasting, permutation and slicing are all this.
 */
export function stridedGather(src: Float32Array, shape: readonly number[], strides: readonly number[], start = 0): Float32Array {
  const n = size(shape);
  const out = new Float32Array(n);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  let off = start;
  for (let i = 0; i < n; i++) {
    out[i] = src[off]!;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Reads `x` broadcast to `outShape` into a new contiguous f32 array. */
export function broadcastTo(x: NdArray, outShape: readonly number[]): Float32Array {
  const src = x.data as Float32Array;
  if (size(x.shape) === size(outShape)) return src;
  return stridedGather(src, outShape, broadcastStrides(x.shape, outShape));
}

/** Elementwise f(a, b) with numpy broadcasting. */
export function binaryBroadcast(a: NdArray, b: NdArray, f: (x: number, y: number) => number, what: string): F32 {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Error(`${what}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not broadcast`);
  const x = broadcastTo(a, shape);
  const y = broadcastTo(b, shape);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x[i]!, y[i]!);
  return f32(shape, out);
}

/** y = max(0, x), capped at limit when limit > 0 (TPU-MLIR's fused do_relu / relu_limit). */
export function applyRelu(data: Float32Array, limit: number): void {
  for (let i = 0; i < data.length; i++) {
    let v = data[i]! > 0 ? data[i]! : 0;
    if (limit > 0 && v > limit) v = limit;
    data[i] = v;
  }
}

/** Source index along one axis for an output position `i` in a padded axis; -1 = constant. */
function padIndex(i: number, before: number, d: number, mode: string): number {
  let j = i - before;
  if (j >= 0 && j < d) return j;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return Math.min(Math.max(j, 0), d - 1);
  // reflect mirrors without repeating the edge; symmetric repeats it
  const period = mode === 'reflect' ? 2 * (d - 1) : 2 * d;
  if (period === 0) return 0;
  j = ((j % period) + period) % period;
  if (mode === 'reflect') return j < d ? j : period - j;
  return j < d ? j : period - 1 - j;
}

/**
 * `x` padded to `outShape`: `paddings` holds every axis's "before" amount, then every "after"
 * one; `mode` is constant (with `val`), edge, reflect or symmetric, as top.Pad / tpu.Pad say.
 */
export function padData(x: NdArray, paddings: readonly number[], mode: string, val: number, outShape: readonly number[]): Float32Array {
  const r = x.shape.length;
  const maps = outShape.map((dOut, ax) => Array.from({ length: dOut }, (_, i) => padIndex(i, paddings[ax]!, x.shape[ax]!, mode)));
  const st = stridesOf(x.shape);
  const xd = x.data as Float32Array;
  const out = new Float32Array(size(outShape));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let d = 0; d < r && off >= 0; d++) {
      const j = maps[d]![idx[d]!]!;
      off = j < 0 ? -1 : off + j * st[d]!;
    }
    out[i] = off < 0 ? val : xd[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Generic permutation of axes (out axis i = in axis order[i]). */
export function permute(x: NdArray, order: readonly number[]): F32 {
  const st = stridesOf(x.shape);
  const outShape = order.map((o) => x.shape[o]!);
  return f32(outShape, stridedGather(x.data as Float32Array, outShape, order.map((o) => st[o]!)));
}

/** Splits a shape around `axis` into [outer, dim, inner] for loops along one axis. */
export function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [size(shape.slice(0, axis)), shape[axis]!, size(shape.slice(axis + 1))];
}
