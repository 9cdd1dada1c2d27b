// Statistics off the inference thread: tensors are copied as they are produced (the runtime
// reuses their memory) into one buffer per sample, handed to a worker that owns the
// StatsCollector with one message, and handed back for reuse once it is done (no allocation and
// no per-tensor message in the steady state). Samples stay in order, so the growing histograms
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

/** One sample's tensors: each at [offset, offset + length) of `buffer` (f32 elements), or on its own in `extra`. */
export interface SampleMessage {
  kind: 'sample';
  buffer: ArrayBuffer;
  items: { name: string; offset: number; length: number }[];
  extra: { name: string; data: Float32Array }[];
}

export type ToStatsThread = SampleMessage | { kind: 'summarize' };

type FromStatsThread =
  | { kind: 'ack'; busyMs: number; buffer: ArrayBuffer }
  | { kind: 'warn'; message: string }
  | { kind: 'summaries'; summaries: TensorSummary[] }
  | { kind: 'error'; message: string; stack?: string; code?: string; hint?: string };

/** Samples allowed in flight before the producer waits (each holds a copy of every activation). */
const MAX_QUEUED_SAMPLES = 2;

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
  private sample: SampleMessage | undefined;
  private used = 0;

  private constructor(private readonly worker: Worker, private readonly capacity: number, warn: (m: string) => void) {
    worker.on('message', (m: FromStatsThread) => {
      if (m.kind === 'ack') {
        this.busyMs = m.busyMs;
        this.free.push(m.buffer);
        this.queued--;
        this.waiters.shift()?.();
      } else if (m.kind === 'warn') warn(m.message);
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
    const capacity = init.tensors.reduce((a, t) => a + Math.max(t.size, 0), 0);
    return new StatsThread(spawn(init), capacity, warn);
  }

  /** Adds one tensor to the current sample (copied: the caller may reuse `data`). */
  add(name: string, data: Float32Array): void {
    if (this.failure) throw this.failure;
    const s = (this.sample ??= { kind: 'sample', buffer: this.free.pop() ?? new ArrayBuffer(4 * this.capacity), items: [], extra: [] });
    if (this.used + data.length <= this.capacity) {
      new Float32Array(s.buffer, 4 * this.used, data.length).set(data);
      s.items.push({ name, offset: this.used, length: data.length });
      this.used += data.length;
    } else s.extra.push({ name, data: data.slice() });
  }

  /** Sends the sample; resolves once the queue has room for another. */
  async endSample(): Promise<void> {
    if (this.failure) throw this.failure;
    this.queued++;
    const s = this.sample ?? { kind: 'sample', buffer: this.free.pop() ?? new ArrayBuffer(4 * this.capacity), items: [], extra: [] };
    this.sample = undefined;
    this.used = 0;
    this.worker.postMessage(s satisfies ToStatsThread, [s.buffer, ...s.extra.map((e) => e.data.buffer as ArrayBuffer)]);
    while (this.queued > MAX_QUEUED_SAMPLES && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
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
