import type { DType, NdArray } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';
import { concatBytes } from './byte-order.js';
import { runOnBytes, type ByteReader } from './byte-source.js';
import { inflateAt } from './inflate-stream.js';
import { finishNpy } from './npy-array.js';
import { crcMismatch, NpyAssembler } from './npy-assembler.js';
import { npyChunks, readNpyAt, readNpyHeaderAt } from './npy.js';
import type { NpyHeader } from './npy-header.js';
import { entryDataOffset, readZipDirectory, type ZipEntry } from './zip-reader.js';
import { METHOD_STORED } from './zip-records.js';
import { zipChunks, type ZipWriteOptions } from './zip-writer.js';

/**
 * .npz files: a zip of `NAME.npy` entries, one per array, as numpy.savez (stored) and
 * numpy.savez_compressed (deflated) write them. Keys are the entry names without `.npy`.
 */

export interface ReadNpzOptions {
  /**
   * How to type `<u2` arrays: 'u16' (default) or 'bf16' (TPU-MLIR stores bfloat16 weights as
   * their uint16 bits), or a function choosing by array name.
   */
  readonly u16As?: 'u16' | 'bf16' | ((name: string) => 'u16' | 'bf16');
  /** Read only these arrays; the others are not read or inflated. A name missing from the archive is an error. */
  readonly names?: readonly string[];
}

export interface WriteNpzOptions {
  /** Deflate every entry, as numpy.savez_compressed does. Default false: stored, as numpy.savez (and TPU-MLIR). */
  readonly compress?: boolean;
  /** Write zip64 records even when nothing needs them (for tests of other readers). */
  readonly forceZip64?: boolean;
}

/** What an npz holds, from the npy headers alone. */
export interface NpzEntryInfo {
  readonly name: string;
  readonly dtype: DType;
  /** numpy's descriptor as written in the file, e.g. '<f4', '>i8'. */
  readonly descr: string;
  readonly shape: readonly number[];
  readonly fortranOrder: boolean;
  readonly compressed: boolean;
  /** Bytes of the entry in the archive, and once inflated (npy header included). */
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

export type NpzEntries = ReadonlyMap<string, NdArray> | Readonly<Record<string, NdArray>>;

export function readNpz(bytes: Uint8Array, opts: ReadNpzOptions = {}): Map<string, NdArray> {
  return runOnBytes(readNpzJob(bytes.length, opts), bytes);
}

export function listNpzBytes(bytes: Uint8Array): NpzEntryInfo[] {
  return runOnBytes(listNpzJob(bytes.length), bytes);
}

/**
 * Encodes arrays as an npz. With a Record, JavaScript orders integer-like keys ("0", "1") first;
 * pass a Map to control the order. The result is one buffer, so at most 4 GiB on Node 20;
 * saveNpz streams to the file and has no such limit.
 */
export function encodeNpz(entries: NpzEntries, opts: WriteNpzOptions = {}): Uint8Array {
  return concatBytes([...npzChunks(entries, opts)]);
}

/** The npz's bytes as a sequence of chunks (array data as views where possible), for streaming to a file. */
export function npzChunks(entries: NpzEntries, opts: WriteNpzOptions = {}): Generator<Uint8Array> {
  const list = entries instanceof Map ? [...entries] : Object.entries(entries);
  const zipOpts: ZipWriteOptions = { forceZip64: opts.forceZip64 ?? false };
  return zipChunks(
    list.map(([key, a]) => ({ name: `${key}.npy`, chunks: () => npyChunks(a, {}, `npz array ${JSON.stringify(key)}`), compress: opts.compress ?? false })),
    zipOpts,
  );
}

export function* readNpzJob(size: number, opts: ReadNpzOptions): ByteReader<Map<string, NdArray>> {
  const dir = yield* readZipDirectory(size);
  const wanted = opts.names ? new Set(opts.names) : undefined;
  const out = new Map<string, NdArray>();
  for (const e of dir.entries) {
    const key = npzKey(e);
    if (wanted && !wanted.has(key)) continue;
    const u16As = typeof opts.u16As === 'function' ? opts.u16As(key) : opts.u16As;
    out.set(key, yield* inEntry(e, readEntryArray(e, u16As ?? 'u16')));
  }
  for (const name of wanted ?? []) {
    if (!out.has(name)) {
      const have = [...dir.entries.map(npzKey)].slice(0, 10).join(', ');
      throw new FormatError(`npz has no array named ${JSON.stringify(name)}`, `it holds: ${have}${dir.entries.length > 10 ? ', ...' : ''}`);
    }
  }
  return out;
}

export function* listNpzJob(size: number): ByteReader<NpzEntryInfo[]> {
  const dir = yield* readZipDirectory(size);
  const out: NpzEntryInfo[] = [];
  for (const e of dir.entries) {
    const h = yield* inEntry(e, readEntryHeader(e));
    out.push({
      name: npzKey(e), dtype: h.dtype, descr: h.descr, shape: h.shape, fortranOrder: h.fortranOrder,
      compressed: e.method !== METHOD_STORED, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize,
    });
  }
  return out;
}

function npzKey(e: ZipEntry): string {
  if (!e.name.endsWith('.npy')) {
    throw new FormatError(`zip entry ${JSON.stringify(e.name)} is not an .npy array`, 'an npz holds only NAME.npy entries, as numpy.savez writes them');
  }
  return e.name.slice(0, -4);
}

/** Runs an entry's job, naming the entry in any format error. */
function* inEntry<T>(e: ZipEntry, job: ByteReader<T>): ByteReader<T> {
  try {
    return yield* job;
  } catch (err) {
    if (err instanceof FormatError && !err.message.startsWith('npz entry ')) {
      throw new FormatError(`npz entry ${JSON.stringify(e.name)}: ${err.message}`, err.hint);
    }
    throw err;
  }
}

function* readEntryArray(e: ZipEntry, u16As: 'u16' | 'bf16'): ByteReader<NdArray> {
  const dataAt = yield* entryDataOffset(e);
  if (e.method === METHOD_STORED) {
    const { array, crc } = yield* readNpyAt(dataAt, e.uncompressedSize, { u16As }, true);
    if (crc !== e.crc32) throw crcMismatch(e.crc32, crc);
    return array;
  }
  const asm = new NpyAssembler(e.uncompressedSize);
  yield* inflateAt(dataAt, e.compressedSize, (chunk) => asm.push(chunk));
  const { header, raw } = asm.finish(e.crc32);
  return finishNpy(header, raw, { u16As });
}

function* readEntryHeader(e: ZipEntry): ByteReader<NpyHeader> {
  const dataAt = yield* entryDataOffset(e);
  if (e.method === METHOD_STORED) return yield* readNpyHeaderAt(dataAt, e.uncompressedSize);
  const asm = new NpyAssembler(e.uncompressedSize, true);
  yield* inflateAt(dataAt, e.compressedSize, (chunk) => asm.push(chunk));
  if (asm.header === undefined) throw new FormatError('the entry ends before its npy header does', 'the archive is truncated or damaged');
  return asm.header;
}
