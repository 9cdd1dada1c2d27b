// The op-table DSL, shared by every dialect: `top` here, `tpu` in the chip packages. An op is
// one `op({...})` entry (operands, results, attributes with TPU-MLIR's defaults, a one-line
// summary, a shape function); `defineDialect` turns a table of entries into registered OpDefs,
// and tools/gen-ops turns the same table into typed builders and attribute readers.
//
// Attribute presence follows TPU-MLIR's ODS:
//   i64()                         required (I64Attr): builders demand it
//   i64(1)                        DefaultValuedAttr: may be absent; builders write 1 when omitted
//   optional(i64())               OptionalAttr: may be absent, no default
//   optional(bool(false))         DefaultValuedAttr TPU-MLIR's importer never writes: may be
//                                 absent, builders leave it out, readers still see `false`
//   required(i64Array([1, 1]))    required in TPU-MLIR, but builders fill a conventional value
import type { Attr } from '../core/attributes.js';
import type { AttrSpec, AttrTypeName, OpDef, OperandSpec, ResultSpec, ShapeFn } from '../core/op-def.js';
import { encodeAttr } from './attr-codec.js';
import { ShapeContext } from './shape-context.js';

// ---- operands and results ----

export interface OperandDecl {
  readonly kind: 'operand';
  readonly weight: boolean;
  readonly optional: boolean;
  readonly variadic: boolean;
  readonly omittable: boolean;
}

/** An activation operand (or a result). */
export function tensor(): OperandDecl {
  return { kind: 'operand', weight: false, optional: false, variadic: false, omittable: false };
}

/** An operand normally produced by `top.Weight` (filters, biases, tables). */
export function weight(): OperandDecl {
  return { ...tensor(), weight: true };
}

/** Any number of operands (or results) in one group: Concat's inputs, Split's outputs. */
export function variadic(d: OperandDecl): OperandDecl {
  return { ...d, variadic: true };
}

/** An operand TPU-MLIR may leave out of the operand list entirely (`Optional<AnyTensor>`). */
export function omittable(d: OperandDecl): OperandDecl {
  return { ...d, omittable: true };
}

// ---- attributes ----

export interface AttrDecl extends AttrSpec {
  readonly kind: 'attr';
}

/** A default computed from the op's other attributes (see `perAxis`). */
export interface DerivedDefault {
  readonly kind: 'derived';
  readonly derive: (attrs: ReadonlyMap<string, Attr>) => Attr | undefined;
  readonly doc: string;
}

/**
 * `value` repeated `per` times for each entry of the array attribute `of` (default
 * `kernel_shape`): strides and dilations are `perAxis(1)`, pads `perAxis(0, 2)`; right for 1-D,
 * 2-D and 3-D ops alike.
 */
export function perAxis(value: number, per = 1, of = 'kernel_shape'): DerivedDefault {
  return {
    kind: 'derived',
    doc: per === 1 ? `${value} per ${of} entry` : `${value}, ${per} per ${of} entry`,
    derive: (attrs) => {
      const ref = attrs.get(of);
      if (ref?.kind !== 'array') return undefined;
      return encodeAttr({ type: 'i64[]' }, new Array<number>(ref.value.length * per).fill(value), of);
    },
  };
}

type Default<T> = T | DerivedDefault | undefined;

function attr(type: AttrTypeName, dflt: Default<unknown>, values?: readonly string[]): AttrDecl {
  const base = { kind: 'attr' as const, type, optional: false, ...(values ? { values } : {}) };
  if (dflt === undefined) return base;
  if (typeof dflt === 'object' && dflt !== null && (dflt as DerivedDefault).kind === 'derived') {
    const d = dflt as DerivedDefault;
    return { ...base, optional: true, deriveDefault: d.derive, defaultDoc: d.doc };
  }
  return { ...base, optional: true, default: encodeAttr({ type, ...(values ? { values } : {}) }, dflt, `default of a ${type} attribute`) };
}

/** I64Attr; with a value, DefaultValuedAttr. */
export const i64 = (d?: Default<number>): AttrDecl => attr('i64', d);
/** I32Attr (printed `: i32`). */
export const i32 = (d?: Default<number>): AttrDecl => attr('i32', d);
/** SI32Attr (printed `: si32`, e.g. Concat's axis). */
export const si32 = (d?: Default<number>): AttrDecl => attr('si32', d);
/** UI32Attr (printed `: ui32`). */
export const ui32 = (d?: Default<number>): AttrDecl => attr('ui32', d);
/** F64Attr. */
export const f64 = (d?: Default<number>): AttrDecl => attr('f64', d);
/** BoolAttr. */
export const bool = (d?: Default<boolean>): AttrDecl => attr('bool', d);
/** StrAttr. */
export const str = (d?: Default<string>): AttrDecl => attr('string', d);
/** AnyStrAttrOf<values>: a string from a fixed list. */
export const enumOf = (values: readonly string[], d?: Default<string>): AttrDecl => attr('enum', d, values);
/** I64ArrayAttr. */
export const i64Array = (d?: Default<readonly number[]>): AttrDecl => attr('i64[]', d);
/** I32ArrayAttr. */
export const i32Array = (d?: Default<readonly number[]>): AttrDecl => attr('i32[]', d);
/** F64ArrayAttr. */
export const f64Array = (d?: Default<readonly number[]>): AttrDecl => attr('f64[]', d);
/** StrArrayAttr. */
export const strArray = (d?: Default<readonly string[]>): AttrDecl => attr('string[]', d);
/** Any attribute, unchecked (dictionary attributes, dialect attributes). */
export const anyAttr = (): AttrDecl => attr('any', undefined);

/**
 * Operand: may be `top.None`. Attribute: may be absent and builders leave it out; a default
 * given to the attribute is still what readers see.
 */
export function optional<T extends OperandDecl | AttrDecl>(d: T): T {
  if (d.kind === 'operand') return { ...d, optional: true };
  return { ...d, optional: true, emitDefault: false };
}

/** An attribute TPU-MLIR requires on every op; builders still fill the given default. */
export function required(d: AttrDecl): AttrDecl {
  return { ...d, optional: false };
}

/** `do_relu` and `relu_limit`, carried by ops a following ReLU can fuse into. */
export const fuseRelu = { do_relu: bool(false), relu_limit: f64(-1) } as const;

// ---- ops and dialects ----

/** One op of a table. Keys of `operands`, `results` and `attrs` keep TPU-MLIR's names and order. */
export interface OpDecl {
  readonly summary: string;
  readonly operands?: Readonly<Record<string, OperandDecl>>;
  /** Defaults to one tensor result named `output`. */
  readonly results?: Readonly<Record<string, OperandDecl>>;
  readonly attrs?: Readonly<Record<string, AttrDecl>>;
  /** Shape of the single result. */
  readonly shape?: (s: ShapeContext) => readonly number[] | undefined;
  /** Shapes of all results (multi-result ops). */
  readonly shapes?: (s: ShapeContext) => readonly (readonly number[])[] | undefined;
  /** See OpDef.handBuilt. */
  readonly handBuilt?: string;
}

export function op<const D extends OpDecl>(d: D): D {
  return d;
}

export interface DialectTable<K extends string = string> {
  readonly dialect: string;
  readonly ops: { readonly [P in K]: OpDef };
  /** Every op, in table order. */
  readonly list: readonly OpDef[];
}

/** Builds the OpDefs of a dialect (`top.Conv` from key `Conv`). Registering them is the caller's. */
export function defineDialect<K extends string>(dialect: string, decls: Readonly<Record<K, OpDecl>>): DialectTable<K> {
  const ops = {} as { [P in K]: OpDef };
  for (const key of Object.keys(decls) as K[]) ops[key] = toOpDef(`${dialect}.${key}`, decls[key]);
  return { dialect, ops, list: Object.values<OpDef>(ops) };
}

function toOpDef(name: string, d: OpDecl): OpDef {
  if (d.shape && d.shapes) throw new Error(`${name}: give either shape or shapes, not both`);
  const operands: OperandSpec[] = Object.entries(d.operands ?? {}).map(([n, o]) => ({
    name: n,
    optional: o.optional,
    variadic: o.variadic,
    weight: o.weight,
    ...(o.omittable ? { omittable: true } : {}),
  }));
  const results: ResultSpec[] = Object.entries(d.results ?? { output: tensor() }).map(([n, r]) => ({
    name: n,
    variadic: r.variadic,
    ...(r.optional ? { optional: true } : {}),
  }));
  const attrs: Record<string, AttrSpec> = {};
  for (const [n, a] of Object.entries(d.attrs ?? {})) {
    const { kind: _kind, ...spec } = a;
    attrs[n] = spec;
  }
  const def: { -readonly [P in keyof OpDef]: OpDef[P] } = { name, summary: d.summary, operands, results, attrs };
  if (d.handBuilt) def.handBuilt = d.handBuilt;
  const single = d.shape;
  const multi = d.shapes;
  if (single) {
    def.inferShapes = wrap(def, (s) => {
      const r = single(s);
      return r === undefined ? undefined : [r];
    });
  }
  else if (multi) def.inferShapes = wrap(def, multi);
  return def;
}

function wrap(def: OpDef, fn: (s: ShapeContext) => readonly (readonly number[])[] | undefined): ShapeFn {
  return (op) => {
    const out = fn(new ShapeContext(op, def));
    return out?.map((x) => [...x]);
  };
}
