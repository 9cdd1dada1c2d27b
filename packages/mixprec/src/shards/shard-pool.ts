// A search's samples split over worker threads: K workers, each owning one contiguous shard of the
// samples (order kept) and its caches (shard-worker.ts). A step goes to every worker; their
// per-sample values are joined in shard order, so the tool's sums (and every loss, tie and "first
// strict minimum") are those of the single-thread run. Timings are summed over the workers, cache
// bytes too (the memory bound applies to the totals).
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { printMlir, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { rebuildWorkerError, startWorker } from '@tpu-quant/runtime';
import { SampleEngine, type SampleScorer, type ScoreStep, type StepResult } from '../sensitivity/scorer.js';
import type { TopSource } from '../run-qtable/lowering.js';
import type { ShardInit, ShardReply, ShardRequest } from './protocol.js';

export interface ShardedScorerOptions {
  readonly module: Module;
  readonly chip: string;
  readonly samples: readonly ReadonlyMap<string, NdArray>[];
  /** Workers (at most one per sample). */
  readonly threads: number;
  readonly setup: readonly string[];
  readonly globalCompareLayers?: string;
  /** What a worker is called in its errors (default: a sensitivity search thread). */
  readonly label?: string;
}

/** The threading options every sample-heavy tool takes. */
export interface SampleThreadOptions {
  /**
   * Worker threads the samples are split over (at most one per sample); 1: everything in this
   * thread. Default: the cores when `workerSetup` is given, else 1.
   */
  readonly threads?: number;
  /**
   * Module URLs each worker imports before anything else: workers start with an empty target
   * registry, so this names the chip package that registers `chip` with ir (this package may not
   * import chip packages). Needed for threads > 1.
   */
  readonly workerSetup?: readonly string[];
}

/** `threads` checked, defaulted (the cores when workers can be set up) and capped by the samples. */
export function shardThreads(threads: number | undefined, setup: readonly string[] | undefined, samples: number, tool = 'the search'): number {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UserError('E_THREADS', `threads must be a positive integer, got ${threads}`, 'e.g. --threads 2 (1: no worker threads)');
  const k = Math.min(threads ?? (setup ? availableParallelism() : 1), samples);
  if (k > 1 && !setup) throw new UserError('E_THREADS', `${tool}'s worker threads need workerSetup (the chip package to import)`, 'pass workerSetup, or threads: 1');
  return k;
}

/** The steps' runner: on `threads` workers (> 1), else in this thread on `source`. */
export function openScorer(o: ShardedScorerOptions & { readonly source: TopSource }): SampleScorer {
  const compare = o.globalCompareLayers !== undefined ? { globalCompareLayers: o.globalCompareLayers } : {};
  return o.threads > 1
    ? new ShardedScorer(o)
    : new SampleEngine({ source: o.source, chip: o.chip, samples: o.samples, ...compare });
}

/** [start, end) of each of k contiguous shards of n samples, sizes differing by at most one. */
export function shardBounds(n: number, k: number): [number, number][] {
  return Array.from({ length: k }, (_, i) => [Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
}

interface Pending {
  readonly resolve: (r: StepResult) => void;
  readonly reject: (e: unknown) => void;
  readonly onSample?: () => void;
}

let running = 0;

/** Search worker threads started and not yet exited (0 once every search has returned or thrown). */
export function runningSearchThreads(): number {
  return running;
}

class ShardWorker {
  private readonly pending = new Map<number, Pending>();
  private failure: unknown;
  private closing = false;

  constructor(readonly worker: Worker, private readonly label: string) {
    running++;
    worker.once('exit', () => running--);
    worker.on('message', (m: ShardReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'sample') return p.onSample?.();
      this.pending.delete(m.id);
      if (m.kind === 'done') p.resolve(m.result);
      else p.reject(rebuildWorkerError(m.error, this.label));
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`${this.label} exited with code ${code}`)));
  }

  send(req: ShardRequest, onSample?: () => void): Promise<StepResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject, ...(onSample ? { onSample } : {}) });
      this.worker.postMessage(req);
    });
  }

  async terminate(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private fail(e: unknown): void {
    if (this.closing || this.failure) return; // 'exit' follows 'error'
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** The steps of the search on K worker threads, one shard of the samples each. */
export class ShardedScorer implements SampleScorer {
  private readonly workers: ShardWorker[];
  private nextId = 0;

  constructor(o: ShardedScorerOptions) {
    const mlir = printMlir(o.module);
    const weights = [...o.module.weights];
    const k = Math.max(1, Math.min(o.threads, o.samples.length));
    this.workers = [];
    try {
      for (const [a, b] of shardBounds(o.samples.length, k)) {
        const init: ShardInit = {
          mlir, name: o.module.name ?? 'top module', weights, chip: o.chip, setup: o.setup,
          samples: o.samples.slice(a, b).map((s) => [...s]),
          ...(o.globalCompareLayers !== undefined ? { globalCompareLayers: o.globalCompareLayers } : {}),
        };
        this.workers.push(new ShardWorker(startWorker(import.meta.url, 'shard-worker', init), o.label ?? 'a sensitivity search thread'));
      }
    } catch (e) {
      void this.close();
      throw e;
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  async run(step: ScoreStep, onSamples?: (n: number) => void): Promise<StepResult> {
    const id = this.nextId++;
    const tick = onSamples ? () => onSamples(1) : undefined;
    const parts = await Promise.all(this.workers.map((w) => w.send({ id, step }, tick)));
    const layerCos = parts.every((p) => p.layerCos) ? { layerCos: parts.flatMap((p) => p.layerCos!) } : {};
    const channelDiff = parts.every((p) => p.channelDiff) ? { channelDiff: parts.flatMap((p) => p.channelDiff!) } : {};
    // every worker ran the same model: the same roots
    const roots = parts[0]!.roots !== undefined ? { roots: parts[0]!.roots } : {};
    return {
      cos: parts.flatMap((p) => p.cos),
      ...layerCos,
      ...channelDiff,
      ...roots,
      bytes: parts.reduce((a, p) => a + p.bytes, 0),
      // one model lowered per worker: counted once, as the single-thread search counts it
      lowerings: Math.max(...parts.map((p) => p.lowerings)),
      lowerMs: parts.reduce((a, p) => a + p.lowerMs, 0),
      sessionMs: parts.reduce((a, p) => a + p.sessionMs, 0),
      coneMs: parts.reduce((a, p) => a + p.coneMs, 0),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
