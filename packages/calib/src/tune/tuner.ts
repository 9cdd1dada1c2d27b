// Auto-tune (spec §4.10; TPU-MLIR's SimpleTuner): walk the ops in order and, for the inputs of each
// op, try thresholds between the calibrated one and the tensor's absmax; keep the one whose
// fake-quantised inputs, run through the op with fake-quantised weights, come closest to the fp32
// output. Thresholds only grow.
//
// Speed: each op becomes a one-op module and session once (not per candidate). The fp32 reference
// of an op's outputs is computed by that same session before its weights are swapped for their
// fake-quantised versions (setOverride), so the whole walk costs about (candidates + 1) × samples
// forward passes of the tuned ops, and references live only until their last consumer has been
// tuned (ref-counted, as TPU-MLIR's cache): memory holds only the tensors still awaiting a reader.
// On a large model the searches themselves (about 22 × samples runs of each op) are shared with
// worker threads (tune-pool.ts): the walk here computes each op's references and hands its
// searches to a worker that has fewer than two ops in hand, or runs them itself when every
// worker has; results are applied in op order, so the table and the candidate trace do not
// depend on which thread searched what. References of dropped tensors are recycled
// (ref-buffers.ts), and the per-candidate loops run on WebAssembly SIMD (wasm-tune.ts).
import { availableParallelism } from 'node:os';
import type { Module, NdArray, Op, Value } from '@tpu-quant/ir';
import { bf16BitsToNumber, f16BitsToNumber, ndarray, printMlir, UserError } from '@tpu-quant/ir';
import type { RunOptions, Session } from '@tpu-quant/runtime';
import { createSession } from '@tpu-quant/runtime';
import { isFloatTensor, searchOp, type JobResult, type TuneJob, type TuneSearch } from './distance.js';
import { fakeQuantWeightsForTune } from './fake-quant.js';
import { isActivation, singleOpModule } from './single-op.js';
import type { SingleOpModule } from './single-op.js';
import { RefBuffers } from './ref-buffers.js';
import { TunePool } from './tune-pool.js';

export { findBetterThreshold, type TuneSearch } from './distance.js';

export interface TuneOptions {
  /** Candidate steps between the threshold and the absmax (TPU-MLIR `tune_steps`, default 21). */
  readonly steps?: number;
  /** Tune only when absmax − threshold exceeds this (default 0.01). */
  readonly minTunedDiff?: number;
  /** debug_cmd `find_lower_th`: start at threshold/3 and add a finer second pass around the best. */
  readonly findLowerTh?: boolean;
  readonly backend?: 'wasm' | 'js';
  /** After each op of the walk. */
  readonly onProgress?: (done: number, total: number, op: string) => void;
  /** Every candidate tried: the evaluated op (by name), the tuned input tensor, the threshold and its distance. */
  readonly onCandidate?: (op: string, tensor: string, threshold: number, distance: number) => void;
  /**
   * Run the ops with fake-quantised weights (default true, as the spec describes). TPU-MLIR's
   * ModuleInterpreter::fake_quant_weight quantises a copy of each weight (`auto mem = *...`), so
   * upstream actually tunes with fp32 weights: false reproduces that.
   */
  readonly fakeQuantWeights?: boolean;
  /**
   * Threads searching ops at once: this one (between computing references) and threads − 1
   * workers. Default: the machine's cores from 4 cores on, else 1; small models are searched on
   * this thread only (starting workers would cost more than it saves). Given, it is used
   * whatever the model's size (1: this thread only).
   */
  readonly threads?: number;
}

export const DEFAULT_TUNE_STEPS = 21;
export const DEFAULT_MIN_TUNED_DIFF = 0.01;
/** Tuned thresholds at or below this (or NaN) become this. */
export const MIN_THRESHOLD = 1e-5;

const NOT_RUN = new Set(['top.Weight', 'top.None', 'func.return']);
/** Below this many activation values × samples the searches stay on this thread. */
const POOL_MIN_WORK = 4_000_000;

/**
 * Tunes `thresholds` (tensor name → threshold) on `samples` (model input name → data), with
 * `tuneAbsmax` (tensor name → absmax_for_tuning, spec §4.6) as each search's upper end. Returns
 * the threshold of every tensor of `thresholds`, tuned or not.
 */
export async function tuneThresholds(
  module: Module,
  thresholds: ReadonlyMap<string, number>,
  tuneAbsmax: ReadonlyMap<string, number>,
  samples: readonly Map<string, NdArray>[],
  opts: TuneOptions = {},
): Promise<Map<string, number>> {
  if (samples.length === 0) {
    throw new UserError('E_NO_TUNE_SAMPLES', 'auto-tune needs at least one tune sample', 'give --tune_num > 0 and a dataset with that many samples');
  }
  const steps = opts.steps ?? DEFAULT_TUNE_STEPS;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new UserError('E_TUNE_STEPS', `tune steps must be a positive integer, got ${steps}`, `TPU-MLIR's default is ${DEFAULT_TUNE_STEPS}`);
  }
  const search: TuneSearch = {
    steps,
    minDiff: opts.minTunedDiff ?? DEFAULT_MIN_TUNED_DIFF,
    findLower: opts.findLowerTh ?? false,
  };
  const fqWeights = opts.fakeQuantWeights === false ? module.weights : fakeQuantWeightsForTune(module);
  const ops = module.main.ops.filter((o) => !NOT_RUN.has(o.type));
  const foreign = ops.find((o) => o.dialect !== 'top');
  if (foreign) {
    throw new UserError('E_UNSUPPORTED_OP', `auto-tune walks top-dialect ops; found ${foreign.type} "${foreign.name ?? '?'}"`, 'tune the top mlir (before lowering, with calls inlined)');
  }
  const table = new Map(thresholds);
  const tuned = new Set<string>();
  const refs = new RefCache(ops);
  const pool = startPool(module, ops, fqWeights, samples.length, opts);
  // ops whose searches may still be running, in op order; their results are applied in that order
  const pending: { op: Op; results: Promise<JobResult[]> }[] = [];
  // searches go to a worker only when it has room (a short queue holding references), so the
  // walk may run several ops ahead of the oldest worker's result, searching them itself meanwhile
  const maxPending = 4 * ((pool?.size ?? 0) + 1);
  let done = 0;
  const applyOldest = async (): Promise<void> => {
    const { op, results } = pending.shift()!;
    const opName = op.name ?? op.type;
    for (const r of await results) {
      for (const [th, d] of r.candidates) opts.onCandidate?.(opName, r.name, th, d);
      if (r.best > table.get(r.name)!) table.set(r.name, r.best);
    }
    opts.onProgress?.(++done, ops.length, opName);
  };

  try {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.type === 'top.Input') {
        refs.put(op.result(), samples.map((s) => sampleInput(s, op)));
        pending.push({ op, results: Promise.resolve([]) });
      } else {
        pending.push({ op, results: (await walkOp(op)).results });
      }
      while (pending.length > maxPending) await applyOldest();
    }
    while (pending.length > 0) await applyOldest();
  } finally {
    // searches still running after a failure are abandoned with their threads
    for (const p of pending) p.results.catch(() => undefined);
    await pool?.pool.close();
  }
  for (const [name, th] of table) if (!(th > MIN_THRESHOLD)) table.set(name, MIN_THRESHOLD);
  return table;

  /**
   * The op's fp32 references, then its searches: handed to the pool (results still pending), or
   * run here (done). Wrapped, as an async function's returned promise would be awaited with it.
   */
  async function walkOp(op: Op): Promise<{ results: Promise<JobResult[]> }> {
    const one = singleOpModule(module, op);
    const session = await createSession(one.module, { backend: opts.backend ?? 'wasm' });
    try {
      const inRefs = one.inputs.map((v) => refs.get(v));
      const outRefs = await runRefs(session, one, inRefs, samples.length, refs.buffers);
      const jobs = jobsAt(one);
      one.outputs.forEach((v, k) => refs.put(v, outRefs[k]!));
      for (const v of one.inputs) refs.release(v);
      if (jobs.length === 0) return { results: Promise.resolve([]) };
      const opRefs = { inRefs, outRefs, quantised: one.inputs.map(isFloatTensor) };
      if (pool?.pool.hasRoom) return { results: pool.pool.search(pool.index.get(op)!, opRefs, jobs, search) };
      useWeights(session, one, fqWeights, module.weights);
      return { results: Promise.resolve(await searchOp(session, one.inputNames, opRefs, jobs, search)) };
    } finally {
      await session.dispose();
    }
  }

  /** All inputs tuned before: re-tune only the first for this consumer; else every untuned one. */
  function jobsAt(one: SingleOpModule): TuneJob[] {
    const names = one.inputs.map((v) => v.name);
    const pick = names.every((n) => n !== undefined && tuned.has(n)) ? names.slice(0, 1) : names.filter((n) => n === undefined || !tuned.has(n));
    return pick.flatMap((name) => {
      if (name === undefined) return [];
      tuned.add(name);
      const th0 = thresholds.get(name);
      const hi = tuneAbsmax.get(name);
      return th0 === undefined || hi === undefined || !worthTuning(th0, hi, search) ? [] : [{ name, th0, hi }];
    });
  }
}

/** Worker threads for the searches (threads − 1), when the model is large enough and more than one thread is wanted. */
function startPool(module: Module, ops: readonly Op[], weights: ReadonlyMap<string, NdArray>, samples: number, opts: TuneOptions): { pool: TunePool; size: number; index: Map<Op, number> } | undefined {
  // Measured on 2 (shared, busy) cores: one worker beside a walk that also searches was slower
  // than one thread (mobilenet_v2 1.3 -> 2.3 s CPU, yolox_nano 8.4 -> 10.5 s CPU: a worker's
  // start and its cold code cost 1-2 s of CPU), so by default the pool starts from 4 cores.
  const cores = availableParallelism();
  const threads = Math.max(1, Math.floor(opts.threads ?? (cores >= 4 ? cores : 1)));
  const size = threads - 1;
  if (size < 1) return undefined;
  let work = 0;
  for (const op of ops) for (const r of op.results) if (r.type.kind === 'tensor') work += r.type.shape.reduce((a, b) => a * Math.max(b, 1), 1) * samples;
  if (opts.threads === undefined && work < POOL_MIN_WORK) return undefined;
  const index = new Map(module.main.ops.map((op, i) => [op, i]));
  // float32 weights go in SharedArrayBuffers: the worker reads them without a copy
  const shared = [...weights].map(([name, w]): [string, NdArray] => [name, w.dtype === 'f32' ? sharedCopy(w) : w]);
  const pool = new TunePool(size, { mlir: printMlir(module), weights: shared, backend: opts.backend ?? 'wasm' });
  return { pool, size, index };
}

function worthTuning(th0: number, hi: number, s: TuneSearch): boolean {
  const lo = s.findLower ? th0 / 3 : th0;
  return (hi - lo) / s.steps > 0 && Math.abs(hi - lo) > s.minDiff;
}

/**
 * fp32 outputs of the op for every sample (arrays the session does not reuse), written where it
 * can into memory from `bufs` (recycled references).
 */
async function runRefs(session: Session, one: SingleOpModule, inRefs: readonly NdArray[][], n: number, bufs: RefBuffers): Promise<NdArray[][]> {
  const out: NdArray[][] = one.outputs.map(() => []);
  const outputs = new Set(session.outputNames);
  const offered = new Map<string, Float32Array>();
  const opts: RunOptions = {
    outputMemory: (name, elements) => {
      if (!outputs.has(name)) return undefined;
      const a = bufs.take(elements);
      offered.set(name, a);
      return a;
    },
  };
  for (let s = 0; s < n; s++) {
    const feed = new Map<string, NdArray>();
    one.inputNames.forEach((name, k) => feed.set(name, inRefs[k]![s]!));
    offered.clear();
    const res = await session.run(feed, opts);
    session.outputNames.forEach((name, k) => {
      const v = res.outputs.get(name)!;
      bufs.settle(offered.get(name), v.data);
      out[k]!.push(v);
    });
  }
  return out;
}

/** x itself when its data is already in a SharedArrayBuffer, else a copy there. */
function sharedCopy(x: NdArray): NdArray {
  if (x.data.buffer instanceof SharedArrayBuffer) return x;
  const d = x.data as Float32Array;
  const c = new Float32Array(new SharedArrayBuffer(d.byteLength));
  c.set(d);
  return ndarray(x.dtype as 'f32', x.shape, c);
}

/** Swaps the op's weights for their fake-quantised versions (kept in the shape the session made). */
function useWeights(session: Session, one: SingleOpModule, fq: ReadonlyMap<string, NdArray>, fp: ReadonlyMap<string, NdArray>): void {
  for (const name of one.weights) {
    const q = fq.get(name);
    if (!q || q === fp.get(name)) continue;
    const data = q.data as Float32Array;
    session.setOverride(name, (v) => ndarray('f32', v.shape, data));
  }
}

/**
 * fp32 references per tensor and sample, kept until every op reading the tensor has been
 * handled (TPU-MLIR's ref-counted ref_activations); then their memory goes to `buffers` for
 * later references. The walk hands a dropped reference's memory out again only in a later op's
 * runRefs, after the op that dropped it has finished with it (its search done here, or its
 * references copied for a worker).
 */
class RefCache {
  private readonly left = new Map<Value, number>();
  private readonly data = new Map<Value, NdArray[]>();
  readonly buffers = new RefBuffers();

  constructor(ops: readonly Op[]) {
    for (const op of ops) for (const v of new Set(op.operands)) if (isActivation(v)) this.left.set(v, (this.left.get(v) ?? 0) + 1);
  }

  put(v: Value, perSample: NdArray[]): void {
    if ((this.left.get(v) ?? 0) > 0) this.data.set(v, perSample);
    else for (const x of perSample) this.buffers.give(x.data);
  }

  get(v: Value): NdArray[] {
    const d = this.data.get(v);
    if (!d) {
      const what = v.producer ? `${v.producer.type} "${v.name ?? '?'}"` : `function argument "${v.name ?? v.index}"`;
      throw new Error(`auto-tune: no fp32 reference for ${what} (only values made by earlier ops or top.Input are known)`);
    }
    return d;
  }

  /** One reader is done with `v`. */
  release(v: Value): void {
    const n = (this.left.get(v) ?? 0) - 1;
    this.left.set(v, n);
    if (n > 0) return;
    for (const x of this.data.get(v) ?? []) this.buffers.give(x.data);
    this.data.delete(v);
  }
}

function sampleInput(sample: ReadonlyMap<string, NdArray>, op: Op): NdArray {
  const name = op.name ?? '';
  const x = sample.get(name);
  if (!x) {
    throw new UserError('E_MISSING_INPUT', `tune sample lacks input "${name}"`, `the inputs are: ${[...sample.keys()].join(', ')}`);
  }
  return toF32(x);
}

function toF32(x: NdArray): NdArray<'f32'> {
  if (x.dtype === 'f32') return x as NdArray<'f32'>;
  const d = x.dtype === 'f16' ? Float32Array.from(x.data as Uint16Array, f16BitsToNumber)
    : x.dtype === 'bf16' ? Float32Array.from(x.data as Uint16Array, bf16BitsToNumber)
      : Float32Array.from(x.data as ArrayLike<number | bigint>, Number);
  return ndarray('f32', x.shape, d);
}
