// What a shape function sees: operands by their table names, static shapes, constant operand
// data, and attributes with the table's defaults applied. Shape functions return undefined when
// a shape is not known yet (a dynamic dim, a shape operand that is not a loaded weight) and throw
// ShapeError when the inputs contradict each other.
import type { Attr } from '../core/attributes.js';
import { attrToBool, attrToNumber, attrToNumbers, attrToString } from '../core/attributes.js';
import { UserError } from '../core/errors.js';
import type { Op, Value } from '../core/ir.js';
import type { OpDef } from '../core/op-def.js';
import { attrOrDefault, matchOperands } from '../core/op-def.js';

/** Inputs of an op whose shapes cannot go together (a model bug the user can act on). */
export class ShapeError extends UserError {
  constructor(message: string, hint?: string) {
    super('E_SHAPE', message, hint);
    this.name = 'ShapeError';
  }
}

/** A static shape: every dim known. */
export function staticShape(v: Value | undefined): number[] | undefined {
  if (v?.type.kind !== 'tensor') return undefined;
  const s = v.type.shape;
  return s.every((d) => d >= 0) ? [...s] : undefined;
}

export class ShapeContext {
  private readonly groups: Map<string, Value[]>;

  constructor(
    readonly op: Op,
    readonly def: OpDef,
  ) {
    const g = matchOperands(op, def);
    if (typeof g === 'string') this.fail(g);
    this.groups = g;
  }

  /** The value of a non-variadic operand; undefined when it was left out. */
  value(name: string): Value | undefined {
    return this.operandGroup(name)[0];
  }

  /** The values of a variadic operand. */
  values(name: string): Value[] {
    return this.operandGroup(name);
  }

  /** Whether an operand is absent: left out, or `top.None`. */
  isNone(name: string): boolean {
    const v = this.value(name);
    return v === undefined || v.type.kind === 'none';
  }

  /** Static shape of an operand; undefined when absent, None, or with an unknown dim. */
  shape(name: string): number[] | undefined {
    return staticShape(this.value(name));
  }

  /** Shape of an operand as typed, unknown (-1) dims included; undefined when not a tensor. */
  rawShape(name: string): number[] | undefined {
    const t = this.value(name)?.type;
    return t?.kind === 'tensor' ? [...t.shape] : undefined;
  }

  /** Static shapes of a variadic operand; undefined when any is unknown. */
  shapesOf(name: string): number[][] | undefined {
    const out: number[][] = [];
    for (const v of this.values(name)) {
      const s = staticShape(v);
      if (!s) return undefined;
      out.push(s);
    }
    return out;
  }

  /**
   * The data of an operand produced by a `top.Weight` whose data is loaded in the module, as
   * numbers (shape operands: Reshape's shapeT, Interp's target_shape, Range's limits).
   */
  constant(name: string): number[] | undefined {
    const w = this.value(name)?.producer;
    if (w?.type !== 'top.Weight' || w.name === undefined) return undefined;
    const arr = w.parent?.parent?.weights.get(w.name);
    // f16/bf16 data is held as raw bits; shape operands never use them.
    if (arr === undefined || arr.dtype === 'f16' || arr.dtype === 'bf16') return undefined;
    return Array.from(arr.data as ArrayLike<number | bigint>, (x) => Number(x));
  }

  // ---- attributes (defaults applied) ----

  /** Whether the op itself carries the attribute (defaults do not count). */
  has(name: string): boolean {
    return this.op.attrs.has(name);
  }

  int(name: string): number {
    return attrToNumber(this.attr(name));
  }

  num(name: string): number {
    return attrToNumber(this.attr(name));
  }

  ints(name: string): number[] {
    return attrToNumbers(this.attr(name));
  }

  bool(name: string): boolean {
    return attrToBool(this.attr(name));
  }

  str(name: string): string {
    return attrToString(this.attr(name));
  }

  /** An optional attribute without a default: its numbers, or undefined when absent. */
  maybeInts(name: string): number[] | undefined {
    const a = attrOrDefault(this.op, this.def, name);
    return a === undefined ? undefined : attrToNumbers(a);
  }

  /** An axis attribute or value normalised against `rank` (negative counts from the end). */
  axis(axis: number, rank: number): number {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) this.fail(`axis ${axis} is out of range for rank ${rank}`);
    return a;
  }

  /** Throws a ShapeError naming the op. */
  fail(message: string): never {
    throw new ShapeError(`${this.op.type} "${this.op.name ?? '?'}": ${message}`);
  }

  private attr(name: string): Attr {
    const a = attrOrDefault(this.op, this.def, name);
    if (a === undefined) this.fail(`attribute '${name}' is missing`);
    return a;
  }

  private operandGroup(name: string): Value[] {
    const g = this.groups.get(name);
    if (g === undefined) throw new Error(`${this.def.name} has no operand '${name}' (a bug in its shape function)`);
    return g;
  }
}

// ---- shape arithmetic shared by shape functions ----

/** Numpy broadcasting of several shapes; throws ShapeError through `s` on a mismatch. */
export function broadcastShapes(s: ShapeContext, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((x) => x.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const off = rank - shape.length;
    shape.forEach((d, i) => {
      const o = out[off + i]!;
      if (d === o || d === 1) return;
      if (o === 1) out[off + i] = d;
      else s.fail(`cannot broadcast shapes ${shapes.map(fmt).join(', ')}`);
    });
  }
  return out;
}

export { shapeSize as product } from '../core/dtype.js';

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
