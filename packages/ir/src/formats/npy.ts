import type { NdArray } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';
import { runOnBytes, type ByteReader } from './byte-source.js';
import { concatBytes } from './byte-order.js';
import { crc32 } from './crc32.js';
import { allocForHeader, checkNdArray, finishNpy, npyDataBytes, type ParseNpyOptions } from './npy-array.js';
import { encodeNpyHeader, NPY_PREFIX_BYTES, npyHeaderSize, parseNpyHeader, type NpyHeader } from './npy-header.js';

/** .npy files: one array, header then raw data. */

export type { ParseNpyOptions } from './npy-array.js';

/** Parses a whole .npy file. The result owns its data (a copy; `bytes` is not kept). */
export function parseNpy(bytes: Uint8Array, opts: ParseNpyOptions = {}): NdArray {
  return runOnBytes(readNpyAt(0, bytes.length, opts, false), bytes).array;
}

export interface EncodeNpyOptions {
  /** Header version; default 1 (2 if the header does not fit), as numpy.save chooses. */
  readonly version?: 1 | 2 | 3;
}

/** Encodes an array as .npy, byte for byte as numpy.save (or format.write_array with `version`) writes it. */
export function encodeNpy(a: NdArray, opts: EncodeNpyOptions = {}): Uint8Array {
  return concatBytes(npyChunks(a, opts));
}

/** The .npy bytes of `a` as [header, ...data]; data are views of the array when no conversion is needed. */
export function npyChunks(a: NdArray, opts: EncodeNpyOptions = {}, what = 'encodeNpy'): Uint8Array[] {
  checkNdArray(a, what);
  return [encodeNpyHeader(a.dtype, a.shape, opts.version), ...npyDataBytes(a)];
}

/** Reads the npy header of the `total` bytes at `base`. */
export function* readNpyHeaderAt(base: number, total: number): ByteReader<NpyHeader> {
  const prefix = yield { offset: base, length: Math.min(total, NPY_PREFIX_BYTES) };
  const size = npyHeaderSize(prefix, total);
  const header = parseNpyHeader(yield { offset: base, length: size }, total);
  checkDataLength(header, total - size);
  return header;
}

export interface NpyRead {
  readonly header: NpyHeader;
  readonly array: NdArray;
  /** CRC-32 of all `total` bytes, when asked for. */
  readonly crc: number;
}

/**
 * Reads the npy stream of `total` bytes at `base` (a file, or a stored zip entry). The data is
 * read straight into the array's own buffer, allocated only after the header's size is checked
 * against `total`, so a lying header cannot make us allocate more than the data present.
 */
export function* readNpyAt(base: number, total: number, opts: ParseNpyOptions, checksum: boolean): ByteReader<NpyRead> {
  const prefix = yield { offset: base, length: Math.min(total, NPY_PREFIX_BYTES) };
  const size = npyHeaderSize(prefix, total);
  const headerBytes = yield { offset: base, length: size };
  const header = parseNpyHeader(headerBytes, total);
  checkDataLength(header, total - size);
  let crc = checksum ? crc32(headerBytes) : 0;
  const { raw, pieces } = allocForHeader(header);
  let at = base + size;
  for (const piece of pieces) {
    yield { offset: at, length: piece.length, into: piece };
    if (checksum) crc = crc32(piece, crc);
    at += piece.length;
  }
  return { header, array: finishNpy(header, raw, opts), crc };
}

/** The data after the header must be exactly what dtype × shape needs. */
export function checkDataLength(h: NpyHeader, present: number): void {
  if (present === h.dataBytes) return;
  const what = `shape (${h.shape.join(', ')}) of ${h.descr} needs ${h.dataBytes} data bytes, but ${present} follow the header`;
  throw new FormatError(
    `npy data does not match its header: ${what}`,
    present < h.dataBytes ? 'the file is truncated or the header is corrupt' : 'the file has trailing bytes or the header is corrupt',
  );
}
