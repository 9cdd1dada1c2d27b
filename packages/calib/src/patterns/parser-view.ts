// TPU-MLIR's MlirParser view of a top module (python/utils/mlir_parser.py), which the calibration
// tools that pick ops by name and type (ShapeOps, MatchPattern) work on: every op of the main
// function but top.None / top.Weight / func.return, in text order, top.Input included. An op is
// named by its first location name, except that a multi-result op with a fused location is named
// by the whole `fused["a", "b"]` string, so it is never found as a consumer (as in TPU-MLIR).
// Operands are referred to by the tensor names of the results they use.
import { locName, type Location, type Module, type Op } from '@tpu-quant/ir';

export interface ParsedOp {
  readonly name: string | undefined;
  readonly type: string;
  /** Tensor names of the results (the location's names). */
  readonly outputs: readonly string[];
  /** Tensor names of the operands produced by listed ops (function arguments and top.None excluded). */
  readonly opds: readonly string[];
}

export interface ParserView {
  readonly ops: readonly ParsedOp[];
  /** get_next_op_by_op_name: ops having the tensor as an operand, once each, in op order. */
  nextOf(name: string): readonly string[];
  /** get_pre_op_by_op_name: the op's operands that are outputs of listed ops. */
  preOf(name: string): readonly string[];
  /** get_op_type_by_op_name (the first op of that name). */
  typeOf(name: string): string | undefined;
  /** Tensor names of the values @main returns. */
  readonly networkOutputs: ReadonlySet<string>;
}

export function parserView(module: Module): ParserView {
  const ops = parseOps(module);
  const outputNames = new Set(ops.flatMap((o) => o.outputs));
  const typeByName = new Map<string, string>();
  for (const o of ops) if (o.name !== undefined && !typeByName.has(o.name)) typeByName.set(o.name, o.type);
  const next = new Map<string, string[]>();
  const pre = new Map<string, string[]>();
  for (const o of ops) {
    for (const t of new Set(o.opds)) {
      if (o.name !== undefined && outputNames.has(o.name)) push(next, t, o.name);
    }
    if (o.name !== undefined) for (const t of o.opds) if (outputNames.has(t)) push(pre, o.name, t);
  }
  return {
    ops,
    nextOf: (n) => next.get(n) ?? [],
    preOf: (n) => pre.get(n) ?? [],
    typeOf: (n) => typeByName.get(n),
    networkOutputs: returnedNames(module),
  };
}

function parseOps(module: Module): ParsedOp[] {
  const listed = module.main.ops.filter((o) => o.type !== 'top.None' && o.type !== 'top.Weight' && o.type !== 'func.return');
  const outputsOf = new Map<Op, string[]>(listed.map((o) => [o, locNames(o.loc)]));
  return listed.map((o) => {
    const outputs = outputsOf.get(o)!;
    const opds: string[] = [];
    for (const v of o.operands) {
      const names = v.producer ? outputsOf.get(v.producer) : undefined;
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

function returnedNames(module: Module): Set<string> {
  const names = new Set<string>();
  for (const v of module.main.outputs) if (v.name !== undefined) names.add(v.name);
  return names;
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
