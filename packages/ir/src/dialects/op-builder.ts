// OpBuilder: creates ops in one function at an insertion point, as MLIR's OpBuilder does. The
// generated builders (top/generated/builders.ts, and the chip packages' tpu builders) all go
// through `build`, which lays operands out by the table, fills attribute defaults and infers
// result types from the shape function.
import type { Attr } from '../core/attributes.js';
import type { DType, NdArray } from '../core/dtype.js';
import type { Func, Module, OpInit, Value } from '../core/ir.js';
import { Op } from '../core/ir.js';
import type { Location } from '../core/location.js';
import { nameLoc, unknownLoc } from '../core/location.js';
import type { OpDef } from '../core/op-def.js';
import type { ElementType, TensorType, Type } from '../core/types.js';
import * as T from '../core/types.js';
import { buildAttrs } from './attr-codec.js';
import { topOps } from './top/ops.js';

/** An operand: a value, or an op standing for its only result. */
export type ValueLike = Value | Op;

export interface BuildOptions {
  /** The location; a string is the tensor name (`loc("conv1")`). */
  readonly loc: string | Location;
}

export interface SingleResultOptions extends BuildOptions {
  /** The result type; inferred from the shape function when left out. */
  readonly resultType?: TensorType;
}

export interface MultiResultOptions<R extends string = string> extends BuildOptions {
  /** All result types; inferred from the shape function when left out. */
  readonly resultTypes?: readonly Type[];
  /** Optional results to type `none` when the types are inferred (Arg without `values`). */
  readonly noneResults?: readonly R[];
}

type InsertionPoint = { readonly kind: 'end' } | { readonly kind: 'before' | 'after'; readonly anchor: Op };

/** Element types weights get by default, by the dtype of their data. */
const WEIGHT_ELEMENT: Record<DType, ElementType> = {
  f64: T.f64, f32: T.f32, f16: T.f16, bf16: T.bf16,
  i8: T.i8, u8: T.ui8, i16: T.i16, u16: T.ui16, i32: T.i32, u32: T.ui32, i64: T.i64, u64: T.intType(64, 'unsigned'),
  bool: T.i1,
};

export class OpBuilder {
  private point: InsertionPoint = { kind: 'end' };
  private noneOp: Op | undefined;

  constructor(readonly func: Func) {}

  get module(): Module | undefined {
    return this.func.parent;
  }

  /** New ops go at the end of the function (before its return). */
  setInsertionPointToEnd(): this {
    this.point = { kind: 'end' };
    return this;
  }

  /** New ops go before `op`, in the order they are created. */
  setInsertionPointBefore(op: Op): this {
    this.point = { kind: 'before', anchor: op };
    return this;
  }

  /** New ops go after `op`, in the order they are created. */
  setInsertionPointAfter(op: Op): this {
    this.point = { kind: 'after', anchor: op };
    return this;
  }

  /** Inserts a detached op at the insertion point. */
  insert<O extends Op>(op: O): O {
    const p = this.point;
    if (p.kind === 'end') this.func.append(op);
    else if (p.kind === 'before') this.func.insertBefore(p.anchor, op);
    else {
      this.func.insertAfter(p.anchor, op);
      this.point = { kind: 'after', anchor: op };
    }
    return op;
  }

  /** Creates an op of any type (no table needed) at the insertion point. */
  create(type: string, init: OpInit = {}): Op {
    return this.insert(new Op(type, init));
  }

  /** The function's `top.None` value, created first in the function on the first call. */
  none(): Value {
    if (this.noneOp?.parent !== this.func) {
      this.noneOp = this.func.ops.find((o) => o.type === topOps.ops.None.name);
    }
    if (!this.noneOp) {
      const op = new Op(topOps.ops.None.name, { resultTypes: [T.noneType], loc: unknownLoc });
      const first = this.func.ops[0];
      if (first) this.func.insertBefore(first, op);
      else this.func.append(op);
      this.noneOp = op;
    }
    return this.noneOp.result();
  }

  /**
   * A `top.Weight` named `name` holding `data`, registered in the module's weights under that
   * name (the npz key). The type follows the data unless `opts.type` says otherwise (e.g. a
   * quantized type over int8 data).
   */
  weight(name: string, data: NdArray, opts: { type?: TensorType; attrs?: Readonly<Record<string, unknown>> } = {}): Value {
    const m = this.module;
    if (!m) throw new Error(`cannot create weight "${name}": function @${this.func.name} is not in a module`);
    const prev = m.weights.get(name);
    if (prev !== undefined && prev !== data) throw new Error(`weight "${name}" is already defined with other data`);
    const type = opts.type ?? T.tensorType(data.shape, WEIGHT_ELEMENT[data.dtype]);
    m.weights.set(name, data);
    const def = topOps.ops.Weight;
    return this.create(def.name, { resultTypes: [type], attrs: buildAttrs(def, opts.attrs ?? {}), loc: nameLoc(name) }).result();
  }

  /**
   * Creates an op by its table entry: operands by name (optional ones left out become
   * `top.None`, omittable ones are dropped), attributes encoded with defaults filled, result
   * types given or inferred (shape function, element type of the first tensor operand).
   */
  build(def: OpDef, operands: object, attrs: object, opts: SingleResultOptions | MultiResultOptions): Op {
    // Generated builders type `operands` and `attrs` per op; here they are records by name.
    const values = this.layOutOperands(def, operands as Readonly<Record<string, ValueLike | readonly ValueLike[] | undefined>>);
    const attrMap = buildAttrs(def, attrs as Readonly<Record<string, unknown>>);
    const loc = typeof opts.loc === 'string' ? nameLoc(opts.loc) : opts.loc;
    const resultTypes = givenTypes(opts) ?? inferTypes(def, values, attrMap, loc, opts);
    const fixed = def.results.filter((r) => !r.variadic).length;
    const variadic = def.results.some((r) => r.variadic);
    if (variadic ? resultTypes.length < fixed : resultTypes.length !== fixed) {
      throw new TypeError(`${def.name} has ${variadic ? 'at least ' : ''}${fixed} results, ${resultTypes.length} result types given`);
    }
    return this.insert(new Op(def.name, { operands: values, attrs: attrMap, resultTypes, loc }));
  }

  private layOutOperands(def: OpDef, given: Readonly<Record<string, ValueLike | readonly ValueLike[] | undefined>>): Value[] {
    for (const k of Object.keys(given)) {
      if (!def.operands.some((s) => s.name === k)) throw new TypeError(`${def.name} has no operand '${k}'`);
    }
    const out: Value[] = [];
    let dropped: string | undefined;
    for (const s of def.operands) {
      const v = given[s.name];
      if (s.variadic) {
        if (!Array.isArray(v)) throw new TypeError(`${def.name} operand '${s.name}' takes an array of values`);
        out.push(...(v as readonly ValueLike[]).map((x) => toValue(x, def, s.name)));
        continue;
      }
      if (Array.isArray(v)) throw new TypeError(`${def.name} operand '${s.name}' takes one value`);
      if (v === undefined) {
        if (s.omittable) dropped ??= s.name;
        else if (s.optional) out.push(this.none());
        else throw new TypeError(`${def.name} needs operand '${s.name}'`);
        continue;
      }
      if (dropped) throw new TypeError(`${def.name}: operand '${s.name}' is given but '${dropped}' before it is left out`);
      out.push(toValue(v as ValueLike, def, s.name));
    }
    return out;
  }
}

function toValue(v: ValueLike, def: OpDef, name: string): Value {
  if (v instanceof Op) {
    if (v.results.length !== 1) throw new TypeError(`${def.name} operand '${name}': ${v.type} has ${v.results.length} results, pass one`);
    return v.result();
  }
  return v;
}

function givenTypes(opts: SingleResultOptions | MultiResultOptions): Type[] | undefined {
  if ('resultType' in opts && opts.resultType) return [opts.resultType];
  if ('resultTypes' in opts && opts.resultTypes) return [...opts.resultTypes];
  return undefined;
}

function inferTypes(def: OpDef, operands: Value[], attrs: Map<string, Attr>, loc: Location, opts: MultiResultOptions): Type[] {
  // The shape function reads an op; a detached probe carries the operands and attributes.
  const probe = new Op(def.name, { operands, attrs, loc });
  let shapes: (readonly number[])[] | undefined;
  try {
    shapes = def.inferShapes?.(probe);
  } finally {
    probe.setOperands([]);
  }
  if (!shapes) {
    const why = def.inferShapes ? 'an input shape is not known' : 'it has no shape function';
    throw new Error(`cannot infer the result types of ${def.name} "${probe.name ?? '?'}" (${why}); pass them in the options`);
  }
  const element = defaultElement(operands);
  const none = new Set(opts.noneResults ?? []);
  return shapes.map((s, i) => {
    const spec = def.results[Math.min(i, def.results.length - 1)];
    return spec && none.has(spec.name) ? T.noneType : T.tensorType(s, element);
  });
}

/** The first tensor operand's element type; a calibrated type stands for its float type. */
function defaultElement(operands: readonly Value[]): ElementType {
  const t = operands.find((v) => v.type.kind === 'tensor')?.type as TensorType | undefined;
  if (!t) return T.f32;
  return t.element.kind === 'quant.calibrated' ? t.element.expressed : t.element;
}
