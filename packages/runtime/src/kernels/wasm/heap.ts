// The JS side of the one wasm memory. Two regions: resident blocks (pre-packed weights) from a
// first-fit free list at the bottom, and per-call scratch (activations copied in, results,
// packing buffers) bumped above them and dropped wholesale when the next kernel call starts.

/** What a heap needs of an instantiated module: its memory and where its static data ends. */
export interface WasmHeapModule {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
}

const ALIGN = 16;
const PAGE = 65536;
const up = (n: number, a: number): number => Math.ceil(n / a) * a;

export class WasmHeap {
  /** Free resident blocks, sorted by address. */
  private readonly free: { ptr: number; bytes: number }[] = [];
  /** End of the resident region; scratch starts here. */
  private top: number;
  private scratchTop: number;

  constructor(private readonly k: WasmHeapModule) {
    this.top = up(k.heapBase(), ALIGN);
    this.scratchTop = this.top;
  }

  /** A resident block (kept until `release`). Allocate these before any scratch in a call. */
  alloc(bytes: number): number {
    bytes = up(Math.max(bytes, ALIGN), ALIGN);
    const i = this.free.findIndex((f) => f.bytes >= bytes);
    if (i >= 0) {
      const f = this.free[i]!;
      const ptr = f.ptr;
      if (f.bytes === bytes) this.free.splice(i, 1);
      else this.free[i] = { ptr: ptr + bytes, bytes: f.bytes - bytes };
      return ptr;
    }
    if (this.scratchTop !== this.top) throw new Error('wasm heap: resident allocation while scratch is in use');
    const ptr = this.top;
    this.top += bytes;
    this.scratchTop = this.top;
    this.ensure(this.top);
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    bytes = up(Math.max(bytes, ALIGN), ALIGN);
    const at = this.free.findIndex((f) => f.ptr > ptr);
    const i = at < 0 ? this.free.length : at;
    this.free.splice(i, 0, { ptr, bytes });
    // merge with the following, then the preceding block
    const cur = this.free[i]!;
    const next = this.free[i + 1];
    if (next && cur.ptr + cur.bytes === next.ptr) {
      cur.bytes += next.bytes;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.bytes === cur.ptr) {
      prev.bytes += cur.bytes;
      this.free.splice(i, 1);
    }
  }

  /** Drops every scratch block; each kernel call starts with this. */
  resetScratch(): void {
    this.scratchTop = this.top;
  }

  scratch(bytes: number): number {
    const ptr = this.scratchTop;
    this.scratchTop += up(Math.max(bytes, ALIGN), ALIGN);
    this.ensure(this.scratchTop);
    return ptr;
  }

  /** Copies `data` into a new scratch block. */
  put(data: Float32Array): number {
    const ptr = this.scratch(data.length * 4);
    this.f32(ptr, data.length).set(data);
    return ptr;
  }

  // Views: valid until the memory grows (take them after the allocations of a call).
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, ptr, n);
  }
  i16(ptr: number, n: number): Int16Array {
    return new Int16Array(this.k.memory.buffer, ptr, n);
  }

  private ensure(end: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
  }
}
