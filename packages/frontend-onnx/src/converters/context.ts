// What a converter sees of the node it converts and of the graph built so far. Names follow
// TPU-MLIR's OnnxConverter: an op is located at "<output tensor>_<OpType>", a constant operand
// becomes a top.Weight named by its tensor, extra weights get OnnxConverter's suffixes.
import { type Op, type OpBuilder, type Value, UserError, staticShape, fusedLoc, nameLoc } from '@tpu-quant/ir';
import { isUniform, type ConstTensor } from '../const-tensor.js';
import { nodeError, type NodeAttrs } from '../node-attrs.js';
import type { NodeProto } from '@tpu-quant/ir';

export interface GraphState {
  readonly b: OpBuilder;
  readonly values: Map<string, Value>;
  readonly consts: Map<string, ConstTensor>;
  /** top.Weight values already created, by weight name. */
  readonly weights: Map<string, Value>;
  /** Creates a weight named `name` holding `c` as float32 (cached by name). */
  weight(name: string, c: ConstTensor): Value;
}

export class NodeContext {
  constructor(
    readonly node: NodeProto,
    readonly attrs: NodeAttrs,
    readonly opset: number,
    private readonly g: GraphState,
  ) {}

  get b(): OpBuilder {
    return this.g.b;
  }

  get opType(): string {
    return this.node.op_type ?? '';
  }

  /** The node's name in TPU-MLIR: its first output tensor. */
  get name(): string {
    return this.node.output?.[0] ?? '';
  }

  /** TPU-MLIR's location for the op a node becomes: "<output>_<OpType>" (or another suffix). */
  loc(suffix: string = this.opType): string {
    return `${this.name}_${suffix}`;
  }

  input(i: number): string {
    return this.node.input?.[i] ?? '';
  }

  hasInput(i: number): boolean {
    return this.input(i) !== '';
  }

  get numInputs(): number {
    return this.node.input?.length ?? 0;
  }

  isConst(i: number): boolean {
    return this.hasInput(i) && this.g.consts.has(this.input(i));
  }

  constant(i: number): ConstTensor {
    const c = this.g.consts.get(this.input(i));
    if (!c) throw this.fail(`input "${this.input(i)}" must be a constant here`, 'fix the input shapes so that shape computations fold, or simplify the model');
    return c;
  }

  /**
   * A parameter operand (axes, pads, shape, scales, repeats, bounds...), named `role` as ONNX
   * names it: the compiled graph fixes it, so a computed (non-constant) one is an error, never
   * silently ignored. Undefined when the node leaves the operand out.
   */
  param(i: number, role: string): ConstTensor | undefined {
    if (!this.hasInput(i)) return undefined;
    const c = this.g.consts.get(this.input(i));
    if (c) return c;
    const from = this.input(i) === role ? '' : ` (tensor "${this.input(i)}" is not one)`;
    throw this.fail(`input "${role}" must be a constant here${from}`, 'make it an initializer or a Constant, or fix the input shapes so that the shape computation producing it folds');
  }

  /** A parameter operand the node must have (see param). */
  requiredParam(i: number, role: string): ConstTensor {
    const c = this.param(i, role);
    if (!c) throw this.fail(`input "${role}" is missing`);
    return c;
  }

  /** Operand slots for shared evaluators: input 0 (data) when constant, then the parameters `roles` (inputs 1...). */
  params(roles: readonly string[]): (ConstTensor | undefined)[] {
    return [this.isConst(0) ? this.constant(0) : undefined, ...roles.map((r, k) => this.param(k + 1, r))];
  }

  /** TPU-MLIR's isScalar: a constant whose elements are all equal and that does not broadcast the other side. */
  isScalar(i: number, other?: number): boolean {
    if (!this.isConst(i)) return false;
    const c = this.constant(i);
    if (!isUniform(c)) return false;
    if (other === undefined) return true;
    const o = this.shape(other);
    return c.shape.length <= o.length && c.shape.every((d, k) => d === 1 || d === o[o.length - c.shape.length + k]);
  }

  scalar(i: number): number {
    return this.constant(i).data[0]!;
  }

  /** The value of input i; a constant becomes (or reuses) the top.Weight named by its tensor. */
  value(i: number): Value {
    const name = this.input(i);
    const c = this.g.consts.get(name);
    if (c) return this.g.weight(name, c);
    const v = this.g.values.get(name);
    if (!v) throw this.fail(`input "${name}" is not available`);
    return v;
  }

  /** A weight with its own name (e.g. "<B>_fix"). */
  weight(name: string, c: ConstTensor): Value {
    return this.g.weight(name, c);
  }

  /** Static shape of input i. */
  shape(i: number): number[] {
    const c = this.g.consts.get(this.input(i));
    if (c) return c.shape.length === 0 ? [1] : [...c.shape];
    const s = staticShape(this.value(i));
    if (!s) throw this.fail(`the shape of "${this.input(i)}" is not static`);
    return s;
  }

  /** Binds output `index` to a value (or an op's single result). */
  setOutput(v: Value | Op, index = 0): void {
    const name = this.node.output?.[index];
    if (!name) return;
    this.g.values.set(name, 'results' in v ? v.result() : v);
  }

  setConst(c: ConstTensor, index = 0): void {
    const name = this.node.output?.[index];
    if (name) this.g.consts.set(name, c);
  }

  /** Whether output `index` exists and is read by anything (graph outputs included). */
  outputUsed(index: number): boolean {
    return (this.node.output?.[index] ?? '') !== '';
  }

  fusedLoc(names: readonly string[]): ReturnType<typeof fusedLoc> {
    return names.length === 1 ? nameLoc(names[0]!) : fusedLoc(names);
  }

  fail(message: string, hint?: string): UserError {
    return nodeError(this.node, message, hint);
  }

  unsupported(what: string, hint?: string): UserError {
    return new UserError('E_UNSUPPORTED_OP', `${this.opType} ${what} in node "${this.node.name || this.name}"`, hint);
  }
}

export type Converter = (ctx: NodeContext) => void;
