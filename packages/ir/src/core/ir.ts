// The IR graph: a Module holds functions; a function holds ops in order; values link producers
// to their uses. Mirrors the subset of MLIR that TPU-MLIR's top and tpu files use (one block per
// function, no nested regions).
import type { Attr } from './attributes.js';
import type { NdArray } from './dtype.js';
import type { Location } from './location.js';
import { locName, unknownLoc } from './location.js';
import type { Type } from './types.js';

/** One use of a value: operand `index` of `op`. */
export interface Use {
  readonly op: Op;
  readonly index: number;
}

export class Value {
  type: Type;
  /** The op that produces this value, or the function whose argument it is. */
  readonly owner: Op | Func;
  /** Result index in `owner`, or argument index. */
  readonly index: number;
  /** Location of a function argument (ops carry their own). */
  loc: Location;
  private readonly useList: Use[] = [];

  constructor(type: Type, owner: Op | Func, index: number, loc: Location = unknownLoc) {
    this.type = type;
    this.owner = owner;
    this.index = index;
    this.loc = loc;
  }

  get uses(): readonly Use[] {
    return this.useList;
  }

  get hasUses(): boolean {
    return this.useList.length > 0;
  }

  /** The producing op, or undefined for a function argument. */
  get producer(): Op | undefined {
    return this.owner instanceof Op ? this.owner : undefined;
  }

  get isArgument(): boolean {
    return this.owner instanceof Func;
  }

  /** The tensor name (the location name TPU-MLIR uses as the tensor's identity). */
  get name(): string | undefined {
    return this.owner instanceof Op ? locName(this.owner.loc, this.index) : locName(this.loc);
  }

  /** Every use of this value now uses `replacement` instead. */
  replaceAllUsesWith(replacement: Value): void {
    if (replacement === this) return;
    for (const use of [...this.useList]) use.op.setOperand(use.index, replacement);
  }

  /** @internal use-list bookkeeping, called by Op only. */
  addUse(use: Use): void {
    this.useList.push(use);
  }

  /** @internal */
  removeUse(op: Op, index: number): void {
    const i = this.useList.findIndex((u) => u.op === op && u.index === index);
    if (i >= 0) this.useList.splice(i, 1);
  }
}

export interface OpInit {
  operands?: readonly Value[];
  resultTypes?: readonly Type[];
  attrs?: Iterable<[string, Attr]> | Record<string, Attr>;
  loc?: Location;
}

export class Op {
  /** Full name with dialect: `top.Conv`, `tpu.Conv2D`, `func.return`, `func.call`. */
  readonly type: string;
  readonly results: readonly Value[];
  attrs: Map<string, Attr>;
  loc: Location;
  parent: Func | undefined;
  private operandList: Value[] = [];

  constructor(type: string, init: OpInit = {}) {
    this.type = type;
    this.results = (init.resultTypes ?? []).map((t, i) => new Value(t, this, i));
    this.attrs = toAttrMap(init.attrs);
    this.loc = init.loc ?? unknownLoc;
    this.setOperands(init.operands ?? []);
  }

  get operands(): readonly Value[] {
    return this.operandList;
  }

  operand(i: number): Value {
    const v = this.operandList[i];
    if (v === undefined) throw new RangeError(`${this.type} has no operand ${i}`);
    return v;
  }

  result(i = 0): Value {
    const v = this.results[i];
    if (v === undefined) throw new RangeError(`${this.type} has no result ${i}`);
    return v;
  }

  /** `top` of `top.Conv`. */
  get dialect(): string {
    const dot = this.type.indexOf('.');
    return dot < 0 ? '' : this.type.slice(0, dot);
  }

  /** `Conv` of `top.Conv`. */
  get opName(): string {
    return this.type.slice(this.type.indexOf('.') + 1);
  }

  /** The name of the first result (TPU-MLIR names an op by its output tensor). */
  get name(): string | undefined {
    return locName(this.loc, 0);
  }

  setOperand(i: number, v: Value): void {
    const old = this.operandList[i];
    if (old === undefined) throw new RangeError(`${this.type} has no operand ${i}`);
    old.removeUse(this, i);
    this.operandList[i] = v;
    v.addUse({ op: this, index: i });
  }

  setOperands(values: readonly Value[]): void {
    this.operandList.forEach((v, i) => v.removeUse(this, i));
    this.operandList = [...values];
    this.operandList.forEach((v, i) => v.addUse({ op: this, index: i }));
  }

  attr(name: string): Attr | undefined {
    return this.attrs.get(name);
  }

  setAttr(name: string, a: Attr): void {
    this.attrs.set(name, a);
  }

  removeAttr(name: string): void {
    this.attrs.delete(name);
  }

  /** Removes the op from its function and drops its operand uses. Its results must be unused. */
  erase(): void {
    const used = this.results.find((r) => r.hasUses);
    if (used) throw new Error(`cannot erase ${this.type} "${this.name ?? '?'}": result ${used.index} still has uses`);
    this.parent?.remove(this);
    this.setOperands([]);
  }
}

export type Visibility = 'public' | 'private' | 'nested';

export class Func {
  name: string;
  readonly args: Value[] = [];
  resultTypes: Type[];
  attrs: Map<string, Attr>;
  loc: Location;
  visibility: Visibility | undefined;
  parent: Module | undefined;
  private opList: Op[] = [];

  constructor(name: string, init: { resultTypes?: readonly Type[]; attrs?: OpInit['attrs']; loc?: Location } = {}) {
    this.name = name;
    this.resultTypes = [...(init.resultTypes ?? [])];
    this.attrs = toAttrMap(init.attrs);
    this.loc = init.loc ?? unknownLoc;
    this.visibility = undefined;
  }

  get ops(): readonly Op[] {
    return this.opList;
  }

  addArgument(type: Type, loc: Location = unknownLoc): Value {
    const v = new Value(type, this, this.args.length, loc);
    this.args.push(v);
    return v;
  }

  /** The terminator (`func.return`), if the function has one. */
  get returnOp(): Op | undefined {
    const last = this.opList[this.opList.length - 1];
    return last?.type === 'func.return' ? last : undefined;
  }

  /** Values returned by the function. */
  get outputs(): readonly Value[] {
    return this.returnOp?.operands ?? [];
  }

  /** Appends `op`, keeping a terminator last. */
  append(op: Op): Op {
    const ret = this.returnOp;
    if (ret && op.type !== 'func.return') return this.insertBefore(ret, op);
    return this.attach(op, this.opList.length);
  }

  insertBefore(anchor: Op, op: Op): Op {
    return this.attach(op, this.indexOf(anchor));
  }

  insertAfter(anchor: Op, op: Op): Op {
    return this.attach(op, this.indexOf(anchor) + 1);
  }

  /** Detaches `op` without touching its uses (see Op.erase to delete it). */
  remove(op: Op): void {
    this.opList.splice(this.indexOf(op), 1);
    op.parent = undefined;
  }

  indexOf(op: Op): number {
    const i = this.opList.indexOf(op);
    if (i < 0) throw new Error(`${op.type} "${op.name ?? '?'}" is not in function @${this.name}`);
    return i;
  }

  /** Replaces the op order wholesale (used by topological sorting). */
  reorder(ops: readonly Op[]): void {
    if (ops.length !== this.opList.length || ops.some((o) => o.parent !== this)) {
      throw new Error('reorder: the new order must hold exactly the same ops');
    }
    this.opList = [...ops];
  }

  private attach(op: Op, at: number): Op {
    if (op.parent) throw new Error(`${op.type} "${op.name ?? '?'}" already belongs to @${op.parent.name}`);
    this.opList.splice(at, 0, op);
    op.parent = this;
    return op;
  }
}

export class Module {
  /** The symbol name (`module @name`); older files carry `module.name` instead. */
  name: string | undefined;
  attrs: Map<string, Attr>;
  readonly funcs: Func[] = [];
  loc: Location;
  /** Weight data keyed by the Weight op's name, when loaded (see `module.weight_file`). */
  weights: Map<string, NdArray>;
  /** Text layout remembered by the parser, so that printing a parsed file reproduces it. */
  sourceLayout: unknown;

  constructor(name?: string, attrs?: OpInit['attrs']) {
    this.name = name;
    this.attrs = toAttrMap(attrs);
    this.loc = unknownLoc;
    this.weights = new Map();
    this.sourceLayout = undefined;
  }

  addFunc(f: Func): Func {
    f.parent = this;
    this.funcs.push(f);
    return f;
  }

  getFunc(name: string): Func | undefined {
    return this.funcs.find((f) => f.name === name);
  }

  /** `@main`, or the only function. */
  get main(): Func {
    const f = this.getFunc('main') ?? (this.funcs.length === 1 ? this.funcs[0] : undefined);
    if (!f) throw new Error('module has no @main function');
    return f;
  }

  /** The model name: the symbol name, else `module.name`. */
  get modelName(): string | undefined {
    const a = this.attrs.get('module.name');
    return this.name ?? (a?.kind === 'string' ? a.value : undefined);
  }

  /** Every op of every function, in order. */
  *allOps(): Generator<Op> {
    for (const f of this.funcs) yield* f.ops;
  }
}

function toAttrMap(attrs: OpInit['attrs']): Map<string, Attr> {
  if (!attrs) return new Map();
  if (Symbol.iterator in attrs) return new Map(attrs as Iterable<[string, Attr]>);
  return new Map(Object.entries(attrs));
}
