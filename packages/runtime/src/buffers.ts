// Run-time side of the memory plan. Kernels may return views of their inputs (Reshape does) or
// fresh arrays, so storage is tracked per ArrayBuffer with a count of the slots (and captures)
// that reference it: memory is reused only when no live tensor can see it, whatever the kernels do.
import type { NdArray } from '@tpu-quant/ir';

/** A set of buffers (membership only). */
export interface BufferSet {
  has(buf: ArrayBufferLike): boolean;
}

/** Free buffers handed out by `ctx.alloc`, kept by the session across runs. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly born = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;

  /** The smallest free buffer that fits `bytes` without wasting more than half, else a new one. */
  take(bytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!.byteLength;
      if (b >= bytes && b <= 2 * bytes && (best < 0 || b < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0) {
      const buf = new ArrayBuffer(bytes);
      this.born.add(buf);
      return buf;
    }
    const [buf] = this.free.splice(best, 1);
    this.freeBytes -= buf!.byteLength;
    return buf!;
  }

  /** Returns a buffer nobody references any more; buffers the pool did not make are ignored. */
  give(buf: ArrayBufferLike): void {
    if (!this.born.has(buf)) return;
    this.free.push(buf as ArrayBuffer);
    this.freeBytes += buf.byteLength;
  }

  /** Bytes held free between runs. */
  get bytes(): number {
    return this.freeBytes;
  }
}

/** Reference counts of one run's activation buffers; buffers in `foreign` (inputs, weights, cached tensors) are never counted or reused. */
export class BufferTracker {
  private readonly refs = new Map<ArrayBufferLike, number>();
  private live = 0;
  /** The most bytes referenced by live activations at once. */
  peak = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly foreign: BufferSet,
  ) {}

  hold(v: NdArray | undefined): void {
    if (!v) return;
    const buf = v.data.buffer;
    if (this.foreign.has(buf)) return;
    const n = this.refs.get(buf) ?? 0;
    this.refs.set(buf, n + 1);
    if (n === 0) this.live += buf.byteLength;
  }

  release(v: NdArray | undefined): void {
    if (!v) return;
    this.dropRef(v.data.buffer);
  }

  /** True when `v` is the only live reference to its memory (so it may be overwritten). */
  sole(v: NdArray): boolean {
    return this.refs.get(v.data.buffer) === 1;
  }

  /** Records the current live bytes in `peak`. */
  mark(): void {
    if (this.live > this.peak) this.peak = this.live;
  }

  /** A buffer from the pool that no result kept (scratch, or replaced by an override) goes back. */
  settle(buf: ArrayBufferLike): void {
    if (!this.refs.has(buf)) this.pool.give(buf);
  }

  private dropRef(buf: ArrayBufferLike): void {
    const n = this.refs.get(buf);
    if (n === undefined) return;
    if (n > 1) {
      this.refs.set(buf, n - 1);
      return;
    }
    this.refs.delete(buf);
    this.live -= buf.byteLength;
    this.pool.give(buf);
  }
}
