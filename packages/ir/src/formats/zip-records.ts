import { FormatError } from '../core/errors.js';

/** Zip record signatures and sizes (PKWARE APPNOTE 6.3), shared by the reader and the writer. */
export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_END = 0x06054b50;
export const SIG_ZIP64_END = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;

export const LOCAL_SIZE = 30;
export const CENTRAL_SIZE = 46;
export const END_SIZE = 22;
export const ZIP64_END_SIZE = 56;
export const ZIP64_LOCATOR_SIZE = 20;
export const ZIP64_EXTRA_ID = 0x0001;

/** A 32-bit field holding this means "see the zip64 extra field"; 16-bit counts likewise use 0xffff. */
export const U32_SENTINEL = 0xffffffff;
export const U16_SENTINEL = 0xffff;

export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
export const FLAG_ENCRYPTED = 0x1;
export const FLAG_DATA_DESCRIPTOR = 0x8;

export const ZIP_HINT = 'the file is truncated or damaged, or is not an npz written by numpy.savez; write it again';

/** Little-endian field access over a byte range, with 64-bit values checked to fit a JS number. */
export class Fields {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  u64(at: number, what: string): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`zip ${what} is absurd: ${v}`, ZIP_HINT);
    return Number(v);
  }
}
