// A pool of worker threads, each with its own session of the same module, for running many
// samples at once. Weights are copied once into SharedArrayBuffers that every worker reads; each
// worker runs one sample at a time; idle workers are unref'd so they never keep a process alive.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { NdArray } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { Backend } from './registry.js';

export interface WorkerInit {
  readonly mlir: string;
  readonly name: string;
  readonly backend: Backend;
  readonly weights: readonly { name: string; shape: readonly number[]; buffer: SharedArrayBuffer }[];
}

export interface WorkerJob {
  readonly inputs: [string, NdArray][];
  readonly capture?: 'all' | readonly string[];
}

export type WorkerReply =
  | { outputs: [string, NdArray][]; tensors: [string, NdArray][]; error?: undefined }
  | { error: { message: string; stack?: string; code?: string; hint?: string } };

export interface PoolResult {
  readonly outputs: Map<string, NdArray>;
  readonly tensors: Map<string, NdArray>;
}

interface Pending {
  readonly job: WorkerJob;
  readonly resolve: (r: PoolResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * f32 weights in shared memory, for every worker of a pool to read: copied once, or as they are
 * when each already fills a SharedArrayBuffer of its own (a session with threads > 1 keeps them so).
 */
export function shareWeights(weights: ReadonlyMap<string, NdArray>): WorkerInit['weights'] {
  return [...weights].map(([name, w]) => {
    const d = w.data;
    if (d.buffer instanceof SharedArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) {
      return { name, shape: w.shape, buffer: d.buffer };
    }
    const buffer = new SharedArrayBuffer(d.byteLength);
    new Float32Array(buffer).set(d as Float32Array);
    return { name, shape: w.shape, buffer };
  });
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private alive = 0;
  private closed = false;

  constructor(size: number, init: WorkerInit) {
    for (let i = 0; i < size; i++) this.add(spawnWorker('worker', init));
  }

  run(job: WorkerJob): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new Error('the session was disposed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  async dispose(): Promise<void> {
    this.closed = true;
    const gone = new Error('the session was disposed');
    for (const p of this.queue.splice(0)) p.reject(gone);
    for (const p of this.busy.values()) p.reject(gone);
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private add(w: Worker): void {
    this.alive++;
    w.unref();
    w.on('message', (reply: WorkerReply) => {
      const p = this.busy.get(w);
      if (!p) return;
      this.busy.delete(w);
      this.idle.push(w);
      w.unref();
      if (reply.error) p.reject(rebuildWorkerError(reply.error, 'a session worker'));
      else p.resolve({ outputs: new Map(reply.outputs), tensors: new Map(reply.tensors) });
      this.dispatch();
    });
    let dead = false;
    const fail = (e: unknown): void => {
      if (this.closed || dead) return; // 'exit' follows 'error'
      dead = true;
      this.alive--;
      const p = this.busy.get(w);
      this.busy.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      p?.reject(e);
      // with no worker left nothing would ever take the queue
      if (this.alive === 0) for (const q of this.queue.splice(0)) q.reject(e);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`a session worker exited with code ${code}`)));
    this.idle.push(w);
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      this.busy.set(w, p);
      w.ref(); // a batch in flight keeps the process alive until it is answered
      w.postMessage(p.job);
    }
  }
}

/** An error as a worker thread posts it: its message and stack, a UserError's code and hint. */
export interface WorkerErrorRecord {
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  readonly hint?: string;
}

/**
 * The error a worker reported, on this side: a UserError again when it had a code, with the
 * worker's stack marked `(in <where>)` so a bug's trace shows which thread it came from.
 */
export function rebuildWorkerError(e: WorkerErrorRecord, where: string): Error {
  const err = e.code ? new UserError(e.code, e.message, e.hint) : new Error(e.message);
  if (e.stack) err.stack = `${err.name}: ${e.message}\n    (in ${where})\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/**
 * Starts src/<entry>.ts (dist/<entry>.js once built) in a worker thread. Built code runs the .js
 * directly; TypeScript sources (tests, tsx) boot it through tsx's loader, since Node 20 workers
 * inherit neither loader hooks nor `--import`.
 */
export function spawnWorker(entry: string, workerData: unknown, transferList?: readonly TransferListItem[]): Worker {
  return startWorker(import.meta.url, entry, workerData, transferList);
}

/**
 * The same for any package's worker module: `entry` (no extension) is resolved beside `from`,
 * the caller's `import.meta.url`, as `.js` when built or `.ts` through tsx.
 */
export function startWorker(from: string, entry: string, workerData: unknown, transferList?: readonly TransferListItem[]): Worker {
  const opts = { workerData, ...(transferList ? { transferList: [...transferList] } : {}) };
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, from), opts);
  let tsx: string;
  try {
    tsx = pathToFileURL(join(dirname(createRequire(from).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  } catch {
    throw new UserError('E_THREADS', 'worker threads from TypeScript sources need tsx installed', 'build the package (pnpm build) or install tsx');
  }
  const url = new URL(`./${entry}.ts`, from).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { ...opts, eval: true, execArgv: ['--conditions=@tpu-quant/source'] });
}
