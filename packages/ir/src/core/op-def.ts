// The shape of an op declaration and the registry dialects register into. Dialect tables
// (../dialects/top/ops.ts, later tpu tables in chip packages) declare ops with these specs;
// tools/gen-ops generates typed builders from them; the verifier checks ops against them.
import type { Attr } from './attributes.js';
import { dialectEnumCase } from './attributes.js';
import type { Op, Value } from './ir.js';

/**
 * Attribute types as TPU-MLIR's ODS names them: `i64` (I64Attr), `i32`/`si32`/`ui32` (I32Attr,
 * SI32Attr, UI32Attr), `f64` (F64Attr), `bool`, `string` (StrAttr), arrays (I64ArrayAttr,
 * I32ArrayAttr, F64ArrayAttr, StrArrayAttr), `enum` (AnyStrAttrOf: a string from a fixed list),
 * `any` (not checked).
 */
export type AttrTypeName =
  | 'i64'
  | 'i32'
  | 'si32'
  | 'ui32'
  | 'f64'
  | 'bool'
  | 'string'
  | 'i64[]'
  | 'i32[]'
  | 'f64[]'
  | 'string[]'
  | 'enum'
  | 'any';

export interface AttrSpec {
  readonly type: AttrTypeName;
  /** Value used when the op does not carry the attribute (and written by builders, see `emitDefault`). */
  readonly default?: Attr;
  /**
   * A default that depends on the op's other attributes (e.g. one stride per kernel axis); used
   * when `default` is absent. Returns undefined when it cannot tell.
   */
  readonly deriveDefault?: (attrs: ReadonlyMap<string, Attr>) => Attr | undefined;
  /** How to describe a derived default in docs ("1 per kernel axis"). */
  readonly defaultDoc?: string;
  /** May be absent from the op (TPU-MLIR's OptionalAttr or DefaultValuedAttr). */
  readonly optional: boolean;
  /**
   * Whether builders write the default when the caller leaves the attribute out. False for
   * TPU-MLIR's internal flags that its importer never writes, so our text matches its text.
   * Readers apply the default either way. Absent means true.
   */
  readonly emitDefault?: boolean;
  /** For `enum` (a string in TPU-MLIR's files) or a `#tpu<...>` attribute: allowed values. */
  readonly values?: readonly string[];
  readonly doc?: string;
}

export interface OperandSpec {
  readonly name: string;
  /** May be `top.None` (TPU-MLIR's AnyTensorOrNone). */
  readonly optional: boolean;
  /** Takes any number of values (Concat, Add, ...). */
  readonly variadic: boolean;
  /** Expected to come from a `top.Weight`. */
  readonly weight: boolean;
  /**
   * May be left out of the operand list altogether (TPU-MLIR's `Optional<...>`, e.g. Reshape's
   * `shapeT`). Absent means false.
   */
  readonly omittable?: boolean;
}

export interface ResultSpec {
  readonly name: string;
  readonly variadic: boolean;
  /** May have type `none` (TPU-MLIR's AnyTensorOrNone result, e.g. Arg's `values`). */
  readonly optional?: boolean;
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
  /**
   * Set when the op is built by a hand-written method rather than a generated builder (e.g.
   * `top.None` by `OpBuilder.none()`); names that method.
   */
  readonly handBuilt?: string;
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

// ---- defaults -----------------------------------------------------------------------------------

/** The attribute `name` of `op`, or its default (static or derived); undefined if neither. */
export function attrOrDefault(op: Op, def: OpDef, name: string): Attr | undefined {
  const present = op.attrs.get(name);
  if (present) return present;
  const spec = def.attrs[name];
  return spec ? defaultOf(spec, op.attrs) : undefined;
}

/** The default of an attribute given the op's other attributes. */
export function defaultOf(spec: AttrSpec, attrs: ReadonlyMap<string, Attr>): Attr | undefined {
  return spec.default ?? spec.deriveDefault?.(attrs);
}

// ---- operands by name ---------------------------------------------------------------------------

/**
 * Splits an op's operand list into the named groups of its definition: one value for a plain
 * operand, any number for a variadic one, none for an omittable operand left out. Returns a
 * message instead when the count cannot fit. With a variadic group, omittable operands count as
 * present (no TPU-MLIR op has both, and MLIR would need segment sizes to tell them apart).
 */
export function matchOperands(op: Op, def: OpDef): Map<string, Value[]> | string {
  const specs = def.operands;
  const n = op.operands.length;
  const variadic = specs.filter((s) => s.variadic);
  if (variadic.length > 1) return `cannot match operands: ${def.name} declares more than one variadic operand`;
  const fixed = specs.filter((s) => !s.variadic && !s.omittable).length;
  const omittable = specs.filter((s) => !s.variadic && s.omittable).length;
  let variadicCount = 0;
  let omittablePresent = omittable;
  if (variadic.length === 1) {
    if (n < fixed + omittable) return `expects at least ${fixed + omittable} operands, has ${n}`;
    variadicCount = n - fixed - omittable;
  } else {
    if (n < fixed || n > fixed + omittable) {
      const want = omittable === 0 ? `${fixed}` : `${fixed} to ${fixed + omittable}`;
      return `expects ${want} operands, has ${n}`;
    }
    omittablePresent = n - fixed;
  }
  const groups = new Map<string, Value[]>();
  let at = 0;
  for (const s of specs) {
    let count = 1;
    if (s.variadic) count = variadicCount;
    else if (s.omittable) count = omittablePresent-- > 0 ? 1 : 0;
    groups.set(s.name, op.operands.slice(at, at + count));
    at += count;
  }
  return groups;
}

// ---- checking an op against its definition -------------------------------------------------------

/**
 * Problems of `op` against its definition, one line each, without naming the op (the caller
 * does): operand and result counts, None where an operand is not optional, required attributes
 * missing, attributes of the wrong kind or outside an enum. Attributes the definition does not
 * know are not problems (TPU-MLIR versions add attributes freely): see `unknownAttrs`.
 * Returns [] when no definition is registered and none is given.
 */
export function checkOpAgainstDef(op: Op, def: OpDef | undefined = getOpDef(op.type)): string[] {
  if (!def) return [];
  const problems: string[] = [];
  const groups = matchOperands(op, def);
  if (typeof groups === 'string') {
    problems.push(groups);
  } else {
    for (const s of def.operands) {
      if (s.optional) continue;
      for (const v of groups.get(s.name) ?? []) {
        if (v.type.kind === 'none') problems.push(`operand '${s.name}' is none but is not optional`);
      }
    }
  }
  problems.push(...checkResults(op, def));
  for (const [name, spec] of Object.entries(def.attrs)) {
    const a = op.attrs.get(name);
    if (a === undefined) {
      if (!spec.optional) problems.push(`missing required attribute '${name}' (${spec.type})`);
      continue;
    }
    const wrong = attrKindProblem(spec, a);
    if (wrong) problems.push(`attribute '${name}' ${wrong}`);
  }
  return problems;
}

/** Names of attributes on `op` that its definition does not declare. */
export function unknownAttrs(op: Op, def: OpDef | undefined = getOpDef(op.type)): string[] {
  if (!def) return [];
  return [...op.attrs.keys()].filter((k) => !(k in def.attrs));
}

function checkResults(op: Op, def: OpDef): string[] {
  const fixed = def.results.filter((r) => !r.variadic).length;
  const hasVariadic = def.results.some((r) => r.variadic);
  const n = op.results.length;
  if (hasVariadic ? n < fixed : n !== fixed) {
    return [`expects ${hasVariadic ? 'at least ' : ''}${fixed} results, has ${n}`];
  }
  if (hasVariadic) return [];
  const problems: string[] = [];
  def.results.forEach((r, i) => {
    const t = op.results[i]!.type;
    if (t.kind === 'none' && !r.optional) problems.push(`result '${r.name}' is none but is not optional`);
  });
  return problems;
}

const INT_TYPES: ReadonlySet<AttrTypeName> = new Set(['i64', 'i32', 'si32', 'ui32']);

/** Why `a` does not fit `spec`, or undefined when it does. Integer widths are not checked. */
export function attrKindProblem(spec: AttrSpec, a: Attr): string | undefined {
  const t = spec.type;
  if (t === 'any') return undefined;
  if (INT_TYPES.has(t)) return a.kind === 'int' ? undefined : `should be an integer (${t}), is ${a.kind}`;
  if (t === 'f64') return a.kind === 'float' ? undefined : `should be a float (f64), is ${a.kind}`;
  if (t === 'bool') return a.kind === 'bool' ? undefined : `should be a bool, is ${a.kind}`;
  if (t === 'string' || t === 'enum') {
    // TPU-MLIR releases differ: most write enums as strings, some as dialect enum attributes
    // (`#top<round_mode HalfUp>`); both are read.
    const value = a.kind === 'string' ? a.value : t === 'enum' && a.kind === 'dialect' ? dialectEnumCase(a.body) : undefined;
    if (value === undefined) return `should be a string, is ${a.kind}`;
    if (t === 'enum' && spec.values && !spec.values.includes(value)) {
      return `is "${value}", expected one of ${spec.values.join(', ')}`;
    }
    return undefined;
  }
  return arrayKindProblem(t, a);
}

function arrayKindProblem(t: AttrTypeName, a: Attr): string | undefined {
  const want = t === 'f64[]' ? 'float' : t === 'string[]' ? 'string' : 'int';
  if (a.kind === 'dense-array') {
    const isFloat = a.element.kind === 'float';
    return (want === 'float') === isFloat && want !== 'string' ? undefined : `should be an array of ${want}s (${t})`;
  }
  if (a.kind !== 'array') return `should be an array (${t}), is ${a.kind}`;
  const bad = a.value.findIndex((e) => e.kind !== want);
  return bad < 0 ? undefined : `element ${bad} should be ${want === 'int' ? 'an' : 'a'} ${want}, is ${a.value[bad]!.kind}`;
}

// ---- shape inference ----------------------------------------------------------------------------

/**
 * Result shapes of `op` by its definition's shape function; undefined when the op has no
 * definition or no shape function, or when the shapes cannot be inferred (an input dim unknown,
 * a shape operand that is not a loaded constant). Inconsistent inputs throw (see ShapeError).
 * `top.Input` passes its argument's shape through, unknown dims included.
 */
export function inferShapes(op: Op): number[][] | undefined {
  const fn = getOpDef(op.type)?.inferShapes;
  const shapes = fn?.(op);
  return shapes?.map((s) => [...s]);
}
