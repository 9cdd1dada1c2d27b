import type { AnyTypedArray, DType, NdArray } from '../core/dtype.js';
import { allocTyped, DTYPES, dtypeBytes } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';
import { bytePieces, HOST_BIG_ENDIAN, swapBytes } from './byte-order.js';
import type { NpyHeader } from './npy-header.js';

/** Conversions between npy data bytes and NdArrays: allocation, byte order, bool, Fortran order. */

export interface ParseNpyOptions {
  /**
   * How to type `<u2` data: 'u16' (default), or 'bf16' for TPU-MLIR files, which store bfloat16
   * as its uint16 bits. (readNpz also takes a function choosing by array name.)
   */
  readonly u16As?: 'u16' | 'bf16';
}

/** A zeroed array for the header's data, and its bytes (in pieces, see MAX_PIECE) to read into. */
export function allocForHeader(h: NpyHeader): { raw: AnyTypedArray; pieces: Uint8Array[] } {
  let raw: AnyTypedArray;
  try {
    raw = allocTyped(h.dtype, h.count);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new FormatError(
      `npy array of shape (${h.shape.join(', ')}) ${h.descr} needs ${h.dataBytes} bytes, more than this JavaScript engine can hold in one array`,
      'split the tensor, or use a machine/engine with larger array limits',
    );
  }
  return { raw, pieces: bytePieces(raw) };
}

/** Turns raw little- or big-endian, C- or Fortran-order data (as read) into a C-order NdArray. */
export function finishNpy(h: NpyHeader, raw: AnyTypedArray, opts: ParseNpyOptions = {}): NdArray {
  const width = dtypeBytes(h.dtype);
  if (h.bigEndian !== HOST_BIG_ENDIAN) for (const p of bytePieces(raw)) swapBytes(p, width);
  if (h.dtype === 'bool') normalizeBool(raw as Uint8Array);
  const data = h.fortranOrder && h.shape.length > 1 ? fortranToC(raw, h.shape) : raw;
  const dtype: DType = h.dtype === 'u16' && opts.u16As === 'bf16' ? 'bf16' : h.dtype;
  return { dtype, shape: [...h.shape], data } as NdArray;
}

/** numpy reads any non-zero byte as True; we keep bools as 0/1. */
function normalizeBool(b: Uint8Array): void {
  for (let i = 0; i < b.length; i++) if (b[i] > 1) b[i] = 1;
}

/**
 * Reorders column-major (Fortran) data into row-major (C) order. Walks the source linearly with an
 * odometer over the indices (first axis fastest) while tracking the destination offset by C strides.
 */
export function fortranToC<T extends AnyTypedArray>(src: T, shape: readonly number[]): T {
  const n = src.length;
  const dst = new (src.constructor as new (n: number) => T)(n);
  if (n === 0) return dst;
  const nd = shape.length;
  const cStride = new Array<number>(nd);
  for (let k = nd - 1, s = 1; k >= 0; k--) {
    cStride[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  const d = dst as unknown as { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  let at = 0;
  for (let i = 0; i < n; i++) {
    d[at] = s[i];
    for (let k = 0; k < nd; k++) {
      if (++idx[k] < shape[k]) {
        at += cStride[k];
        break;
      }
      idx[k] = 0;
      at -= (shape[k] - 1) * cStride[k];
    }
  }
  return dst;
}

const CONSTRUCTOR_OF = new Map<DType, unknown>(DTYPES.map((d) => [d, allocTyped(d, 0).constructor]));

/** Checks an NdArray handed to a writer: a known dtype, the matching typed array, data length = shape product. */
export function checkNdArray(a: NdArray, what: string): void {
  const ctor = CONSTRUCTOR_OF.get(a.dtype);
  if (ctor === undefined) throw new TypeError(`${what}: unknown dtype ${String(a.dtype)}`);
  if (a.data?.constructor !== ctor) throw new TypeError(`${what}: dtype ${a.dtype} needs a ${(ctor as { name: string }).name}, got ${a.data?.constructor?.name}`);
  if (a.shape.length > 64) throw new RangeError(`${what}: ${a.shape.length} dimensions, numpy allows at most 64`);
  let n = 1;
  for (const d of a.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${what}: bad dimension ${d} in shape [${a.shape.join(',')}]`);
    n *= d;
  }
  if (n !== a.data.length) throw new RangeError(`${what}: shape [${a.shape.join(',')}] needs ${n} elements, data has ${a.data.length}`);
}

/** The array's data as npy stores it (little-endian, bools 0/1), in pieces: views when possible, else copies. */
export function npyDataBytes(a: NdArray): Uint8Array[] {
  if (a.dtype === 'bool') {
    const b = a.data as Uint8Array;
    return [b.some((x) => x > 1) ? b.map((x) => (x ? 1 : 0)) : b];
  }
  const pieces = bytePieces(a.data);
  if (!HOST_BIG_ENDIAN) return pieces;
  return pieces.map((p) => {
    const copy = p.slice();
    swapBytes(copy, dtypeBytes(a.dtype));
    return copy;
  });
}
