import type { AnyTypedArray } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';
import { crc32 } from './crc32.js';
import { checkDataLength } from './npy.js';
import { allocForHeader } from './npy-array.js';
import { NPY_PREFIX_BYTES, npyHeaderSize, parseNpyHeader, type NpyHeader } from './npy-header.js';

/**
 * Builds an array from an npy stream that arrives in chunks (an inflating npz entry): collects and
 * checks the header, then allocates the array (only once the header agrees with the declared
 * size) and copies the data into it. Refuses any byte past the declared size.
 */
export class NpyAssembler {
  header: NpyHeader | undefined;
  private head = new Uint8Array(0);
  private headNeed: number;
  private raw: AnyTypedArray | undefined;
  private pieces: Uint8Array[] = [];
  private piece = 0;
  private pieceAt = 0;
  private received = 0;
  private crc = 0;

  /** `total`: the declared size of the whole npy stream. `headerOnly`: stop after the header. */
  constructor(
    private readonly total: number,
    private readonly headerOnly = false,
  ) {
    this.headNeed = Math.min(total, NPY_PREFIX_BYTES);
  }

  /** Takes the next chunk; returns false once nothing more is wanted (header-only mode). */
  push(chunk: Uint8Array): boolean {
    if (this.received + chunk.length > this.total) {
      throw new FormatError(`data inflates past its declared ${this.total} bytes (zip bomb?)`, 'the archive is damaged or hostile');
    }
    this.received += chunk.length;
    this.crc = crc32(chunk, this.crc);
    let rest = chunk;
    while (this.header === undefined) {
      const take = Math.min(rest.length, this.headNeed - this.head.length);
      this.appendHead(rest.subarray(0, take));
      rest = rest.subarray(take);
      if (this.head.length < this.headNeed) return true;
      const size = npyHeaderSize(this.head, this.total);
      if (size > this.head.length) {
        this.headNeed = size;
        continue;
      }
      const header = parseNpyHeader(this.head, this.total);
      checkDataLength(header, this.total - header.headerBytes);
      this.header = header;
      if (this.headerOnly) return false;
      ({ raw: this.raw, pieces: this.pieces } = allocForHeader(header));
    }
    this.store(rest);
    return true;
  }

  /** Copies data bytes into the array's pieces; the size checks above guarantee they fit. */
  private store(rest: Uint8Array): void {
    while (rest.length > 0) {
      const p = this.pieces[this.piece];
      const n = Math.min(rest.length, p.length - this.pieceAt);
      p.set(rest.subarray(0, n), this.pieceAt);
      rest = rest.subarray(n);
      this.pieceAt += n;
      if (this.pieceAt === p.length) {
        this.piece++;
        this.pieceAt = 0;
      }
    }
  }

  /** The header and raw data, once all `total` bytes arrived and their CRC-32 is `expectedCrc`. */
  finish(expectedCrc: number): { header: NpyHeader; raw: AnyTypedArray } {
    if (this.received !== this.total || this.header === undefined || this.raw === undefined) {
      throw new FormatError(`data inflates to ${this.received} bytes, but ${this.total} were declared`, 'the archive is truncated or damaged');
    }
    if (this.crc !== expectedCrc) throw crcMismatch(expectedCrc, this.crc);
    return { header: this.header, raw: this.raw };
  }

  private appendHead(piece: Uint8Array): void {
    if (piece.length === 0) return;
    const grown = new Uint8Array(this.head.length + piece.length);
    grown.set(this.head);
    grown.set(piece, this.head.length);
    this.head = grown;
  }
}

export function crcMismatch(expected: number, actual: number): FormatError {
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  return new FormatError(`CRC-32 mismatch: stored ${hex(expected)}, data has ${hex(actual)}`, 'the archive is corrupt; write it again');
}
