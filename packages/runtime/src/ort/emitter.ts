// The ONNX graph under construction: nodes, initializers and fresh tensor names, and the view of
// one top op that a converter (ops-*.ts) writes its ONNX nodes through. Every tensor between ops
// is float32, as in the js backend; converters cast index operands to int64 where ONNX wants them.
import type { AttributeProto, NdArray, NodeProto, Op, TensorProto } from '@tpu-quant/ir';
import { OnnxAttrType, OnnxDataType } from '@tpu-quant/ir';

/** An attribute value, tagged with its ONNX type. */
export type AttrValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: TensorProto };

/** A top op the exporter cannot express for onnxruntime (with the reason, for the error line). */
export class Unsupported extends Error {}

const utf8 = new TextEncoder();

function toAttribute(name: string, v: AttrValue): AttributeProto {
  if ('i' in v) return { name, type: OnnxAttrType.INT, i: v.i };
  if ('f' in v) return { name, type: OnnxAttrType.FLOAT, f: v.f };
  if ('s' in v) return { name, type: OnnxAttrType.STRING, s: utf8.encode(v.s) };
  if ('ints' in v) return { name, type: OnnxAttrType.INTS, ints: [...v.ints] };
  if ('floats' in v) return { name, type: OnnxAttrType.FLOATS, floats: [...v.floats] };
  return { name, type: OnnxAttrType.TENSOR, t: v.t };
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A float32 TensorProto (raw little-endian data, as every ONNX writer stores it). */
export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return { name, dims: [...dims], data_type: OnnxDataType.FLOAT, raw_data: bytesOf(f) };
}

/** An int64 TensorProto. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  const b = BigInt64Array.from(data, (v) => BigInt(Math.round(v)));
  return { name, dims: [...dims], data_type: OnnxDataType.INT64, raw_data: bytesOf(b) };
}

/** The nodes and initializers of one graph. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();
  private readonly intConsts = new Map<string, string>();
  private temp = 0;

  /** Reserves `name` when free; else a free variant of it. */
  claim(name: string): string {
    let n = name;
    for (let k = 1; this.used.has(n) || n === ''; k++) n = `${name}__${k}`;
    this.used.add(n);
    return n;
  }

  /** A fresh name for a tensor the converters make between top ops. */
  tmp(hint = 't'): string {
    return this.claim(`_ort_${hint}_${this.temp++}`);
  }

  node(type: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}): void {
    const attribute = Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [toAttribute(k, v)]));
    // trailing absent optional inputs are left out, inner ones stay as ''
    const ins = [...inputs];
    while (ins.length > 0 && ins[ins.length - 1] === '') ins.pop();
    this.nodes.push({ op_type: type, input: ins, output: [...outputs], name: outputs[0], ...(attribute.length ? { attribute } : {}) });
  }

  addInitializer(t: TensorProto): string {
    this.initializers.push(t);
    return t.name!;
  }

  floats(dims: readonly number[], data: ArrayLike<number>, hint = 'c'): string {
    return this.addInitializer(floatTensor(this.tmp(hint), dims, data));
  }

  /** A float32 scalar (shape []), one initializer per distinct value. */
  scalar(v: number): string {
    const key = Math.fround(v);
    let n = this.scalars.get(key);
    if (!n) this.scalars.set(key, (n = this.floats([], [v], 's')));
    return n;
  }

  /** An int64 tensor (1-D unless dims say otherwise), one initializer per distinct content. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${dims.join(',')}:${values.join(',')}`;
    let n = this.intConsts.get(key);
    if (!n) this.intConsts.set(key, (n = this.addInitializer(int64Tensor(this.tmp('i'), dims, values))));
    return n;
  }
}

/** What a converter sees of one top op: its operands and results as ONNX tensor names. */
export interface OpEmit {
  readonly op: Op;
  readonly g: GraphBuilder;
  /** Operand count. */
  readonly arity: number;
  /** ONNX name of operand i; '' for a None operand. */
  input(i: number): string;
  /** IR shape of operand i; undefined for None. */
  inShape(i: number): readonly number[] | undefined;
  /** f32 data of operand i when a top.Weight makes it (for attributes and reshaped initializers). */
  constant(i: number): NdArray<'f32'> | undefined;
  /** Operand i as int64 (indices): an int64 initializer for a weight, else a Cast. */
  intInput(i: number): string;
  /** Result count. */
  readonly results: number;
  /** ONNX name of result k (every result with a tensor type must be written). */
  output(k?: number): string;
  /** IR shape of result k; undefined for a result typed none. */
  outShape(k?: number): readonly number[] | undefined;
  /** Adds a node; `outputs` a count makes fresh names. Returns the output names. */
  node(type: string, inputs: readonly string[], outputs: readonly string[] | number, attrs?: Record<string, AttrValue | undefined>): string[];
  /** One-output node into a fresh tensor. */
  node1(type: string, inputs: readonly string[], attrs?: Record<string, AttrValue | undefined>): string;
  /**
   * Makes `x` (of ONNX shape `shape`) result k: renamed when this op made it and the shapes
   * agree, else through Reshape (same size), Expand (broadcast) or Identity.
   */
  finish(x: string, shape: readonly number[], k?: number): void;
}

/** The declared shape of result k, or an error naming the op (a converter bug or a shapeless IR). */
export function shapeOf(e: OpEmit, k = 0): readonly number[] {
  const s = e.outShape(k);
  if (!s) throw new Unsupported(`result ${k} has no static tensor type`);
  return s;
}

/** Whether operand i is present (not None). */
export const has = (e: OpEmit, i: number): boolean => i < e.arity && e.inShape(i) !== undefined;

export function inShapeOf(e: OpEmit, i: number): readonly number[] {
  const s = e.inShape(i);
  if (!s) throw new Unsupported(`operand ${i} is None`);
  return s;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** numpy broadcasting of shapes. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const r = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = r - s.length + i;
      const d = s[i]!;
      if (d !== 1) {
        if (out[j] !== 1 && out[j] !== d) throw new Unsupported(`shapes [${shapes.map((x) => x.join(',')).join('] [')}] do not broadcast`);
        out[j] = d;
      }
    }
  }
  return out;
}

export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** x reshaped to `shape` (a fresh tensor). */
export function reshape(e: OpEmit, x: string, shape: readonly number[]): string {
  return e.node1('Reshape', [x, e.g.ints(shape)], shape.includes(0) ? { allowzero: { i: 1 } } : {});
}

/**
 * Operand i with `shape`: a weight becomes an initializer of that shape (same data, so weights
 * stored as [1, C, 1, 1] or [C] serve either way), a computed tensor is reshaped when it differs.
 */
export function operandAs(e: OpEmit, i: number, shape: readonly number[]): string {
  const w = e.constant(i);
  const have = inShapeOf(e, i);
  if (sameShape(have, shape)) return e.input(i);
  if (sizeOf(have) !== sizeOf(shape)) throw new Unsupported(`operand ${i} of shape [${have.join(', ')}] cannot be read as [${shape.join(', ')}]`);
  return w ? e.g.floats(shape, w.data, 'w') : reshape(e, e.input(i), shape);
}

/** y with the fused relu of an op that has do_relu / relu_limit (Clip when the limit is positive). */
export function fusedRelu(e: OpEmit, y: string, a: { do_relu: boolean; relu_limit: number }): string {
  if (!a.do_relu) return y;
  return a.relu_limit > 0 ? e.node1('Clip', [y, e.g.scalar(0), e.g.scalar(a.relu_limit)]) : e.node1('Relu', [y]);
}
