// Sessions: a module planned once for a backend, then run on inputs as often as needed.
import type { Module, NdArray, Op } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { Plan } from './plan.js';
import { buildPlan, loadConstants } from './plan.js';
import type { Backend } from './registry.js';
import { fmtShape, toF32 } from './tensor.js';
import './kernels/js/index.js';

export interface SessionOptions {
  readonly backend?: Backend;
}

export interface RunOptions {
  /** Keep these tensors (by name), or every activation, in `RunResult.tensors`. */
  readonly capture?: 'all' | readonly string[];
  /** Called with every activation as it is produced (statistics without holding them all). */
  readonly observer?: (name: string, value: NdArray, op: Op) => void;
}

export interface RunResult {
  /** Keyed by the names of the values @main returns. */
  readonly outputs: Map<string, NdArray>;
  /** Captured tensors by name, in execution order. */
  readonly tensors: Map<string, NdArray>;
}

export interface Session {
  readonly inputNames: string[];
  readonly outputNames: string[];
  run(inputs: Map<string, NdArray> | Record<string, NdArray>, opts?: RunOptions): Promise<RunResult>;
}

export async function createSession(module: Module, opts: SessionOptions = {}): Promise<Session> {
  const backend = opts.backend ?? 'js';
  const plan = buildPlan(module, backend);
  const weights = loadConstants(module, plan, toF32);
  const constants = new Map<number, NdArray | undefined>();
  for (const s of plan.steps) {
    if (!s.constant) continue;
    const out = s.kernel.run({ op: s.op, inputs: [], outputTypes: s.outputTypes, weights });
    s.outputs.forEach((slot, i) => constants.set(slot, out[i]));
  }
  return new JsSession(plan, constants, weights);
}

class JsSession implements Session {
  readonly inputNames: string[];
  readonly outputNames: string[];

  constructor(
    private readonly plan: Plan,
    private readonly constants: Map<number, NdArray | undefined>,
    private readonly weights: Map<string, NdArray>,
  ) {
    this.inputNames = plan.inputs.map((i) => i.name);
    this.outputNames = plan.outputs.map((o) => o.name);
  }

  async run(given: Map<string, NdArray> | Record<string, NdArray>, opts: RunOptions = {}): Promise<RunResult> {
    const inputs = given instanceof Map ? given : new Map(Object.entries(given));
    const slots = new Array<NdArray | undefined>(this.plan.slotCount);
    for (const [slot, v] of this.constants) slots[slot] = v;
    this.bindInputs(inputs, slots);

    const all = opts.capture === 'all';
    const wanted = new Set(all ? [] : (opts.capture ?? []));
    const tensors = new Map<string, NdArray>();
    for (const step of this.plan.steps) {
      if (step.constant) continue;
      const args = step.inputs.map((s) => slots[s]);
      const out = step.kernel.run({ op: step.op, inputs: args, outputTypes: step.outputTypes, weights: this.weights });
      step.outputs.forEach((slot, i) => {
        const v = out[i];
        checkShape(step.op, i, v, step.outputTypes[i]?.shape);
        slots[slot] = v;
        const name = step.names[i];
        if (v === undefined || name === undefined) return;
        if (all || wanted.has(name)) tensors.set(name, v);
        opts.observer?.(name, v, step.op);
      });
      for (const s of step.freeAfter) slots[s] = undefined;
    }
    const outputs = new Map<string, NdArray>();
    for (const o of this.plan.outputs) outputs.set(o.name, slots[o.slot]!);
    return { outputs, tensors };
  }

  private bindInputs(inputs: Map<string, NdArray>, slots: (NdArray | undefined)[]): void {
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
      slots[inp.slot] = toF32(x);
    }
  }
}

/** A kernel whose result disagrees with the IR's static type is a bug (in the kernel or the IR). */
function checkShape(op: Op, i: number, v: NdArray | undefined, want: readonly number[] | undefined): void {
  if (!want || !v) return;
  if (want.length !== v.shape.length || want.some((d, k) => d >= 0 && d !== v.shape[k])) {
    throw new Error(`${op.type} "${op.name ?? '?'}": result ${i} has shape ${fmtShape(v.shape)}, the IR says ${fmtShape(want)}`);
  }
}
