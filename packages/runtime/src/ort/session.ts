// The ort backend: a float top module exported to ONNX (export-onnx.ts) and run whole by
// onnxruntime-node, an optional peer dependency loaded on first use. Captured tensors become
// extra graph outputs (one exported model per distinct capture set, compiled once and kept);
// observers see every activation in op order after the run; runFrom exports the op's downstream
// cone as a model of its own whose inputs are the tensors the cone reads. Overrides replace
// tensors inside a run, which onnxruntime cannot do: they need the js or wasm backend.
import type { Module, NdArray } from '@tpu-quant/ir';
import { encodeOnnxModel, ndarray, UserError } from '@tpu-quant/ir';
import type { KernelReport } from '../backends.js';
import type { OverrideFn } from '../overrides.js';
import type { Plan } from '../plan.js';
import { buildPlan, loadConstants } from '../plan.js';
import type { Cone } from '../run-from.js';
import { coneFor } from '../run-from.js';
import type { RunOptions, RunResult, Session, SessionOptions, SessionStats, Tensors } from '../session.js';
import { fmtShape, toF32 } from '../tensor.js';
import { captureSlots, checkOrtSupport, exportPlan } from './export-onnx.js';

/** The parts of onnxruntime's API the backend uses (so its types are not needed to build). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

export interface OrtInferenceSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtModule {
  readonly InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtInferenceSession> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

export type OrtLoader = () => Promise<OrtModule>;

export interface OrtSessionOptions extends SessionOptions {
  /** How onnxruntime is loaded (default: import('onnxruntime-node')); tests inject a failing one. */
  readonly loadOrt?: OrtLoader;
}

const importOrt: OrtLoader = async () => {
  // a computed specifier: onnxruntime-node is optional, and nothing may require it to build
  const spec = 'onnxruntime-node';
  const mod = (await import(/* @vite-ignore */ spec)) as OrtModule & { default?: OrtModule };
  return mod.InferenceSession ? mod : mod.default!;
};

/** onnxruntime, or E_ORT_MISSING when it cannot be loaded. */
export async function loadOrt(loader: OrtLoader = importOrt): Promise<OrtModule> {
  try {
    return await loader();
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UserError(
      'E_ORT_MISSING',
      `the ort backend needs onnxruntime-node, which could not be loaded (${why})`,
      'install it next to tpu-quant (npm i onnxruntime-node), or use backend "wasm"',
    );
  }
}

const asMap = (t: Tensors): Map<string, NdArray> => (t instanceof Map ? t : new Map(Object.entries(t)));

export async function createOrtSession(module: Module, opts: OrtSessionOptions = {}): Promise<Session> {
  const threads = opts.threads ?? 1; // validated by createSession, the only caller
  checkOrtSupport(module);
  const ort = await loadOrt(opts.loadOrt);
  const plan = buildPlan(module, 'js');
  const session = new OrtSession(ort, plan, loadConstants(module, plan, toF32), threads, module.modelName ?? 'main');
  // export and compile the plain model now, so attribute combinations ONNX cannot express fail here
  await session.graph('', undefined, undefined);
  return session;
}

/** One exported model, compiled. */
interface Graph {
  readonly session: OrtInferenceSession | undefined;
  readonly inputs: readonly { name: string; slot: number }[];
  readonly outputs: readonly { name: string; slot: number }[];
}

class OrtSession implements Session {
  readonly backend = 'ort' as const;
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly graphs = new Map<string, Promise<Graph>>();
  private readonly cones = new Map<string, Cone>();
  private readonly names: Set<string>;
  private readonly allSteps: number[];
  private readonly slotShape = new Map<number, readonly number[] | undefined>();
  private last = { steps: 0, ms: 0 };
  private disposed = false;

  constructor(
    private readonly ort: OrtModule,
    private readonly plan: Plan,
    private readonly weights: Map<string, NdArray>,
    private readonly threads: number,
    private readonly moduleName: string,
  ) {
    this.inputNames = plan.inputs.map((i) => i.name);
    this.outputNames = plan.outputs.map((o) => o.name);
    this.names = new Set(plan.steps.flatMap((s) => s.names.filter((n) => n !== undefined)));
    this.allSteps = plan.steps.flatMap((s, i) => (s.constant ? [] : [i]));
    for (const inp of plan.inputs) this.slotShape.set(inp.slot, inp.type?.shape);
    for (const s of plan.steps) s.outputs.forEach((o, k) => this.slotShape.set(o, s.outputTypes[k]?.shape));
  }

  async run(given: Tensors, opts: RunOptions = {}): Promise<RunResult> {
    this.refuseOverrides(opts);
    const known = this.bindInputs(asMap(given));
    const { values, tensors } = await this.execute('', this.allSteps, undefined, known, opts);
    const outputs = new Map<string, NdArray>();
    for (const o of this.plan.outputs) outputs.set(o.name, values.get(o.slot) ?? this.constant(o.slot)!);
    return { outputs, tensors };
  }

  async runFrom(opName: string | readonly string[], cachedTensors: Tensors, opts: RunOptions = {}): Promise<RunResult> {
    this.refuseOverrides(opts);
    const roots = typeof opName === 'string' ? [opName] : [...opName];
    const cached = asMap(cachedTensors);
    const cone = coneFor(this.plan, this.cones, roots, cached);
    const known = new Map<number, NdArray>();
    for (const n of cone.needs) {
      const v = toF32(cached.get(n.name)!);
      const want = this.slotShape.get(n.slot);
      if (want && !fits(v.shape, want)) {
        throw new UserError('E_INPUT_SHAPE', `cached tensor "${n.name}" has shape ${fmtShape(v.shape)}, expected ${fmtShape(want)}`);
      }
      known.set(n.slot, v);
    }
    const { values, tensors } = await this.execute(roots.join('\u0000'), cone.steps, cone.needs, known, opts);
    const produced = new Set(cone.steps.flatMap((i) => this.plan.steps[i]!.outputs));
    const outputs = new Map<string, NdArray>();
    for (const o of this.plan.outputs) {
      const v = produced.has(o.slot) ? values.get(o.slot) : cached.get(o.name);
      if (v) outputs.set(o.name, v);
    }
    return { outputs, tensors };
  }

  /** In sequence: onnxruntime spreads each run over its own intra-op threads. */
  async runBatch(samples: readonly Tensors[], opts: RunOptions = {}): Promise<RunResult[]> {
    const out: RunResult[] = [];
    for (const s of samples) out.push(await this.run(s, opts));
    return out;
  }

  setOverride(name: string, fn: OverrideFn | undefined): void {
    this.checkNames([name]);
    if (fn) throw overrideError();
  }

  stats(): SessionStats {
    let weightBytes = 0;
    for (const w of this.weights.values()) weightBytes += w.data.byteLength;
    // onnxruntime plans and holds its own memory, and times the graph as a whole
    return {
      peakActivationBytes: 0,
      plannedPeakBytes: 0,
      pooledBytes: 0,
      weightBytes,
      steps: this.last.steps,
      ms: this.last.ms,
      byOpType: new Map([['onnxruntime', { count: this.last.steps, ms: this.last.ms }]]),
      splitOps: 0,
    };
  }

  kernelReport(): KernelReport {
    const ops = this.allSteps.map((i) => {
      const s = this.plan.steps[i]!;
      return { name: s.names[0] ?? '', type: s.op.type, backend: 'ort' as const };
    });
    return { backend: 'ort', counts: { ort: ops.length }, fallbacks: new Map(), ops };
  }

  /** onnxruntime starts its threads with the session. */
  async ready(): Promise<void> {}

  async dispose(): Promise<void> {
    this.disposed = true;
    const graphs = [...this.graphs.values()];
    this.graphs.clear();
    for (const g of graphs) await (await g.catch(() => undefined))?.session?.release();
  }

  /**
   * The compiled model for a set of steps (`key`: '' for the whole graph, else the runFrom roots)
   * and the capture it serves: the outputs only, the named tensors, or every activation.
   */
  graph(key: string, capture: 'all' | readonly string[] | undefined, cone: Cone | undefined): Promise<Graph> {
    if (this.disposed) throw new Error('the session was disposed');
    const captureKey = capture === undefined ? '' : capture === 'all' ? '*' : [...new Set(capture)].sort().join('\u0000');
    const id = `${key}\u0001${captureKey}`;
    let g = this.graphs.get(id);
    if (!g) {
      g = this.compile(cone, capture);
      this.graphs.set(id, g);
      g.catch(() => this.graphs.delete(id));
    }
    return g;
  }

  private async compile(cone: Cone | undefined, capture: 'all' | readonly string[] | undefined): Promise<Graph> {
    const steps = cone?.steps ?? this.allSteps;
    const outputs = [...this.plan.outputs.map((o) => o.slot), ...captureSlots(this.plan, capture, steps)];
    const exported = exportPlan(this.plan, this.weights, { steps, inputs: cone?.needs, outputs }, this.moduleName);
    if (exported.outputs.length === 0) return { session: undefined, inputs: exported.inputs, outputs: [] };
    const session = await this.ort.InferenceSession.create(encodeOnnxModel(exported.model), {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    return { session, inputs: exported.inputs, outputs: exported.outputs };
  }

  private async execute(
    key: string, steps: readonly number[], needs: Cone['needs'] | undefined, known: Map<number, NdArray>, opts: RunOptions,
  ): Promise<{ values: Map<number, NdArray>; tensors: Map<string, NdArray> }> {
    // an observer sees every activation, so they all become outputs
    const graph = await this.graph(key, opts.observer ? 'all' : opts.capture, needs ? { steps, needs } : undefined);
    const t0 = performance.now();
    const values = new Map(known);
    if (graph.session) {
      const feeds: Record<string, OrtTensor> = {};
      for (const i of graph.inputs) {
        const v = known.get(i.slot)!;
        feeds[i.name] = new this.ort.Tensor('float32', v.data as Float32Array, v.shape);
      }
      const results = await graph.session.run(feeds);
      for (const o of graph.outputs) values.set(o.slot, this.fromOrt(results[o.name], o));
    }
    this.last = { steps: steps.length, ms: performance.now() - t0 };
    const all = opts.capture === 'all';
    const wanted = new Set(all ? [] : (opts.capture ?? []));
    const tensors = new Map<string, NdArray>();
    for (const i of steps) {
      const s = this.plan.steps[i]!;
      if (s.op.type === 'top.Input') values.set(s.outputs[0]!, values.get(s.inputs[0]!)!);
      s.outputs.forEach((slot, k) => {
        const name = s.names[k];
        const v = values.get(slot);
        if (name === undefined || v === undefined) return;
        if (all || wanted.has(name)) tensors.set(name, v);
        opts.observer?.(name, v, s.op);
      });
    }
    return { values, tensors };
  }

  private fromOrt(t: OrtTensor | undefined, o: { name: string; slot: number }): NdArray {
    if (!t) throw new Error(`onnxruntime returned no "${o.name}"`);
    const shape = t.dims.map(Number);
    const want = this.slotShape.get(o.slot);
    if (want && !fits(shape, want)) throw new Error(`onnxruntime made "${o.name}" of shape ${fmtShape(shape)}, the IR says ${fmtShape(want)}`);
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    return ndarray('f32', shape, data);
  }

  /** The value of a constant slot (a weight returned as an output). */
  private constant(slot: number): NdArray | undefined {
    const s = this.plan.steps.find((st) => st.constant && st.outputs.includes(slot));
    return s?.names[0] === undefined ? undefined : this.weights.get(s.names[0]);
  }

  private refuseOverrides(opts: RunOptions): void {
    if (!opts.overrides?.size) return;
    this.checkNames([...opts.overrides.keys()]);
    throw overrideError();
  }

  private checkNames(names: readonly string[]): void {
    const unknown = names.filter((n) => !this.names.has(n));
    if (unknown.length > 0) {
      throw new UserError('E_UNKNOWN_TENSOR', `no tensor named ${unknown.map((u) => `"${u}"`).join(', ')} to override`, 'tensors are named by their loc names, as in capture');
    }
  }

  private bindInputs(inputs: Map<string, NdArray>): Map<number, NdArray> {
    const known = new Set(this.inputNames);
    const unknown = [...inputs.keys()].filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new UserError('E_UNKNOWN_INPUT', `no model input named ${unknown.map((u) => `"${u}"`).join(', ')}`, `the inputs are: ${this.inputNames.join(', ')}`);
    }
    const slots = new Map<number, NdArray>();
    for (const inp of this.plan.inputs) {
      const x = inputs.get(inp.name);
      const want = inp.type?.shape;
      if (!x) {
        throw new UserError('E_MISSING_INPUT', `input "${inp.name}" is missing${want ? ` (expected shape ${fmtShape(want)})` : ''}`, `the inputs are: ${this.inputNames.join(', ')}`);
      }
      if (want && !fits(x.shape, want)) {
        throw new UserError('E_INPUT_SHAPE', `input "${inp.name}" has shape ${fmtShape(x.shape)}, expected ${fmtShape(want)}`);
      }
      slots.set(inp.slot, toF32(x));
    }
    return slots;
  }
}

/** A shape matches a declared one (dims < 0 are unknown). */
const fits = (shape: readonly number[], want: readonly number[]): boolean =>
  want.length === shape.length && want.every((d, k) => d < 0 || d === shape[k]);

const overrideError = (): UserError =>
  new UserError(
    'E_ORT_OVERRIDE',
    'overrides replace tensors inside a run, which the ort backend (onnxruntime runs the graph whole) cannot do',
    'use backend "wasm" or "js" for runs with overrides',
  );
