import { FormatError } from '../core/errors.js';
import type { ByteReader } from './byte-source.js';
import { hasNpyMagic } from './npy-header.js';
import { decodeEntryName, unsafeNameReason } from './zip-names.js';
import {
  CENTRAL_SIZE, END_SIZE, Fields, FLAG_ENCRYPTED, LOCAL_SIZE, METHOD_DEFLATE, METHOD_STORED, SIG_CENTRAL, SIG_END,
  SIG_LOCAL, SIG_ZIP64_END, SIG_ZIP64_LOCATOR, U16_SENTINEL, U32_SENTINEL, ZIP64_END_SIZE, ZIP64_EXTRA_ID,
  ZIP64_LOCATOR_SIZE, ZIP_HINT,
} from './zip-records.js';

/**
 * Reading a zip's directory: the end record (and zip64 end record), the central directory, and
 * each entry's local header. The central directory is authoritative (numpy's local headers carry
 * 0xffffffff sizes with a zip64 extra; streamed archives carry zeros and a data descriptor).
 * Every offset and size is checked against the archive's real size before anything is read or
 * allocated, and entries may not overlap (overlapping entries are how non-recursive zip bombs
 * multiply one compressed stream).
 */

export interface ZipEntry {
  readonly name: string;
  readonly rawName: Uint8Array;
  readonly method: typeof METHOD_STORED | typeof METHOD_DEFLATE;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** Where the space this entry may use ends: the next entry's local header, or the central directory. */
  readonly limit: number;
}

export interface ZipDirectory {
  readonly entries: readonly ZipEntry[];
  readonly centralDirectoryOffset: number;
  readonly zip64: boolean;
}

/** Deflate emits at most 258 bytes per 2 bits (a length-258 match): about 1032:1. */
export const MAX_DEFLATE_RATIO = 1032;
/** Slack for tiny entries (block headers) on top of the ratio. */
const DEFLATE_SLACK = 1024;

interface EndInfo {
  count: number;
  cdSize: number;
  cdOffset: number;
  /** Where the end records begin: the central directory must end at or before this. */
  endStart: number;
  zip64: boolean;
}

function fail(message: string, hint = ZIP_HINT): FormatError {
  return new FormatError(message, hint);
}

export function* readZipDirectory(size: number): ByteReader<ZipDirectory> {
  const end = yield* readEnd(size);
  if (end.cdOffset + end.cdSize > end.endStart) {
    throw fail(`zip central directory (${end.cdSize} bytes at ${end.cdOffset}) runs past the end record at ${end.endStart}`);
  }
  if (end.count > end.cdSize / CENTRAL_SIZE) {
    throw fail(`zip end record claims ${end.count} entries, but the central directory is only ${end.cdSize} bytes`);
  }
  const cd = yield { offset: end.cdOffset, length: end.cdSize };
  const entries = parseCentralDirectory(cd, end.count, end.cdOffset);
  return { entries, centralDirectoryOffset: end.cdOffset, zip64: end.zip64 };
}

function* readEnd(size: number): ByteReader<EndInfo> {
  // The end record is 22 bytes plus a comment of up to 65535, so it lies in the last 65557 bytes;
  // the zip64 locator sits right before it.
  const tailLength = Math.min(size, END_SIZE + 0xffff + ZIP64_LOCATOR_SIZE);
  const tailStart = size - tailLength;
  const tail = yield { offset: tailStart, length: tailLength };
  const f = new Fields(tail);
  let at = -1;
  // Scan backwards; a match only counts if its comment length reaches exactly the end of the file,
  // so a comment that happens to contain the signature does not fool us.
  for (let i = tail.length - END_SIZE; i >= 0; i--) {
    if (f.u32(i) === SIG_END && i + END_SIZE + f.u16(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const head = yield { offset: 0, length: Math.min(size, 8) };
    if (hasNpyMagic(head)) throw fail('this is an .npy file, not an .npz archive', 'read it with loadNpy/parseNpy');
    if (size === 0) throw fail('the file is empty, not an npz archive');
    throw fail('not a zip archive, or a truncated one: no end-of-central-directory record found');
  }
  const disk = f.u16(at + 4);
  const cdDisk = f.u16(at + 6);
  const onDisk = f.u16(at + 8);
  let count = f.u16(at + 10);
  let cdSize = f.u32(at + 12);
  let cdOffset = f.u32(at + 16);
  const eocdPos = tailStart + at;

  const locAt = at - ZIP64_LOCATOR_SIZE;
  if (locAt >= 0 && f.u32(locAt) === SIG_ZIP64_LOCATOR) {
    if (f.u32(locAt + 4) !== 0 || f.u32(locAt + 16) > 1) throw fail('multi-disk (split) zip archives are not supported', 'join the parts into one file');
    const recordAt = f.u64(locAt + 8, 'zip64 end record offset');
    const locatorPos = tailStart + locAt;
    if (recordAt + ZIP64_END_SIZE > locatorPos) throw fail(`zip64 end record offset ${recordAt} is past its locator at ${locatorPos}`);
    const r = new Fields(yield { offset: recordAt, length: ZIP64_END_SIZE });
    if (r.u32(0) !== SIG_ZIP64_END) throw fail(`no zip64 end record at offset ${recordAt}, where the locator points`);
    if (r.u32(16) !== 0 || r.u32(20) !== 0) throw fail('multi-disk (split) zip archives are not supported', 'join the parts into one file');
    count = r.u64(32, 'entry count');
    if (r.u64(24, 'entry count') !== count) throw fail('zip64 end record entry counts disagree');
    cdSize = r.u64(40, 'central directory size');
    cdOffset = r.u64(48, 'central directory offset');
    return { count, cdSize, cdOffset, endStart: recordAt, zip64: true };
  }
  if (count === U16_SENTINEL || cdSize === U32_SENTINEL || cdOffset === U32_SENTINEL) {
    throw fail('zip end record points to zip64 records that are missing');
  }
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) throw fail('multi-disk (split) zip archives are not supported', 'join the parts into one file');
  return { count, cdSize, cdOffset, endStart: eocdPos, zip64: false };
}

function parseCentralDirectory(cd: Uint8Array, count: number, cdOffset: number): ZipEntry[] {
  const f = new Fields(cd);
  const found: Array<Omit<ZipEntry, 'limit'>> = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > cd.length || f.u32(at) !== SIG_CENTRAL) {
      throw fail(`zip central directory entry ${i + 1} of ${count} is missing or damaged`);
    }
    const flags = f.u16(at + 8);
    const method = f.u16(at + 10);
    const crc = f.u32(at + 16);
    let csize = f.u32(at + 20);
    let usize = f.u32(at + 24);
    const nameLen = f.u16(at + 28);
    const extraLen = f.u16(at + 30);
    const commentLen = f.u16(at + 32);
    const diskStart = f.u16(at + 34);
    let offset = f.u32(at + 42);
    const next = at + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > cd.length) throw fail(`zip central directory entry ${i + 1} of ${count} runs past the directory's end`);
    const rawName = cd.slice(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLen);
    const name = decodeEntryName(rawName, flags);
    const where = `zip entry ${JSON.stringify(name)}`;

    // The zip64 extra holds, in this order, only the fields whose 32-bit slot is the sentinel.
    const needed = [usize === U32_SENTINEL, csize === U32_SENTINEL, offset === U32_SENTINEL];
    if (needed.some(Boolean) || diskStart === U16_SENTINEL) {
      const values = zip64Values(cd.subarray(at + CENTRAL_SIZE + nameLen, at + CENTRAL_SIZE + nameLen + extraLen), needed.filter(Boolean).length, where);
      let k = 0;
      if (needed[0]) usize = values[k++];
      if (needed[1]) csize = values[k++];
      if (needed[2]) offset = values[k++];
    }
    if (diskStart !== 0 && diskStart !== U16_SENTINEL) throw fail('multi-disk (split) zip archives are not supported', 'join the parts into one file');
    if (flags & FLAG_ENCRYPTED) throw fail(`${where} is encrypted, which is not supported`, 'write the archive without a password');
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      throw fail(`${where} uses compression method ${method}; only stored (0) and deflate (8) are supported`, 'write it with numpy.savez or numpy.savez_compressed');
    }
    if (method === METHOD_STORED && csize !== usize) {
      throw fail(`${where} is stored uncompressed but declares ${csize} stored and ${usize} uncompressed bytes`);
    }
    if (method === METHOD_DEFLATE && usize > csize * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
      throw fail(`${where} declares ${usize} bytes uncompressed from ${csize} compressed bytes, more than deflate can produce (zip bomb?)`);
    }
    if (offset + LOCAL_SIZE + csize > cdOffset) {
      throw fail(`${where} (${csize} bytes at offset ${offset}) runs past the start of the central directory at ${cdOffset}`);
    }
    const reason = unsafeNameReason(name);
    if (reason) throw fail(`${where} has an unsafe name: ${reason}`, 'rename the array when writing the archive');
    found.push({ name, rawName, method, flags, crc32: crc, compressedSize: csize, uncompressedSize: usize, localHeaderOffset: offset });
    at = next;
  }
  if (at !== cd.length) throw fail(`zip central directory holds ${cd.length - at} bytes beyond its ${count} entries`);
  return withLimits(found, cdOffset);
}

/** Reads `n` 64-bit values from the zip64 extended-information field inside `extra`. */
function zip64Values(extra: Uint8Array, n: number, where: string): number[] {
  const f = new Fields(extra);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = f.u16(at);
    const len = f.u16(at + 2);
    if (at + 4 + len > extra.length) break;
    if (id === ZIP64_EXTRA_ID) {
      if (len < n * 8) throw fail(`${where}: its zip64 extra field is too short`);
      return Array.from({ length: n }, (_, k) => f.u64(at + 4 + 8 * k, `size or offset of ${where}`));
    }
    at += 4 + len;
  }
  throw fail(`${where} needs a zip64 extra field, which is missing`);
}

/** Adds each entry's limit and rejects duplicate names and overlapping entries. */
function withLimits(found: ReadonlyArray<Omit<ZipEntry, 'limit'>>, cdOffset: number): ZipEntry[] {
  const names = new Set<string>();
  for (const e of found) {
    if (names.has(e.name)) throw fail(`zip entry name ${JSON.stringify(e.name)} appears twice`, 'an npz holds each array name once; write the archive again');
    names.add(e.name);
  }
  const byOffset = [...found].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const limits = new Map<Omit<ZipEntry, 'limit'>, number>();
  byOffset.forEach((e, i) => {
    const limit = i + 1 < byOffset.length ? byOffset[i + 1].localHeaderOffset : cdOffset;
    if (e.localHeaderOffset + LOCAL_SIZE + e.compressedSize > limit) {
      throw fail(`zip entries ${JSON.stringify(e.name)} and ${JSON.stringify(byOffset[i + 1]?.name)} overlap (zip bomb?)`);
    }
    limits.set(e, limit);
  });
  return found.map((e) => ({ ...e, limit: limits.get(e) ?? cdOffset }));
}

/** Reads an entry's local header and returns where its data starts. */
export function* entryDataOffset(e: ZipEntry): ByteReader<number> {
  const where = `zip entry ${JSON.stringify(e.name)}`;
  const f = new Fields(yield { offset: e.localHeaderOffset, length: LOCAL_SIZE });
  if (f.u32(0) !== SIG_LOCAL) throw fail(`${where}: no local header at offset ${e.localHeaderOffset}`);
  if (f.u16(8) !== e.method) throw fail(`${where}: local header and central directory disagree on the compression method`);
  const nameLen = f.u16(26);
  const dataStart = e.localHeaderOffset + LOCAL_SIZE + nameLen + f.u16(28);
  if (dataStart + e.compressedSize > e.limit) throw fail(`${where}: its data runs into the next entry or the central directory`);
  const name = yield { offset: e.localHeaderOffset + LOCAL_SIZE, length: nameLen };
  if (name.length !== e.rawName.length || name.some((b, i) => b !== e.rawName[i])) {
    throw fail(`${where}: local header names a different file`);
  }
  return dataStart;
}
