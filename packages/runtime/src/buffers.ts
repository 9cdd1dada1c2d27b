// Run-time side of the memory plan. Kernels may return views of their inputs (Reshape does) or
// fresh arrays, so storage is tracked per ArrayBuffer with a count of the slots (and captures)
// that reference it: memory is reused only when no live tensor can see it, whatever the kernels do.
import type { NdArray } from '@tpu-quant/ir';

/** A set of buffers (membership only). */
export interface BufferSet {
  has(buf: ArrayBufferLike): boolean;
}

/**
 * Free buffers of disposed sessions, for the first runs of later ones: the mixed-precision searches
 * make a session per candidate, and a new session's first run otherwise allocates (and the OS
 * zero-fills) every activation buffer afresh. Only buffers nothing references (a pool's free list)
 * come here; at most `spareCap` bytes, the oldest out first.
 */
const spare: ArrayBuffer[] = [];
let spareBytes = 0;
let spareCap = 128 * 2 ** 20;

/** Sets the cap on the spare buffers of disposed sessions (default 128 MiB; 0 keeps none). */
export function setSpareBufferBytes(bytes: number): void {
  spareCap = bytes;
  while (spareBytes > spareCap) spareBytes -= spare.shift()!.byteLength;
}

/** Spare buffers kept for new sessions, and their bytes. */
export function spareBufferStats(): { buffers: number; bytes: number } {
  return { buffers: spare.length, bytes: spareBytes };
}

/** Index of the smallest buffer that fits `bytes` without wasting more than half, or -1. */
function bestFit(list: readonly ArrayBufferLike[], bytes: number): number {
  let best = -1;
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!.byteLength;
    if (b >= bytes && b <= 2 * bytes && (best < 0 || b < list[best]!.byteLength)) best = i;
  }
  return best;
}

/** Free buffers handed out by `ctx.alloc`, kept by the session across runs. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly born = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;

  /** The smallest free buffer that fits `bytes` without wasting more than half, else a new one. */
  take(bytes: number): ArrayBuffer {
    const best = bestFit(this.free, bytes);
    if (best < 0) {
      // a disposed session's buffer when one fits (contents unspecified, as for any reused buffer)
      const s = bestFit(spare, bytes);
      let buf: ArrayBuffer;
      if (s >= 0) {
        buf = spare.splice(s, 1)[0]!;
        spareBytes -= buf.byteLength;
      } else {
        buf = new ArrayBuffer(bytes);
      }
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

  /** The session is done: its free buffers go to the spare buffers of later sessions. */
  retire(): void {
    for (const b of this.free) {
      if (b.byteLength > spareCap) continue;
      spare.push(b);
      spareBytes += b.byteLength;
    }
    this.free.length = 0;
    this.freeBytes = 0;
    while (spareBytes > spareCap) spareBytes -= spare.shift()!.byteLength;
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
