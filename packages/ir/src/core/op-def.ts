// The shape of an op declaration and the registry dialects register into. Dialect tables
// (../dialects/top/ops.ts, later tpu tables in chip packages) declare ops with these specs;
// tools/gen-ops generates typed builders from them; the verifier checks ops against them.
import type { Attr } from './attributes.js';
import type { Op } from './ir.js';

export type AttrTypeName =
  | 'i64'
  | 'i32'
  | 'si32'
  | 'f64'
  | 'bool'
  | 'string'
  | 'i64[]'
  | 'f64[]'
  | 'string[]'
  | 'enum'
  | 'any';

export interface AttrSpec {
  readonly type: AttrTypeName;
  /** Value the importer writes when the source says nothing. */
  readonly default?: Attr;
  /** May be absent from the op (TPU-MLIR's OptionalAttr or DefaultValuedAttr). */
  readonly optional: boolean;
  /** For `enum` (a string in TPU-MLIR's files) or a `#tpu<...>` attribute: allowed values. */
  readonly values?: readonly string[];
  readonly doc?: string;
}

export interface OperandSpec {
  readonly name: string;
  /** May be `top.None`. */
  readonly optional: boolean;
  /** Takes any number of values (Concat, Add, ...). */
  readonly variadic: boolean;
  /** Expected to come from a `top.Weight`. */
  readonly weight: boolean;
}

export interface ResultSpec {
  readonly name: string;
  readonly variadic: boolean;
}

/** Infers result shapes from operand shapes and attributes; undefined when it cannot. */
export type ShapeFn = (op: Op) => (readonly number[])[] | undefined;

export interface OpDef {
  /** `top.Conv` */
  readonly name: string;
  readonly summary: string;
  readonly operands: readonly OperandSpec[];
  readonly results: readonly ResultSpec[];
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  readonly inferShapes?: ShapeFn;
}

const registry = new Map<string, OpDef>();

/** Registers op definitions; a second definition of the same name is a bug. */
export function registerOpDefs(defs: Iterable<OpDef>): void {
  for (const d of defs) {
    const prev = registry.get(d.name);
    if (prev && prev !== d) throw new Error(`op ${d.name} is defined twice`);
    registry.set(d.name, d);
  }
}

export function getOpDef(name: string): OpDef | undefined {
  return registry.get(name);
}

export function listOpDefs(dialect?: string): OpDef[] {
  const all = [...registry.values()];
  return dialect === undefined ? all : all.filter((d) => d.name.startsWith(`${dialect}.`));
}

/**
 * Problems of `op` against its declaration, one line each (operand counts; attribute presence).
 * (Placeholder by the lead; the op-table work replaces it with the full check.)
 */
export function checkOpAgainstDef(op: Op, def: OpDef): string[] {
  const problems: string[] = [];
  const fixed = def.operands.filter((o) => !o.variadic);
  const required = fixed.filter((o) => !o.optional).length;
  const variadic = def.operands.some((o) => o.variadic);
  if (op.operands.length < required || (!variadic && op.operands.length > fixed.length)) {
    problems.push(`has ${op.operands.length} operands, expected ${variadic ? `at least ${required}` : fixed.length}`);
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    if (!spec.optional && spec.default === undefined && !op.attrs.has(name)) problems.push(`attribute ${name} is missing`);
  }
  return problems;
}
