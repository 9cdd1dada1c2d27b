// Recycled memory for the tuner's fp32 references: the walk computes every op's outputs for each
// tune sample and drops them once their last reader is done, so a reference of a later op can
// reuse that memory (offered to the session as RunOptions.outputMemory) instead of a fresh array
// per op and sample (page faults, zeroing, garbage collection).
//
// A buffer is reused only when the tuner owns it outright: the session wrote the result into the
// very array offered. An output that lands elsewhere but shares an owned buffer (a view of its
// input, say) pins that buffer: it is never reused.

/** Free memory kept for reuse, at most. */
const FREE_MAX_BYTES = 512 * 2 ** 20;

export class RefBuffers {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;

  /** An array of n elements: a free one of that length, else a new one. */
  take(n: number): Float32Array {
    const a = this.free.get(n)?.pop();
    if (!a) return new Float32Array(n);
    this.freeBytes -= a.byteLength;
    return a;
  }

  /**
   * After a run offered `offered`: `result` is the output's data. The array becomes owned (and
   * reusable once given back) when it is the result itself; a result sharing any owned buffer
   * pins that buffer.
   */
  settle(offered: Float32Array | undefined, result: ArrayBufferView): void {
    if (offered !== undefined && result === offered) {
      this.owned.add(offered.buffer);
      return;
    }
    this.owned.delete(result.buffer);
  }

  /** `data` is no longer read by anyone: reused later when the tuner owns it. */
  give(data: ArrayBufferView): void {
    const buf = data.buffer;
    if (!this.owned.has(buf) || !(data instanceof Float32Array) || data.byteOffset !== 0 || data.byteLength !== buf.byteLength) return;
    if (this.freeBytes + buf.byteLength > FREE_MAX_BYTES) return;
    this.owned.delete(buf); // given once
    const list = this.free.get(data.length) ?? [];
    list.push(data);
    this.free.set(data.length, list);
    this.freeBytes += data.byteLength;
  }
}
