// Shape-op detection: TPU-MLIR's ShapeOps (python/calibration/shape_ops.py, calibration spec
// §10.1). Ops that compute shapes (top.Shape / top.Size and what only moves their values around)
// should stay in float; run_calibration lists them in `<module>_shape_ops` for the user to merge
// into a qtable.
//
// The search works on MlirParser's view of the main function, names included: ops are every op
// but top.None / top.Weight / func.return; an op is named by its first location name, except that
// a multi-result op with a fused location is named by the whole `fused["a", "b"]` string, so it
// is never found as a consumer or by type (as in TPU-MLIR). Operands are referred to by the tensor
// names of the results they use.
import { locName, type Location, type Module, type Op } from '@tpu-quant/ir';

const GENERATORS = new Set(['top.Shape', 'top.Size']);
const CONSUMERS = new Set(['top.Reshape', 'top.Interp']);
const TRANSPARENT = new Set(['top.Concat', 'top.Slice', 'top.Tile', 'top.Split', 'top.Pack', 'top.Repeat']);

interface ParsedOp {
  readonly name: string | undefined;
  readonly type: string;
  /** Tensor names of the results (the location's names). */
  readonly outputs: readonly string[];
  /** Tensor names of the operands produced by listed ops (function arguments and top.None excluded). */
  readonly opds: readonly string[];
}

/**
 * Names of the shape ops of `module`'s main function, in the order TPU-MLIR's fixed-point search
 * adds them (seeds first, in op order). Seeds are top.Shape / top.Size; repeated until nothing
 * changes: (1) forward from each shape op that is not a network output, a consumer that is a
 * network output joins, Reshape / Interp stop, transparent ops (Concat, Slice, Tile, Split, Pack,
 * Repeat) join; (2) backward, producers that are transparent or a top.Input join; (3) a consumer
 * all of whose producers are shape ops joins. Lists grow while they are walked, as Python's do.
 */
export function findShapeOps(module: Module): string[] {
  const ops = parseView(module);
  const outputNames = new Set(ops.flatMap((o) => o.outputs));
  const typeByName = new Map<string, string>();
  for (const o of ops) if (o.name !== undefined && !typeByName.has(o.name)) typeByName.set(o.name, o.type);
  const inputs = new Set(ops.filter((o) => o.type === 'top.Input' && o.name !== undefined).map((o) => o.name!));
  const networkOutputs = returnedNames(module);

  // get_next_op_by_op_name / get_pre_op_by_op_name, precomputed.
  const next = new Map<string, string[]>();
  const pre = new Map<string, string[]>();
  for (const o of ops) {
    for (const t of new Set(o.opds)) {
      if (o.name !== undefined && outputNames.has(o.name)) push(next, t, o.name);
    }
    if (o.name !== undefined) for (const t of o.opds) if (outputNames.has(t)) push(pre, o.name, t);
  }
  const nextOf = (n: string): readonly string[] => next.get(n) ?? [];
  const preOf = (n: string): readonly string[] => pre.get(n) ?? [];
  const isA = (set: ReadonlySet<string>) => (n: string): boolean => set.has(typeByName.get(n) ?? '');
  const isGenerator = isA(GENERATORS);
  const isConsumer = isA(CONSUMERS);
  const isTransparent = isA(TRANSPARENT);

  const shape: string[] = [];
  const member = new Set<string>();
  const add = (n: string): void => {
    shape.push(n);
    member.add(n);
  };
  for (const o of ops) if (o.name !== undefined && isGenerator(o.name)) add(o.name);

  for (;;) {
    let changed = false;
    for (let i = 0; i < shape.length; i++) {
      const op = shape[i]!;
      if (networkOutputs.has(op)) continue;
      for (const c of nextOf(op)) {
        if (member.has(c)) continue;
        if (networkOutputs.has(c) || (!isConsumer(c) && isTransparent(c))) {
          add(c);
          changed = true;
        }
      }
    }
    for (let i = 0; i < shape.length; i++) {
      for (const p of preOf(shape[i]!)) {
        if (member.has(p) || isGenerator(p)) continue;
        if (isTransparent(p) || inputs.has(p)) {
          add(p);
          changed = true;
        }
      }
    }
    for (let i = 0; i < shape.length; i++) {
      for (const c of nextOf(shape[i]!)) {
        if (member.has(c)) continue;
        if (preOf(c).every((p) => member.has(p))) {
          add(c);
          changed = true;
        }
      }
    }
    if (!changed) return shape;
  }
}

function parseView(module: Module): ParsedOp[] {
  const fn = module.main;
  const listed = fn.ops.filter((o) => o.type !== 'top.None' && o.type !== 'top.Weight' && o.type !== 'func.return');
  const outputsOf = new Map<Op, string[]>(listed.map((o) => [o, locNames(o.loc)]));
  return listed.map((o) => {
    const outputs = outputsOf.get(o)!;
    const opds: string[] = [];
    for (const v of o.operands) {
      const producer = v.producer;
      const names = producer ? outputsOf.get(producer) : undefined;
      if (names === undefined || names.length === 0) continue;
      opds.push(names[Math.min(v.index, names.length - 1)]!);
    }
    return { name: pyOpName(o, outputs), type: o.type, outputs, opds };
  });
}

/** MlirParser's Operation.name. */
function pyOpName(op: Op, outputs: readonly string[]): string | undefined {
  if (op.results.length > 1 && op.loc.kind === 'fused') return `fused[${outputs.map((n) => `"${n}"`).join(', ')}]`;
  return outputs[0];
}

function locNames(loc: Location): string[] {
  if (loc.kind === 'fused') return loc.locs.map((l) => locName(l)).filter((n): n is string => n !== undefined);
  const n = locName(loc);
  return n === undefined ? [] : [n];
}

/** Tensor names of the values @main returns. */
function returnedNames(module: Module): Set<string> {
  const names = new Set<string>();
  for (const v of module.main.outputs) {
    const n = v.name;
    if (n !== undefined) names.add(n);
  }
  return names;
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
