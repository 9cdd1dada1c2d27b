// Rewrite utilities over the graph: ordering, cloning, replacing and erasing ops.
import { VerifyError } from './errors.js';
import { Func, Module, Op, type Value } from './ir.js';

/**
 * Orders a function's ops so every op comes after the producers of its operands, keeping the
 * existing order wherever it is already valid (a stable Kahn sort) and the terminator last.
 * ONNX graphs are not always sorted; TPU-MLIR's files always are.
 */
export function sortTopologically(f: Func): void {
  const ops = f.ops.filter((o) => o.type !== 'func.return');
  const ret = f.returnOp;
  const position = new Map<Op, number>(ops.map((o, i) => [o, i]));
  const pending = new Map<Op, number>();
  const consumers = new Map<Op, Op[]>();
  for (const op of ops) {
    const producers = new Set<Op>();
    for (const v of op.operands) {
      const p = v.producer;
      if (p && p !== op && position.has(p)) producers.add(p);
    }
    pending.set(op, producers.size);
    for (const p of producers) {
      const list = consumers.get(p) ?? [];
      list.push(op);
      consumers.set(p, list);
    }
  }
  // A min-heap on the original position keeps the order stable.
  const ready = new MinHeap<Op>((a, b) => position.get(a)! - position.get(b)!);
  for (const op of ops) if (pending.get(op) === 0) ready.push(op);
  const order: Op[] = [];
  while (ready.size > 0) {
    const op = ready.pop()!;
    order.push(op);
    for (const c of consumers.get(op) ?? []) {
      const left = pending.get(c)! - 1;
      pending.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  if (order.length !== ops.length) {
    const stuck = ops.find((o) => pending.get(o)! > 0)!;
    throw new VerifyError(
      `function @${f.name} has a cycle through ${stuck.type} "${stuck.name ?? '?'}"`,
      'a graph must be acyclic; check the model for a loop between these tensors',
    );
  }
  if (ret) order.push(ret);
  f.reorder(order);
}

/**
 * Copies `op` (not inserted anywhere). Operands are looked up in `mapping` (old value -> new
 * value) and kept as they are when absent; the new results are added to `mapping`.
 */
export function cloneOp(op: Op, mapping: Map<Value, Value> = new Map()): Op {
  const copy = new Op(op.type, {
    operands: op.operands.map((v) => mapping.get(v) ?? v),
    resultTypes: op.results.map((r) => r.type),
    attrs: op.attrs,
    loc: op.loc,
  });
  op.results.forEach((r, i) => mapping.set(r, copy.result(i)));
  return copy;
}

/** Deep-copies a function; calls inside it keep referring to functions by name. */
export function cloneFunc(f: Func): Func {
  const copy = new Func(f.name, { resultTypes: f.resultTypes, attrs: f.attrs, loc: f.loc });
  copy.visibility = f.visibility;
  const mapping = new Map<Value, Value>();
  for (const a of f.args) mapping.set(a, copy.addArgument(a.type, a.loc));
  for (const op of f.ops) copy.append(cloneOp(op, mapping));
  return copy;
}

/**
 * Deep-copies the graph. Weight arrays are shared, not copied: weight data is treated as
 * immutable everywhere (a pass that changes weights stores a new array under the name).
 */
export function cloneModule(m: Module): Module {
  const copy = new Module(m.name, m.attrs);
  copy.loc = m.loc;
  copy.weights = new Map(m.weights);
  for (const f of m.funcs) copy.addFunc(cloneFunc(f));
  return copy;
}

/** Replaces every use of `op`'s results by `replacements` (one per result) and erases `op`. */
export function replaceOp(op: Op, replacements: readonly Value[]): void {
  if (replacements.length !== op.results.length) {
    throw new Error(`replaceOp: ${op.type} has ${op.results.length} results, got ${replacements.length} replacements`);
  }
  op.results.forEach((r, i) => r.replaceAllUsesWith(replacements[i]!));
  op.erase();
}

/** Ops that must stay even when nothing uses their results. */
function isRoot(op: Op): boolean {
  return op.type === 'func.return' || op.type === 'func.call' || op.type === 'top.Input' || op.results.length === 0;
}

/** Erases ops whose results are all unused, to a fixpoint. Returns how many were erased. */
export function eraseDeadOps(f: Func, keep: (op: Op) => boolean = () => false): number {
  let total = 0;
  // One reverse sweep reaches the fixpoint for a sorted function; unsorted ones may need more.
  for (;;) {
    let erased = 0;
    for (let i = f.ops.length - 1; i >= 0; i--) {
      const op = f.ops[i]!;
      if (isRoot(op) || keep(op) || op.results.some((r) => r.hasUses)) continue;
      op.erase();
      erased++;
    }
    total += erased;
    if (erased === 0) return total;
  }
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
