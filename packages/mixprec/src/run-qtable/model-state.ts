// One lowered model and what run_qtable keeps of it: every activation of every sample (packed,
// see tensor-store.ts), the tensors' declared types, and a signature per op so that a re-lowered
// (mixed) model can be compared op by op with the one its cache came from.
import { ndarray, printType, type Module, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { createSession, type Session } from '@tpu-quant/runtime';
import { packTensor, unpackTensor } from './tensor-store.js';

const NOT_RUN = new Set(['top.Weight', 'top.None', 'func.return']);

/** Name -> declared tensor type of every op result. */
export function typesOf(module: Module): Map<string, TensorType> {
  const types = new Map<string, TensorType>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name && r.type.kind === 'tensor') types.set(r.name, r.type);
  return types;
}

/** What decides an op's result: its type, result types and the names it reads. */
function signature(op: Op): string {
  return `${op.type}|${op.results.map((r) => printType(r.type)).join(',')}|${op.operands.map((v) => v.name ?? '').join(',')}`;
}

export function signaturesOf(module: Module): Map<string, string> {
  const s = new Map<string, string>();
  for (const op of module.main.ops) if (!NOT_RUN.has(op.type) && op.name !== undefined) s.set(op.name, signature(op));
  return s;
}

/**
 * The ops of `next` to re-run from when its cache comes from a model with signatures `prev`: those
 * that are new or differ (the re-lowered op and its consumers, the casts around them). Their
 * downstream cone is what runFrom executes; everything else reads the cache.
 */
export function changedOps(next: Module, prev: ReadonlyMap<string, string>): string[] {
  const roots: string[] = [];
  for (const op of next.main.ops) {
    if (NOT_RUN.has(op.type) || op.type === 'top.Input' || op.name === undefined) continue;
    if (prev.get(op.name) !== signature(op)) roots.push(op.name);
  }
  return roots;
}

/** The names of the ops reading `name` in `module` (the function's return aside). */
export function consumerNames(module: Module): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const op of module.main.ops) {
    for (const r of op.results) {
      if (!r.name) continue;
      const users: string[] = [];
      for (const u of r.uses) if (u.op.type !== 'func.return' && u.op.name !== undefined && !users.includes(u.op.name)) users.push(u.op.name);
      out.set(r.name, users);
    }
  }
  return out;
}

/** A model's activations of every sample, packed, with the types that read them back. */
export class ModelCache {
  readonly acts: Map<string, NdArray>[];
  types: Map<string, TensorType>;
  sigs: Map<string, string>;
  module: Module;

  constructor(module: Module, acts: Map<string, NdArray>[]) {
    this.module = module;
    this.acts = acts;
    this.types = typesOf(module);
    this.sigs = signaturesOf(module);
  }

  /** Tensor `name` of sample `s` as f32 (dequantized, widened); undefined when not cached. */
  f32(s: number, name: string): NdArray | undefined {
    const a = this.acts[s]!.get(name);
    return a ? unpackTensor(a, this.types.get(name)) : undefined;
  }

  /** The model's outputs of sample `s` as f32, in the function's result order. */
  outputs(s: number): NdArray[] {
    return this.module.main.outputs.map((v) => this.f32(s, v.name ?? '')!);
  }

  /** Takes `module` with the tensors its cone run produced (the rest of the cache stays valid). */
  adopt(module: Module, cone: readonly Map<string, NdArray>[]): void {
    this.module = module;
    this.types = typesOf(module);
    this.sigs = signaturesOf(module);
    cone.forEach((t, s) => {
      for (const [name, a] of t) this.acts[s]!.set(name, a);
    });
  }
}

/** Packs a run's captured tensors (and the inputs) by the module's types. */
export function packRun(types: ReadonlyMap<string, TensorType>, tensors: ReadonlyMap<string, NdArray>, extra?: ReadonlyMap<string, NdArray>): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const [k, v] of extra ?? []) out.set(k, v);
  for (const [name, a] of tensors) out.set(name, packTensor(a, types.get(name)));
  return out;
}

/**
 * One run (whole, or the cone downstream of `from.roots` over `from.cached`) with every activation
 * packed as it is produced — what packRun makes of a capture: 'all' run (the inputs first when
 * given, then execution order, then outputs not produced by the run), but by an observer: the
 * session reuses its buffers instead of holding a fresh one per tensor, and nothing is copied twice.
 */
export async function runPacked(
  session: Session, types: ReadonlyMap<string, TensorType>,
  from: { readonly inputs: ReadonlyMap<string, NdArray> } | { readonly roots: readonly string[]; readonly cached: ReadonlyMap<string, NdArray> },
): Promise<Map<string, NdArray>> {
  const out = new Map<string, NdArray>();
  const keep = (name: string, v: NdArray): void => {
    const p = packTensor(v, types.get(name));
    // unpacked (an f32 type): the observed memory is the session's to reuse, so copy it
    out.set(name, p === v ? ndarray(v.dtype, v.shape, v.data.slice()) : p);
  };
  const observer = (name: string, v: NdArray): void => keep(name, v);
  let outputs: Map<string, NdArray>;
  if ('inputs' in from) {
    for (const [k, v] of from.inputs) out.set(k, v);
    outputs = (await session.run(new Map(from.inputs), { observer })).outputs;
  } else {
    outputs = (await session.runFrom(from.roots, from.cached as Map<string, NdArray>, { observer })).outputs;
  }
  for (const [name, v] of outputs) if (!out.has(name) || ('inputs' in from && from.inputs.has(name))) keep(name, v);
  return out;
}

/** Every sample through `module` once, capturing everything; the session is closed after. */
export async function runAll(module: Module, samples: readonly ReadonlyMap<string, NdArray>[], onSample?: () => void): Promise<Map<string, NdArray>[]> {
  const session: Session = await createSession(module);
  const types = typesOf(module);
  try {
    const acts: Map<string, NdArray>[] = [];
    for (const inputs of samples) {
      acts.push(await runPacked(session, types, { inputs }));
      onSample?.();
    }
    return acts;
  } finally {
    await session.dispose();
  }
}

/** Every sample through `module`, keeping only `names` (packed by the module's types). */
export async function runCaptured(module: Module, samples: readonly ReadonlyMap<string, NdArray>[], names: readonly string[], onSample?: () => void): Promise<Map<string, NdArray>[]> {
  const session = await createSession(module);
  const types = typesOf(module);
  try {
    const acts: Map<string, NdArray>[] = [];
    for (const inputs of samples) {
      const r = await session.run(new Map(inputs), { capture: names });
      acts.push(packRun(types, new Map([...r.tensors, ...r.outputs])));
      onSample?.();
    }
    return acts;
  } finally {
    await session.dispose();
  }
}
