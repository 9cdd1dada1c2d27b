// Sessions: a module planned once for a backend, then run on inputs as often as needed, whole
// (run, runBatch) or from one op down (runFrom), with overrides applied to tensors in flight.
import type { Module, NdArray, Op } from '@tpu-quant/ir';
import { ndarray, printMlir, UserError } from '@tpu-quant/ir';
import type { KernelReport } from './backends.js';
import { prepareBackend } from './backends.js';
import { BufferPool } from './buffers.js';
import type { ExecStats, OpTime } from './executor.js';
import { execute } from './executor.js';
import { wasmBuild } from './kernels/wasm/loader.js';
import type { MemoryPlan } from './memory-plan.js';
import { planMemory } from './memory-plan.js';
import type { OverrideFn } from './overrides.js';
import { createOrtSession } from './ort/session.js';
import { withSplitter } from './parallel/hook.js';
import { samplesInline } from './parallel/policy.js';
import { SharedBufferPool } from './parallel/shared-pool.js';
import { planSplits, widest } from './parallel/split.js';
import { Team } from './parallel/team.js';
import type { Plan } from './plan.js';
import { buildPlan, loadConstants } from './plan.js';
import type { Backend } from './registry.js';
import type { Cone } from './run-from.js';
import { coneFor } from './run-from.js';
import { fmtShape, toF32 } from './tensor.js';
import { shareWeights, WorkerPool } from './worker-pool.js';
import './kernels/js/index.js';

export interface SessionOptions {
  /**
   * 'wasm' (default: wasm kernels where they fit, js elsewhere; js with a warning on stderr when
   * the wasm module fails to load) or 'js' (the reference).
   */
  readonly backend?: Backend;
  /**
   * Threads (default 1). Above 1, `run` / `runFrom` compute large Conv and MatMul ops across that
   * many threads (intra-op, wasm backend; see src/parallel/), and `runBatch` spreads samples over
   * worker threads.
   */
  readonly threads?: number;
}

export type Tensors = Map<string, NdArray> | Record<string, NdArray>;

export interface RunOptions {
  /** Keep these tensors (by name), or every activation, in `RunResult.tensors`. */
  readonly capture?: 'all' | readonly string[];
  /**
   * Called with every activation as it is produced (statistics without holding them all). The
   * value's memory may be reused after the call returns: copy what you keep.
   */
  readonly observer?: (name: string, value: NdArray, op: Op) => void;
  /**
   * Memory for an activation, offered by the caller (an observer that would copy it anyway):
   * asked once per single-result op, with the result's name and element count, before its
   * kernel runs; a returned array of that length receives the result when the kernel allocates
   * through the session (most do), and the run never reuses or overwrites it. The result may
   * still land elsewhere (views, kernels with memory of their own): compare `value.data`.
   * Ignored by sessions with threads > 1 and by the ort backend.
   */
  readonly outputMemory?: (name: string, elements: number) => Float32Array | undefined;
  /** Replace tensors (activations or weights, by name) in flight, for this run only. */
  readonly overrides?: ReadonlyMap<string, OverrideFn>;
}

/**
 * Tensors of a session with threads > 1 may live in SharedArrayBuffers (its workers write them):
 * list only ArrayBuffers when transferring them; `data.slice()` is a plain copy.
 */
export interface RunResult {
  /** Keyed by the names of the values @main returns. */
  readonly outputs: Map<string, NdArray>;
  /** Captured tensors by name, in execution order. */
  readonly tensors: Map<string, NdArray>;
}

export interface SessionStats {
  /** Of the last run (run or runFrom): most bytes of activations alive at once. */
  readonly peakActivationBytes: number;
  /** The memory plan's peak when every kernel takes its output from ctx.alloc. */
  readonly plannedPeakBytes: number;
  /** Free pooled buffers the session keeps between runs. */
  readonly pooledBytes: number;
  /** Bytes of the f32 weights. */
  readonly weightBytes: number;
  /** Ops the last run executed. */
  readonly steps: number;
  /** Wall time of the last run's ops, and per op type. */
  readonly ms: number;
  readonly byOpType: Map<string, OpTime>;
  /** Ops of the last run computed across threads (intra-op). */
  readonly splitOps: number;
}

export interface Session {
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly backend: Backend;
  run(inputs: Tensors, opts?: RunOptions): Promise<RunResult>;
  /**
   * Re-executes only the downstream cone of the named op(s), reading every other tensor the cone
   * needs from `cached` (typically captured from a full run). Outputs outside the cone come from
   * `cached` when it has them; `capture` and `overrides` see the cone's tensors only.
   */
  runFrom(opName: string | readonly string[], cached: Tensors, opts?: RunOptions): Promise<RunResult>;
  /** Runs samples in order; across worker threads when the session has threads > 1. */
  runBatch(samples: readonly Tensors[], opts?: RunOptions): Promise<RunResult[]>;
  /** A persistent override of one tensor (undefined removes it); weights are transformed once, here. */
  setOverride(name: string, fn: OverrideFn | undefined): void;
  stats(): SessionStats;
  kernelReport(): KernelReport;
  /**
   * Resolves when the session's intra-op workers are up (at once when it has none). They start
   * with the session, in the background; runs never wait for them: until a worker is up, its
   * share of each split op is computed on the calling thread (so one-shot runs cost no startup).
   */
  ready(): Promise<void>;
  /** Terminates the session's workers. */
  dispose(): Promise<void>;
}

export async function createSession(module: Module, opts: SessionOptions = {}): Promise<Session> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UserError('E_THREADS', `threads must be a positive integer, got ${threads}`);
  }
  // onnxruntime runs the whole graph, in a session of its own (src/ort/)
  if (opts.backend === 'ort') return createOrtSession(module, opts);
  const backend = await prepareBackend(opts.backend ?? 'wasm');
  const plan = buildPlan(module, backend);
  let weights = loadConstants(module, plan, toF32);
  let team: Team | undefined;
  if (threads > 1) {
    // every worker reads the weights where they are: shared memory, copied once
    weights = new Map(shareWeights(weights).map((w) => [w.name, ndarray('f32', w.shape, new Float32Array(w.buffer))]));
    const splits = backend === 'wasm' ? planSplits(plan, weights, threads) : [];
    if (splits.length > 0) team = new Team(splits, weights, widest(splits) - 1, wasmBuild);
  }
  // workers rebuild the module from its text; print it now, so later edits of `module` do not leak in
  const mlir = threads > 1 ? printMlir(module) : undefined;
  return new JsSession(plan, planMemory(plan), weights, backend, threads, mlir, module.name ?? 'module', team);
}

const asMap = (t: Tensors): Map<string, NdArray> => (t instanceof Map ? t : new Map(Object.entries(t)));

/** A session dropped without dispose() still ends its intra-op workers, once it is collected. */
const orphanedTeams = new FinalizationRegistry<Team>((team) => void team.dispose());

class JsSession implements Session {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly pool: BufferPool;
  /** Constant slots (weights after session overrides, None) and the steps that make them. */
  private readonly constants = new Map<number, NdArray | undefined>();
  private readonly constStep = new Map<string, number>();
  private readonly names: Set<string>;
  private readonly sessionOverrides = new Map<string, OverrideFn>();
  private readonly cones = new Map<string, Cone>();
  private last: ExecStats = { steps: 0, peakActivationBytes: 0, ms: 0, byOpType: new Map() };
  private lastSplit = 0;
  private workers: WorkerPool | undefined;
  private disposed = false;

  constructor(
    private readonly plan: Plan,
    private readonly memory: MemoryPlan,
    private readonly weights: Map<string, NdArray>,
    readonly backend: Backend,
    private readonly threads: number,
    private readonly mlir: string | undefined,
    private readonly moduleName: string,
    /** Intra-op workers: present when the plan has ops worth splitting over `threads`. */
    private readonly team: Team | undefined,
  ) {
    // the team's workers read split ops' inputs and write their outputs in place: shared memory
    this.pool = team ? new SharedBufferPool() : new BufferPool();
    if (team) orphanedTeams.register(this, team, team);
    this.inputNames = plan.inputs.map((i) => i.name);
    this.outputNames = plan.outputs.map((o) => o.name);
    this.names = new Set(plan.steps.flatMap((s) => s.names.filter((n) => n !== undefined)));
    plan.steps.forEach((s, i) => {
      if (!s.constant) return;
      if (s.names[0] !== undefined) this.constStep.set(s.names[0], i);
      this.computeConstant(i);
    });
  }

  async run(given: Tensors, opts: RunOptions = {}): Promise<RunResult> {
    const slots = this.startSlots(opts);
    const foreign = this.foreign(slots);
    this.bindInputs(asMap(given), slots, foreign);
    const steps = this.plan.steps.flatMap((s, i) => (s.constant ? [] : [i]));
    const tensors = this.exec(steps, slots, foreign, opts);
    const outputs = new Map<string, NdArray>();
    for (const o of this.plan.outputs) outputs.set(o.name, slots[o.slot]!);
    return { outputs, tensors };
  }

  async runFrom(opName: string | readonly string[], cachedTensors: Tensors, opts: RunOptions = {}): Promise<RunResult> {
    const roots = typeof opName === 'string' ? [opName] : [...opName];
    const cached = asMap(cachedTensors);
    const cone = coneFor(this.plan, this.cones, roots, cached);
    const slots = this.startSlots(opts);
    for (const n of cone.needs) {
      const v = toF32(cached.get(n.name)!);
      const want = this.slotShape(n.slot);
      if (want && (want.length !== v.shape.length || want.some((d, k) => d >= 0 && d !== v.shape[k]))) {
        throw new UserError('E_INPUT_SHAPE', `cached tensor "${n.name}" has shape ${fmtShape(v.shape)}, expected ${fmtShape(want)}`);
      }
      slots[n.slot] = v;
    }
    const tensors = this.exec(cone.steps, slots, this.foreign(slots), opts);
    const outputs = new Map<string, NdArray>();
    for (const o of this.plan.outputs) {
      const v = slots[o.slot] ?? cached.get(o.name);
      if (v) outputs.set(o.name, v);
    }
    return { outputs, tensors };
  }

  /**
   * Whole rounds of `threads` samples go to sample workers (each a one-thread session: the best
   * throughput); a last, partial round runs here, sample after sample with the intra-op team,
   * when that is quicker than leaving threads idle (parallel/policy.ts). One sample runs here.
   */
  async runBatch(samples: readonly Tensors[], opts: RunOptions = {}): Promise<RunResult[]> {
    const here = this.threads === 1 || samples.length <= 1 ? samples.length : samplesInline(samples.length, this.threads, this.team !== undefined);
    const out: RunResult[] = [];
    const away = samples.length - here;
    if (away > 0) {
      if (opts.observer || opts.overrides || this.sessionOverrides.size > 0) {
        throw new UserError('E_THREADS', 'observers and overrides are functions, which cannot cross to worker threads', 'use threads: 1 for runs with observers or overrides, or capture the tensors');
      }
      if (this.disposed) throw new Error('the session was disposed');
      this.workers ??= new WorkerPool(this.threads, {
        mlir: this.mlir!, name: this.moduleName, backend: this.backend, weights: shareWeights(this.weights),
      });
      const pool = this.workers;
      out.push(...(await Promise.all(samples.slice(0, away).map((s) => pool.run({ inputs: [...asMap(s)], capture: opts.capture })))));
    }
    for (const s of samples.slice(away)) out.push(await this.run(s, opts));
    return out;
  }

  setOverride(name: string, fn: OverrideFn | undefined): void {
    this.checkNames([name]);
    if (fn) this.sessionOverrides.set(name, fn);
    else this.sessionOverrides.delete(name);
    const c = this.constStep.get(name);
    if (c !== undefined) this.computeConstant(c);
  }

  stats(): SessionStats {
    let weightBytes = 0;
    for (const w of this.weights.values()) weightBytes += w.data.byteLength;
    return {
      ...this.last,
      plannedPeakBytes: this.memory.plannedPeakBytes,
      pooledBytes: this.pool.bytes,
      weightBytes,
      splitOps: this.lastSplit,
    };
  }

  kernelReport(): KernelReport {
    const ops = this.plan.steps.filter((s) => !s.constant).map((s) => ({ name: s.names[0] ?? '', type: s.op.type, backend: s.backend }));
    const counts: Partial<Record<Backend, number>> = {};
    const fallbacks = new Map<string, number>();
    for (const o of ops) {
      counts[o.backend] = (counts[o.backend] ?? 0) + 1;
      if (o.backend !== this.backend) fallbacks.set(o.type, (fallbacks.get(o.type) ?? 0) + 1);
    }
    return { backend: this.backend, counts, fallbacks, ops };
  }

  async ready(): Promise<void> {
    await this.team?.whenReady();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.pool.retire();
    if (this.team) orphanedTeams.unregister(this.team);
    await Promise.all([this.workers?.dispose(), this.team?.dispose()]);
    this.workers = undefined;
  }

  private exec(steps: readonly number[], slots: (NdArray | undefined)[], foreign: Set<ArrayBufferLike>, opts: RunOptions): Map<string, NdArray> {
    const env = { plan: this.plan, inPlace: this.memory.inPlace, weights: this.weights, pool: this.pool };
    // a failed team throws here; one still starting lends the workers that are up
    const team = this.team?.usable() ? this.team : undefined;
    // split ops write their results from the team's workers, into shared memory only
    const outputMemory = team ? undefined : opts.outputMemory;
    const req = { steps, slots, foreign, capture: opts.capture, observer: opts.observer, override: this.overrideOf(opts), outputMemory };
    let r: ReturnType<typeof execute>;
    if (team) {
      team.begin();
      try {
        r = withSplitter(team.split, () => execute(env, req));
      } finally {
        team.end();
      }
    } else {
      r = execute(env, req);
    }
    this.last = r.stats;
    this.lastSplit = team?.splitOps ?? 0;
    return r.tensors;
  }

  /** Per-run overrides win over session overrides of the same tensor. */
  private overrideOf(opts: RunOptions): ((name: string) => OverrideFn | undefined) | undefined {
    const run = opts.overrides;
    if (run) this.checkNames([...run.keys()]);
    if (!run?.size && this.sessionOverrides.size === 0) return undefined;
    return (name) => run?.get(name) ?? this.sessionOverrides.get(name);
  }

  /** Slots with constants in place; per-run weight overrides are applied here, once per run. */
  private startSlots(opts: RunOptions): (NdArray | undefined)[] {
    const slots = new Array<NdArray | undefined>(this.plan.slotCount);
    for (const [slot, v] of this.constants) slots[slot] = v;
    for (const [name, fn] of opts.overrides ?? []) {
      const i = this.constStep.get(name);
      if (i === undefined) continue;
      const step = this.plan.steps[i]!;
      const v = slots[step.outputs[0]!];
      if (v) slots[step.outputs[0]!] = toF32(fn(v, step.op));
    }
    return slots;
  }

  /** Memory a run must never reuse: everything in the slots before it starts (weights, inputs, cached tensors). */
  private foreign(slots: readonly (NdArray | undefined)[]): Set<ArrayBufferLike> {
    const s = new Set<ArrayBufferLike>();
    for (const v of slots) if (v) s.add(v.data.buffer);
    return s;
  }

  private computeConstant(i: number): void {
    const s = this.plan.steps[i]!;
    const out = s.kernel.run({ op: s.op, inputs: [], outputTypes: s.outputTypes, weights: this.weights });
    const fn = s.names[0] === undefined ? undefined : this.sessionOverrides.get(s.names[0]);
    s.outputs.forEach((slot, k) => this.constants.set(slot, k === 0 && fn && out[0] ? toF32(fn(out[0], s.op)) : out[k]));
  }

  private checkNames(names: readonly string[]): void {
    const unknown = names.filter((n) => !this.names.has(n));
    if (unknown.length > 0) {
      throw new UserError('E_UNKNOWN_TENSOR', `no tensor named ${unknown.map((u) => `"${u}"`).join(', ')} to override`, 'tensors are named by their loc names, as in capture');
    }
  }

  private slotShape(slot: number): readonly number[] | undefined {
    const inp = this.plan.inputs.find((i) => i.slot === slot);
    if (inp) return inp.type?.shape;
    for (const s of this.plan.steps) {
      const k = s.outputs.indexOf(slot);
      if (k >= 0) return s.outputTypes[k]?.shape;
    }
    return undefined;
  }

  private bindInputs(inputs: Map<string, NdArray>, slots: (NdArray | undefined)[], foreign: Set<ArrayBufferLike>): void {
    const known = new Set(this.inputNames);
    const unknown = [...inputs.keys()].filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new UserError('E_UNKNOWN_INPUT', `no model input named ${unknown.map((u) => `"${u}"`).join(', ')}`, `the inputs are: ${this.inputNames.join(', ')}`);
    }
    for (const inp of this.plan.inputs) {
      const x = inputs.get(inp.name);
      const want = inp.type?.shape;
      if (!x) {
        throw new UserError('E_MISSING_INPUT', `input "${inp.name}" is missing${want ? ` (expected shape ${fmtShape(want)})` : ''}`, `the inputs are: ${this.inputNames.join(', ')}`);
      }
      if (want && (want.length !== x.shape.length || want.some((d, i) => d >= 0 && d !== x.shape[i]))) {
        throw new UserError('E_INPUT_SHAPE', `input "${inp.name}" has shape ${fmtShape(x.shape)}, expected ${fmtShape(want)}`);
      }
      const v = toF32(x);
      slots[inp.slot] = v;
      foreign.add(v.data.buffer);
    }
  }
}
