// The execution plan: the ops of @main in function order, with func.call bodies inlined, every
// value given a slot, each op's kernel looked up once, and for each step the slots whose last
// use it is (freed after the step unless they are outputs or constants).
import type { Func, Module, NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import { selectKernel } from './backends.js';
import type { Backend, Kernel } from './registry.js';

export interface Step {
  readonly op: Op;
  readonly kernel: Kernel;
  /** The backend of `kernel` (js when the session's backend has no kernel fitting this op). */
  readonly backend: Backend;
  /** Operand slots. */
  readonly inputs: readonly number[];
  /** Result slots. */
  readonly outputs: readonly number[];
  /** Result tensor names (loc names). */
  readonly names: readonly (string | undefined)[];
  readonly outputTypes: readonly (TensorType | undefined)[];
  /** Weight and None: run once when the session is created. */
  readonly constant: boolean;
  /** Slots whose last use is this step. */
  freeAfter: number[];
}

export interface Plan {
  readonly steps: Step[];
  readonly slotCount: number;
  /** Input name → the slot of the main function argument it reads, and its declared type. */
  readonly inputs: { name: string; slot: number; type: TensorType | undefined }[];
  readonly outputs: { name: string; slot: number }[];
}

const MAX_CALL_DEPTH = 64;

export function buildPlan(module: Module, backend: Backend): Plan {
  const main = module.main;
  const steps: Step[] = [];
  const missing = new Set<string>();
  let slotCount = 0;
  const newSlot = (): number => slotCount++;

  const argSlots = main.args.map(() => newSlot());
  const emit = (f: Func, args: readonly number[], depth: number): number[] => {
    if (depth > MAX_CALL_DEPTH) throw new UserError('E_CALL_DEPTH', `calls nest deeper than ${MAX_CALL_DEPTH} (recursive @${f.name}?)`);
    const slotOf = new Map<Value, number>();
    f.args.forEach((a, i) => slotOf.set(a, args[i]!));
    const read = (v: Value): number => {
      const s = slotOf.get(v);
      if (s === undefined) throw new Error(`@${f.name}: a value is used before it is defined (run sort-topologically)`);
      return s;
    };
    for (const op of f.ops) {
      if (op.type === 'func.return') return op.operands.map(read);
      if (op.type === 'func.call') {
        const callee = op.attr('callee');
        const target = callee?.kind === 'symbol' ? module.getFunc(callee.value) : undefined;
        if (!target) throw new UserError('E_BAD_CALL', `call in @${f.name} to an unknown function`, 'check the module with `tpu-quant opt --pass-pipeline verify`');
        const rets = emit(target, op.operands.map(read), depth + 1);
        op.results.forEach((r, i) => slotOf.set(r, rets[i]!));
        continue;
      }
      const kernel = selectKernel(op, backend);
      if (!kernel) missing.add(op.type);
      const outputs = op.results.map((r) => {
        const s = newSlot();
        slotOf.set(r, s);
        return s;
      });
      steps.push({
        op,
        kernel: kernel!,
        backend: kernel?.backend ?? backend,
        inputs: op.operands.map(read),
        outputs,
        names: op.results.map((r) => r.name),
        outputTypes: op.results.map((r) => (r.type.kind === 'tensor' ? r.type : undefined)),
        constant: op.type === 'top.Weight' || op.type === 'top.None',
        freeAfter: [],
      });
    }
    return [];
  };
  const mainOuts = emit(main, argSlots, 0);
  if (missing.size > 0) {
    const list = [...missing].sort();
    throw new UserError(
      'E_UNSUPPORTED_OP',
      `no ${backend === 'js' ? '' : `${backend} or `}js kernel for ${list.length} op type${list.length > 1 ? 's' : ''}: ${list.join(', ')}`,
      'these ops cannot run in the reference executor yet',
    );
  }

  const inputs = steps
    .filter((s) => s.op.type === 'top.Input')
    .map((s, i) => ({ name: s.names[0] ?? `input${i}`, slot: s.inputs[0]!, type: s.outputTypes[0] }));
  const outputs = main.outputs.map((v, i) => ({ name: v.name ?? `output${i}`, slot: mainOuts[i]! }));
  markLastUses(steps, new Set(mainOuts));
  return { steps, slotCount, inputs, outputs };
}

/** For every slot, the step that reads it last frees it; outputs and constants stay. */
function markLastUses(steps: Step[], keep: ReadonlySet<number>): void {
  const constant = new Set<number>();
  const last = new Map<number, number>();
  steps.forEach((s, i) => {
    if (s.constant) s.outputs.forEach((o) => constant.add(o));
    for (const slot of s.inputs) last.set(slot, i);
    // a result nobody reads is freed right after it is made
    for (const slot of s.outputs) if (!last.has(slot)) last.set(slot, i);
  });
  for (const [slot, i] of last) {
    if (keep.has(slot) || constant.has(slot)) continue;
    steps[i]!.freeAfter.push(slot);
  }
}

/** Weight data for every top.Weight of the plan, converted by `convert`; all missing names at once. */
export function loadConstants(
  module: Module,
  plan: Plan,
  convert: (x: NdArray) => NdArray,
): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  const missing: string[] = [];
  for (const s of plan.steps) {
    if (s.op.type !== 'top.Weight') continue;
    const name = s.names[0];
    const data = name === undefined ? undefined : module.weights.get(name);
    if (data === undefined) missing.push(name ?? '(unnamed)');
    else out.set(name!, convert(data));
  }
  if (missing.length > 0) {
    const file = module.attrs.get('module.weight_file');
    const where = file?.kind === 'string' ? ` (${file.value})` : '';
    throw new UserError(
      'E_MISSING_WEIGHT',
      `${missing.length} weight${missing.length > 1 ? 's are' : ' is'} not loaded: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`,
      `load the weight npz${where} into module.weights first: module.weights = await loadNpz(path)`,
    );
  }
  return out;
}
