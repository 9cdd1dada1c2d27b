// Worker threads for auto-tune. Each op's searches need only that op, its weights and the fp32
// references of its inputs and outputs, so ops are searched in parallel once the tuner's walk
// has computed their references; results come back per op and the tuner applies them in op order.
import type { Worker } from 'node:worker_threads';
import type { NdArray } from '@tpu-quant/ir';
import { rebuildWorkerError, startWorker } from '@tpu-quant/runtime';
import type { JobResult, OpRefs, TuneJob, TuneSearch } from './distance.js';

export interface TuneWorkerInit {
  /** The top module's text; ops are addressed by their index in its main function. */
  readonly mlir: string;
  /** The weights the searches run with (fake-quantised where the tuner quantises them). */
  readonly weights: readonly [string, NdArray][];
  readonly backend: 'wasm' | 'js';
}

export interface ToTuneWorker {
  readonly id: number;
  readonly opIndex: number;
  readonly refs: OpRefs;
  readonly jobs: readonly TuneJob[];
  readonly search: TuneSearch;
}

/** Free reference buffers kept for reuse, at most. */
const FREE_MAX_BYTES = 512 * 2 ** 20;

type FromTuneWorker =
  | { kind: 'done'; id: number; results: JobResult[] }
  | { kind: 'error'; id: number; message: string; stack?: string; code?: string; hint?: string };

interface Waiting {
  readonly msg: ToTuneWorker;
  /** The SharedArrayBuffers holding the message's references. */
  readonly held: readonly SharedArrayBuffer[];
  readonly resolve: (r: JobResult[]) => void;
  readonly reject: (e: Error) => void;
}

export class TunePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Waiting>();
  private readonly queue: Waiting[] = [];
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private freeBytes = 0;
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(readonly size: number, init: TuneWorkerInit) {
    for (let i = 0; i < size; i++) {
      const w = startWorker(import.meta.url, 'tune-worker', init);
      w.on('message', (m: FromTuneWorker) => this.reply(w, m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`an auto-tune thread exited unexpectedly (code ${code})`));
      });
      this.idle.push(w);
    }
  }

  /** The searches of one op (by its index in the module's main function). */
  search(opIndex: number, refs: OpRefs, jobs: readonly TuneJob[], search: TuneSearch): Promise<JobResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    // references travel in SharedArrayBuffers (no copy on either side of postMessage), reused
    // once the worker has answered
    const held: SharedArrayBuffer[] = [];
    const share = (rs: readonly NdArray[][]): NdArray[][] => rs.map((r) => r.map((x) => this.shared(x, held)));
    const msg = { id: this.nextId++, opIndex, refs: { inRefs: share(refs.inRefs), outRefs: share(refs.outRefs), quantised: refs.quantised }, jobs, search };
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, held, resolve, reject });
      this.dispatch();
    });
  }

  /** A copy of x in a SharedArrayBuffer (a free one of its size when there is one). */
  private shared(x: NdArray, held: SharedArrayBuffer[]): NdArray {
    const d = x.data;
    let sab = this.free.get(d.byteLength)?.pop();
    if (sab) this.freeBytes -= sab.byteLength;
    else sab = new SharedArrayBuffer(d.byteLength);
    held.push(sab);
    const c = new (d.constructor as new (b: SharedArrayBuffer) => typeof d)(sab);
    (c as Float32Array).set(d as Float32Array);
    return { ...x, data: c } as NdArray;
  }

  /** Buffers of an answered search go back to the free lists (up to FREE_MAX_BYTES in all). */
  private recycle(held: readonly SharedArrayBuffer[]): void {
    for (const b of held) {
      if (this.freeBytes + b.byteLength > FREE_MAX_BYTES) continue;
      const list = this.free.get(b.byteLength) ?? [];
      list.push(b);
      this.free.set(b.byteLength, list);
      this.freeBytes += b.byteLength;
    }
  }

  /**
   * True when a search handed over now would start at once or right after the one running (each
   * worker holds at most two ops), so that a worker never waits for the caller to hand it more.
   */
  get hasRoom(): boolean {
    return this.busy.size + this.queue.length < 2 * this.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(w, job);
      w.postMessage(job.msg);
    }
  }

  private reply(w: Worker, m: FromTuneWorker): void {
    const job = this.busy.get(w);
    this.busy.delete(w);
    this.idle.push(w);
    if (job) {
      this.recycle(job.held);
      if (m.kind === 'done') job.resolve(m.results);
      else job.reject(rebuildWorkerError(m, 'an auto-tune thread'));
    }
    this.dispatch();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const j of [...this.queue.splice(0), ...this.busy.values()]) j.reject(this.failure);
    this.busy.clear();
  }
}
