import { Deflate } from 'fflate';
import { UserError } from '../core/errors.js';
import { crc32 } from './crc32.js';
import { encodeEntryName, unsafeNameReason } from './zip-names.js';
import {
  CENTRAL_SIZE, END_SIZE, LOCAL_SIZE, METHOD_DEFLATE, METHOD_STORED, SIG_CENTRAL, SIG_END, SIG_LOCAL, SIG_ZIP64_END,
  SIG_ZIP64_LOCATOR, U16_SENTINEL, U32_SENTINEL, ZIP64_END_SIZE, ZIP64_EXTRA_ID, ZIP64_LOCATOR_SIZE,
} from './zip-records.js';

/**
 * Writing a zip: local header + data per entry, then the central directory and end record, with
 * zip64 fields where a size or offset does not fit 32 bits (or on request). Output is
 * deterministic (fixed 1980-01-01 timestamps), so the same arrays always give the same bytes.
 * CRCs and compressed sizes are computed before each local header, so no data descriptors.
 */

export interface ZipInputEntry {
  readonly name: string;
  /** The entry's bytes, produced when the writer reaches it (so big data is only touched once). */
  readonly chunks: () => readonly Uint8Array[];
  readonly compress: boolean;
}

export interface ZipWriteOptions {
  readonly forceZip64?: boolean;
  /**
   * Sizes and offsets at or above this use zip64 fields. Only tests lower it from 0xffffffff, to
   * exercise the per-field zip64 paths without writing 4 GiB.
   */
  readonly zip64Limit?: number;
}

const VERSION_DEFAULT = 20; // 2.0: deflate
const VERSION_ZIP64 = 45; // 4.5: zip64
const MADE_BY_UNIX = 3 << 8;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const MODE_REGULAR_644 = 0o100644;
/** numpy.savez_compressed uses zlib's default level. */
const DEFLATE_LEVEL = 6;

/** Sequential little-endian record builder. */
class Record {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
    return this;
  }

  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }

  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
}

function zip64Extra(values: readonly number[]): Uint8Array {
  if (values.length === 0) return new Uint8Array(0);
  const r = new Record(4 + 8 * values.length).u16(ZIP64_EXTRA_ID).u16(8 * values.length);
  for (const v of values) r.u64(v);
  return r.bytes;
}

export function* zipChunks(entries: readonly ZipInputEntry[], opts: ZipWriteOptions = {}): Generator<Uint8Array> {
  checkNames(entries);
  const force = opts.forceZip64 ?? false;
  const limit = opts.zip64Limit ?? U32_SENTINEL;
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const { raw: name, flags } = encodeEntryName(e.name);
    const parts = e.chunks();
    let crc = 0;
    let usize = 0;
    for (const p of parts) {
      crc = crc32(p, crc);
      usize += p.length;
    }
    const payload = e.compress ? deflateParts(parts) : parts;
    const csize = payload.reduce((n, p) => n + p.length, 0);
    const method = e.compress ? METHOD_DEFLATE : METHOD_STORED;
    const sizes64 = force || usize >= limit || csize >= limit;
    const offset64 = force || offset >= limit;
    const version = sizes64 || offset64 ? VERSION_ZIP64 : VERSION_DEFAULT;

    // A local zip64 extra must hold both sizes (APPNOTE 4.5.3).
    const localExtra = zip64Extra(sizes64 ? [usize, csize] : []);
    const local = new Record(LOCAL_SIZE + name.length + localExtra.length)
      .u32(SIG_LOCAL).u16(version).u16(flags).u16(method).u16(0).u16(DOS_DATE_1980_01_01).u32(crc)
      .u32(sizes64 ? U32_SENTINEL : csize).u32(sizes64 ? U32_SENTINEL : usize)
      .u16(name.length).u16(localExtra.length).raw(name).raw(localExtra).bytes;
    yield local;
    yield* payload;

    const centralExtra = zip64Extra([...(sizes64 ? [usize, csize] : []), ...(offset64 ? [offset] : [])]);
    central.push(
      new Record(CENTRAL_SIZE + name.length + centralExtra.length)
        .u32(SIG_CENTRAL).u16(MADE_BY_UNIX | version).u16(version).u16(flags).u16(method).u16(0).u16(DOS_DATE_1980_01_01)
        .u32(crc).u32(sizes64 ? U32_SENTINEL : csize).u32(sizes64 ? U32_SENTINEL : usize)
        .u16(name.length).u16(centralExtra.length).u16(0).u16(0).u16(0).u32((MODE_REGULAR_644 << 16) >>> 0)
        .u32(offset64 ? U32_SENTINEL : offset).raw(name).raw(centralExtra).bytes,
    );
    offset += local.length + csize;
  }

  const cdOffset = offset;
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  yield* central;
  const count = entries.length;
  const zip64 = force || count >= U16_SENTINEL || cdOffset >= limit || cdSize >= limit;
  if (zip64) {
    const recordAt = cdOffset + cdSize;
    yield new Record(ZIP64_END_SIZE)
      .u32(SIG_ZIP64_END).u64(ZIP64_END_SIZE - 12).u16(MADE_BY_UNIX | VERSION_ZIP64).u16(VERSION_ZIP64)
      .u32(0).u32(0).u64(count).u64(count).u64(cdSize).u64(cdOffset).bytes;
    yield new Record(ZIP64_LOCATOR_SIZE).u32(SIG_ZIP64_LOCATOR).u32(0).u64(recordAt).u32(1).bytes;
  }
  const count16 = zip64 ? Math.min(count, U16_SENTINEL) : count;
  yield new Record(END_SIZE)
    .u32(SIG_END).u16(0).u16(0).u16(count16).u16(count16)
    .u32(cdSize >= limit ? U32_SENTINEL : cdSize).u32(cdOffset >= limit ? U32_SENTINEL : cdOffset).u16(0).bytes;
}

/** Input pushed per step: streaming keeps entries over 4 GiB (which no single buffer can hold) possible. */
const DEFLATE_PIECE = 1 << 20;

function deflateParts(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const deflate = new Deflate({ level: DEFLATE_LEVEL }, (chunk) => out.push(chunk));
  for (const p of parts) {
    for (let at = 0; at < p.length; at += DEFLATE_PIECE) deflate.push(p.subarray(at, Math.min(p.length, at + DEFLATE_PIECE)));
  }
  deflate.push(new Uint8Array(0), true);
  return out;
}

function checkNames(entries: readonly ZipInputEntry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const reason = unsafeNameReason(e.name) ?? (encodeEntryName(e.name).raw.length > 0xffff ? 'it is too long for a zip name' : undefined);
    if (reason) throw new UserError('E_ARCHIVE_NAME', `cannot write zip entry ${JSON.stringify(e.name)}: ${reason}`, 'rename the array');
    if (seen.has(e.name)) throw new UserError('E_ARCHIVE_NAME', `cannot write zip entry ${JSON.stringify(e.name)} twice`, 'give each array its own name');
    seen.add(e.name);
  }
}
