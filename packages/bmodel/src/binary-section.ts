// The binary section the flatbuffer's `Binary {start, size}` structs point into. As TPU-MLIR's
// ModelGen::WriteBinary: blobs are appended in call order without padding, and a blob
// byte-identical to an earlier one gets the earlier one's range.
import { createHash } from 'node:crypto';

export interface BinaryRange {
  start: number;
  size: number;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export class BinarySectionWriter {
  private readonly chunks: Uint8Array[] = [];
  private readonly byHash = new Map<string, { range: BinaryRange; bytes: Uint8Array }[]>();
  private size = 0;

  write(data: Uint8Array): BinaryRange {
    if (data.length === 0) return { start: 0, size: 0 };
    const key = createHash('sha256').update(data).digest('hex');
    const same = this.byHash.get(key) ?? [];
    // The hash picks candidates; the bytes decide (a collision must not merge different blobs).
    for (const c of same) if (equalBytes(c.bytes, data)) return c.range;
    const range = { start: this.size, size: data.length };
    const bytes = data; // writeBmodel is synchronous: nothing can change it before copyTo
    this.chunks.push(bytes);
    this.size += data.length;
    same.push({ range, bytes });
    this.byHash.set(key, same);
    return range;
  }

  get byteLength(): number {
    return this.size;
  }

  /** Copies the section into `out` at `offset`. */
  copyTo(out: Uint8Array, offset: number): void {
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
