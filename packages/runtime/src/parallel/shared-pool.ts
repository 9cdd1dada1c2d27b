// The buffer pool of a session with intra-op workers: the same best-fit reuse as BufferPool, but
// every buffer is a SharedArrayBuffer, so workers read a split op's input and write their slices
// of its output where the step loop keeps them, with no copy on the calling thread.
import { BufferPool } from '../buffers.js';

export class SharedBufferPool extends BufferPool {
  private readonly shared: SharedArrayBuffer[] = [];
  private readonly made = new WeakSet<ArrayBufferLike>();
  private sharedBytes = 0;

  /** A SharedArrayBuffer, typed as BufferPool's ArrayBuffer: callers only view and return it. */
  override take(bytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.shared.length; i++) {
      const b = this.shared[i]!.byteLength;
      if (b >= bytes && b <= 2 * bytes && (best < 0 || b < this.shared[best]!.byteLength)) best = i;
    }
    let buf: SharedArrayBuffer;
    if (best < 0) {
      buf = new SharedArrayBuffer(bytes);
      this.made.add(buf);
    } else {
      buf = this.shared.splice(best, 1)[0]!;
      this.sharedBytes -= buf.byteLength;
    }
    return buf as unknown as ArrayBuffer;
  }

  override give(buf: ArrayBufferLike): void {
    if (!this.made.has(buf)) return;
    this.shared.push(buf as SharedArrayBuffer);
    this.sharedBytes += buf.byteLength;
  }

  override get bytes(): number {
    return this.sharedBytes;
  }
}
