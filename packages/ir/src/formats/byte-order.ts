import type { AnyTypedArray } from '../core/dtype.js';

/** npy data is little-endian on every machine we expect; a big-endian host swaps on read and write. */
export const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/**
 * Largest byte view we make of array data. V8 (Node 20) cannot make a Uint8Array longer than
 * 2^32, so a Float32Array over 4 GiB has no single byte view; Node also reads and writes at most
 * 2 GiB per call. A multiple of 8, so pieces never split an element.
 */
export const MAX_PIECE = 1 << 30;

/** The bytes of a typed array as views (no copy) of at most MAX_PIECE bytes each; none when empty. */
export function bytePieces(a: AnyTypedArray): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < a.byteLength; at += MAX_PIECE) {
    out.push(new Uint8Array(a.buffer, a.byteOffset + at, Math.min(MAX_PIECE, a.byteLength - at)));
  }
  return out;
}

/** Reverses the byte order of each `width`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  if (bytes.length % width !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of ${width}-byte elements`);
  for (let i = 0; i < bytes.length; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo];
      bytes[lo] = bytes[hi];
      bytes[hi] = t;
    }
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
