// Statistics off the inference thread: tensors are copied as they are produced (the runtime
// reuses their memory; or the session writes them there, see reserve) into one buffer per sample,
// handed to a worker that owns the StatsCollector with one message, and handed back for reuse
// once it is done (no allocation and no per-tensor message in the steady state). Where the
// worker's kernels run on WebAssembly, the buffers are slots of their (shared) memory: the
// kernels then read the tensors where the session wrote them, with no copy at all. Samples stay in order, so the growing histograms
// come out exactly as a serial pass would make them. At most a few samples wait in the queue;
// the inference thread waits when the worker falls behind.
import type { Worker } from 'node:worker_threads';
import { rebuildWorkerError, startWorker } from '@tpu-quant/runtime';
import type { TensorInfo, TensorSummary } from '../stats/types.js';

export interface StatsThreadInit {
  readonly tensors: readonly TensorInfo[];
  readonly binNum: number;
  readonly inputNum: number;
  readonly torchObserver: boolean;
  /** 4 with debug_cmd int4 (Octav and ACIQ for 4 bits). */
  readonly bits: 8 | 4;
  /** The tensors keeping the "last five" tails, when `tensors` is one shard of a model's. */
  readonly lastTensors?: readonly string[];
}

/**
 * One sample's tensors: each at [offset, offset + length) (f32 elements) of `buffer`, or of the
 * statistics thread's shared memory from byte `slot` on; or on its own in `extra`.
 */
export interface SampleMessage {
  kind: 'sample';
  buffer?: ArrayBuffer;
  slot?: number;
  items: { name: string; offset: number; length: number }[];
  extra: { name: string; data: Float32Array }[];
}

/** Elements of one sample's buffer: every tensor the IR gives a size, each starting 16-byte aligned. */
export function sampleCapacity(tensors: readonly TensorInfo[]): number {
  return tensors.reduce((a, t) => a + align4(Math.max(t.size, 0)), 0);
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Samples allowed in flight before the producer waits (each holds a copy of every activation). */
export const MAX_QUEUED_SAMPLES = 2;

export type ToStatsThread = SampleMessage | { kind: 'summarize' };

type FromStatsThread =
  | { kind: 'ack'; busyMs: number; buffer?: ArrayBuffer; slot?: number }
  | { kind: 'memory'; memory: SharedArrayBuffer; slots: number[] }
  | { kind: 'warn'; message: string }
  | { kind: 'summaries'; summaries: TensorSummary[] }
  | { kind: 'error'; message: string; stack?: string; code?: string; hint?: string };


export class StatsThread {
  /** Time the statistics thread has spent computing so far. */
  busyMs = 0;
  private queued = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;
  private result: ((s: TensorSummary[]) => void) | undefined;
  private rejectResult: ((e: Error) => void) | undefined;
  private terminating = false;
  /** Sample buffers the worker has handed back. */
  private readonly free: ArrayBuffer[] = [];
  /** The worker's shared memory and its free sample slots (bytes), once it has sent them. */
  private shared: { memory: SharedArrayBuffer; free: number[] } | undefined;
  private sample: SampleMessage | undefined;
  /** Where the current sample's elements go: its buffer, from byte `base` on. */
  private target: { buffer: ArrayBufferLike; base: number } = { buffer: new ArrayBuffer(0), base: 0 };
  private used = 0;
  /** The slot last handed out by reserve(), taken by the add() of its tensor. */
  private reserved: { name: string; offset: number; length: number } | undefined;

  private constructor(private readonly worker: Worker, private readonly capacity: number, warn: (m: string) => void) {
    worker.on('message', (m: FromStatsThread) => {
      if (m.kind === 'ack') {
        this.busyMs = m.busyMs;
        if (m.slot !== undefined) this.shared?.free.push(m.slot);
        else if (m.buffer) this.free.push(m.buffer);
        this.queued--;
        this.waiters.shift()?.();
      } else if (m.kind === 'memory') this.shared = { memory: m.memory, free: m.slots };
      else if (m.kind === 'warn') warn(m.message);
      else if (m.kind === 'summaries') this.result?.(m.summaries);
      else this.fail(rebuildWorkerError(m, 'the statistics thread'));
    });
    worker.on('error', (e) => this.fail(e));
    // An exit we did not ask for (before or after summarize) must fail the run: a producer waiting
    // for queue room would otherwise wait for acks that never come.
    worker.on('exit', (code) => {
      if (this.terminating) return;
      this.fail(new Error(`the statistics thread exited unexpectedly (code ${code})`));
    });
  }

  static start(init: StatsThreadInit, warn: (m: string) => void = () => {}): StatsThread {
    // room for every tensor whose size the IR gives; others (and any surprise) travel on their own
    const capacity = sampleCapacity(init.tensors);
    return new StatsThread(spawn(init), capacity, warn);
  }

  /**
   * Room for tensor `name` (n elements) in the current sample's buffer, for the producer to write
   * it there (the session's outputMemory): its add() then costs no copy. Undefined when full.
   */
  reserve(name: string, n: number): Float32Array | undefined {
    if (this.failure || this.used + n > this.capacity) return undefined;
    this.current();
    this.reserved = { name, offset: this.used, length: n };
    return new Float32Array(this.target.buffer, this.target.base + 4 * this.used, n);
  }

  /** Adds one tensor to the current sample (copied unless it lies where reserve() put it: the caller may reuse `data`). */
  add(name: string, data: Float32Array): void {
    if (this.failure) throw this.failure;
    const s = this.current();
    const { buffer, base } = this.target;
    const r = this.reserved;
    this.reserved = undefined;
    if (r && r.name === name && data.buffer === buffer && data.byteOffset === base + 4 * r.offset && data.length === r.length) {
      s.items.push({ name, offset: r.offset, length: r.length });
      this.used += align4(r.length);
    } else if (this.used + data.length <= this.capacity) {
      new Float32Array(buffer, base + 4 * this.used, data.length).set(data);
      s.items.push({ name, offset: this.used, length: data.length });
      this.used += align4(data.length);
    } else s.extra.push({ name, data: data.slice() });
  }

  /** Sends the sample; resolves once the queue has room for another. */
  async endSample(): Promise<void> {
    if (this.failure) throw this.failure;
    this.queued++;
    const s = this.current();
    this.sample = undefined;
    this.used = 0;
    this.reserved = undefined;
    const moved = s.extra.map((e) => e.data.buffer as ArrayBuffer);
    this.worker.postMessage(s satisfies ToStatsThread, s.buffer ? [s.buffer, ...moved] : moved);
    while (this.queued > MAX_QUEUED_SAMPLES && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }

  /** The sample being filled: in a slot of the worker's memory when there is one, else in a buffer of its own. */
  private current(): SampleMessage {
    if (this.sample) return this.sample;
    const slot = this.shared?.free.pop();
    if (slot !== undefined) {
      this.target = { buffer: this.shared!.memory, base: slot };
      return (this.sample = { kind: 'sample', slot, items: [], extra: [] });
    }
    const buffer = this.free.pop() ?? new ArrayBuffer(4 * this.capacity);
    this.target = { buffer, base: 0 };
    return (this.sample = { kind: 'sample', buffer, items: [], extra: [] });
  }

  async summarize(): Promise<TensorSummary[]> {
    if (this.failure) throw this.failure;
    const p = new Promise<TensorSummary[]>((resolve, reject) => {
      this.result = resolve;
      this.rejectResult = reject;
    });
    this.worker.postMessage({ kind: 'summarize' } satisfies ToStatsThread);
    return p;
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    this.result = undefined;
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.splice(0)) w();
    this.rejectResult?.(e);
  }
}

/** Built code runs dist/…/stats-worker.js; TypeScript sources boot it through tsx's loader. */
function spawn(init: StatsThreadInit): Worker {
  return startWorker(import.meta.url, 'stats-worker', init);
}
