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

type FromTuneWorker =
  | { kind: 'done'; id: number; results: JobResult[] }
  | { kind: 'error'; id: number; message: string; stack?: string; code?: string; hint?: string };

interface Waiting {
  readonly msg: ToTuneWorker;
  readonly resolve: (r: JobResult[]) => void;
  readonly reject: (e: Error) => void;
}

export class TunePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Waiting>();
  private readonly queue: Waiting[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(size: number, init: TuneWorkerInit) {
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
    return new Promise((resolve, reject) => {
      this.queue.push({ msg: { id: this.nextId++, opIndex, refs, jobs, search }, resolve, reject });
      this.dispatch();
    });
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
