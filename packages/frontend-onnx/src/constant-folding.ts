// Evaluates ONNX nodes whose inputs are all constant, in TypeScript, during import. TPU-MLIR gets
// the same effect from onnx-simplifier and its ConstantFolding pass (onnxruntime) before it
// converts; here shape subgraphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Range,
// ConstantOfShape, Where ...) collapse into constants so Reshape/Resize/Expand see fixed targets.
// Results are named by the node's output tensors, as ConstantFolding names its initializers.
import { constOf, numel, toNumbers, type ConstKind, type ConstTensor } from './const-tensor.js';
import { dtypeKind, tensorToConst } from './model-loader.js';
import { nodeError, type NodeAttrs } from './node-attrs.js';
import type { NodeProto } from '@tpu-quant/ir';

/** Results larger than this stay ops (folding is for shapes and small tables, not activations). */
const MAX_FOLD_ELEMENTS = 1 << 24;

type Inputs = readonly (ConstTensor | undefined)[];
type Evaluator = (ins: Inputs, a: NodeAttrs, opset: number, node: NodeProto) => ConstTensor | ConstTensor[];

function req(ins: Inputs, i: number, node: NodeProto): ConstTensor {
  const c = ins[i];
  if (!c) throw nodeError(node, `input ${i} is missing`);
  return c;
}

function normAxis(a: number, rank: number, node: NodeProto): number {
  const r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank) throw nodeError(node, `axis ${a} is out of range for rank ${rank}`);
  return r;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

export function broadcastShape(shapes: readonly (readonly number[])[], node: NodeProto): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw nodeError(node, `shapes ${shapes.map((x) => `[${x.join(',')}]`).join(', ')} do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Reads `c` broadcast to `shape` into a flat array. */
function broadcastTo(c: ConstTensor, shape: readonly number[]): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  const rank = shape.length;
  const cs = [...new Array<number>(rank - c.shape.length).fill(1), ...c.shape];
  const st = strides(cs).map((s, i) => (cs[i] === 1 ? 0 : s));
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += idx[k]! * st[k]!;
    out[i] = c.data[off]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

function elementwise(kind: (ins: ConstTensor[]) => ConstKind, f: (...v: number[]) => number): Evaluator {
  return (ins, _a, _o, node) => {
    const xs = ins.filter((x): x is ConstTensor => x !== undefined);
    const shape = broadcastShape(xs.map((x) => x.shape), node);
    const k = kind(xs);
    const cols = xs.map((x) => broadcastTo(x, shape));
    const out = new Float64Array(numel(shape));
    for (let i = 0; i < out.length; i++) out[i] = f(...cols.map((c) => c[i]!));
    return constOf(k, shape, k === 'float' ? Float32Array.from(out) : out);
  };
}

const first = (ins: ConstTensor[]): ConstKind => ins[0]!.kind;
const bool = (): ConstKind => 'bool';
const intDiv = (x: number, y: number): number => Math.trunc(x / y);

function reshapeTo(c: ConstTensor, shape: number[]): ConstTensor {
  return { kind: c.kind, shape, data: c.data };
}

function gather(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  return gatherAxis(req(ins, 0, node), req(ins, 1, node), a.int('axis', 0), node);
}

function gatherAxis(x: ConstTensor, idx: ConstTensor, axisAttr: number, node: NodeProto): ConstTensor {
  const axis = normAxis(axisAttr, x.shape.length, node);
  const outer = numel(x.shape.slice(0, axis));
  const dim = x.shape[axis]!;
  const inner = numel(x.shape.slice(axis + 1));
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = new Float64Array(numel(shape));
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const raw of idx.data) {
      const j = raw < 0 ? raw + dim : raw;
      if (j < 0 || j >= dim) throw nodeError(node, `index ${raw} is out of range for a dim of ${dim}`);
      for (let q = 0; q < inner; q++) out[o++] = x.data[(p * dim + j) * inner + q]!;
    }
  }
  return constOf(x.kind, shape, out);
}

function concat(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const xs = ins.filter((x): x is ConstTensor => x !== undefined);
  const rank = xs[0]!.shape.length;
  const axis = normAxis(a.int('axis', 0), rank, node);
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const outer = numel(shape.slice(0, axis));
  const out: number[] = [];
  for (let p = 0; p < outer; p++) {
    for (const x of xs) {
      const chunk = numel(x.shape.slice(axis));
      for (let q = 0; q < chunk; q++) out.push(x.data[p * chunk + q]!);
    }
  }
  return constOf(xs.some((x) => x.kind === 'float') ? 'float' : xs[0]!.kind, shape, out);
}

/** Axes from the attribute (older opsets) or the second input. */
export function axesOf(ins: Inputs, a: NodeAttrs, inputIndex = 1): number[] | undefined {
  const c = ins[inputIndex];
  return c ? toNumbers(c) : a.ints('axes');
}

function unsqueeze(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const axes = axesOf(ins, a) ?? [];
  const rank = x.shape.length + axes.length;
  const set = new Set(axes.map((v) => normAxis(v, rank, node)));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x.shape[k++]!);
  return reshapeTo(x, shape);
}

function squeeze(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const axes = axesOf(ins, a);
  const set = new Set((axes ?? []).map((v) => normAxis(v, x.shape.length, node)));
  return reshapeTo(x, x.shape.filter((d, i) => (axes && axes.length > 0 ? !set.has(i) : d !== 1)));
}

/** ONNX Slice start/end clamping for one axis; returns the selected indices. */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) return [];
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function slice(ins: Inputs, a: NodeAttrs, opset: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const p = sliceParams(ins, a, opset, x.shape.length, node);
  let cur = x;
  p.axes.forEach((axis, i) => {
    const picked = sliceIndices(cur.shape[axis]!, p.starts[i]!, p.ends[i]!, p.steps[i]!);
    cur = gatherAxis(cur, constOf('int', [picked.length], picked), axis, node);
  });
  return cur;
}

export interface SliceParams {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

/** Slice parameters from attributes (opset < 10) or constant inputs; axes normalised. */
export function sliceParams(ins: Inputs, a: NodeAttrs, opset: number, rank: number, node: NodeProto): SliceParams {
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (opset < 10) {
    starts = a.ints('starts', []);
    ends = a.ints('ends', []);
    axes = a.ints('axes');
  } else {
    starts = toNumbers(req(ins, 1, node));
    ends = toNumbers(req(ins, 2, node));
    axes = ins[3] ? toNumbers(ins[3]) : undefined;
    steps = ins[4] ? toNumbers(ins[4]) : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw nodeError(node, 'starts, ends, axes and steps differ in length');
  }
  return { starts, ends, axes: axes.map((v) => normAxis(v, rank, node)), steps };
}

function cast(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const to = a.int('to', 1);
  const kind = dtypeKind(to);
  if (!kind) throw nodeError(node, `cannot cast to data type ${to}`);
  const f = kind === 'float' ? Math.fround : kind === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : Math.trunc;
  const data = Float64Array.from(x.data, f);
  return constOf(kind, x.shape, kind === 'float' ? Float32Array.from(data) : data);
}

function constantOfShape(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const shape = toNumbers(req(ins, 0, node));
  const t = a.tensor('value');
  const v = t ? tensorToConst(t, {}, 'value') : constOf('float', [1], [0]);
  const n = numel(shape);
  if (n > MAX_FOLD_ELEMENTS) throw nodeError(node, `constant of shape [${shape.join(', ')}] is too large`);
  const data = new Float64Array(n).fill(v.data[0] ?? 0);
  return constOf(v.kind, shape, v.kind === 'float' ? Float32Array.from(data) : data);
}

function range(ins: Inputs, _a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const [start, limit, delta] = [0, 1, 2].map((i) => req(ins, i, node).data[0]!);
  if (delta === 0) throw nodeError(node, 'delta is 0');
  const n = Math.max(Math.ceil((limit! - start!) / delta!), 0);
  if (n > MAX_FOLD_ELEMENTS) throw nodeError(node, 'range is too long');
  return constOf(req(ins, 0, node).kind, [n], Array.from({ length: n }, (_, i) => start! + i * delta!));
}

function reshape(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  return reshapeTo(x, resolveReshape(x.shape, toNumbers(req(ins, 1, node)), a.int('allowzero', 0) !== 0, node));
}

/** ONNX Reshape target: 0 copies the input dim (unless allowzero), one -1 takes the rest. */
export function resolveReshape(x: readonly number[], target: readonly number[], allowzero: boolean, node: NodeProto): number[] {
  const out = target.map((d, i) => (d === 0 && !allowzero ? x[i]! : d));
  const total = numel(x);
  const free = out.indexOf(-1);
  if (free >= 0) {
    const known = numel(out.filter((_, i) => i !== free));
    if (known === 0 || total % known !== 0) throw nodeError(node, `cannot reshape [${x.join(', ')}] to [${target.join(', ')}]`);
    out[free] = total / known;
  }
  if (numel(out) !== total) throw nodeError(node, `cannot reshape [${x.join(', ')}] to [${target.join(', ')}]`);
  return out;
}

function transpose(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const r = x.shape.length;
  const perm = a.ints('perm') ?? x.shape.map((_, i) => r - 1 - i);
  const shape = perm.map((p) => x.shape[p]!);
  const st = strides(x.shape);
  const out = new Float64Array(numel(shape));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let k = 0; k < r; k++) off += idx[k]! * st[perm[k]!]!;
    out[i] = x.data[off]!;
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return constOf(x.kind, shape, x.kind === 'float' ? Float32Array.from(out) : out);
}

function expand(ins: Inputs, _a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  const shape = broadcastShape([x.shape, toNumbers(req(ins, 1, node))], node);
  if (numel(shape) > MAX_FOLD_ELEMENTS) throw nodeError(node, 'expanded constant is too large');
  const data = broadcastTo(x, shape);
  return constOf(x.kind, shape, x.kind === 'float' ? Float32Array.from(data) : data);
}

function constantNode(_ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const t = a.tensor('value');
  if (t) return tensorToConst(t, {}, node.output?.[0]);
  const f = a.floats('value_floats');
  if (f) return constOf('float', [f.length], f);
  const i = a.ints('value_ints');
  if (i) return constOf('int', [i.length], i);
  if (a.has('value_float')) return constOf('float', [], [a.float('value_float', 0)]);
  if (a.has('value_int')) return constOf('int', [], [a.int('value_int', 0)]);
  throw nodeError(node, `unsupported Constant attribute (${a.names().join(', ')})`);
}

function reduceProd(ins: Inputs, a: NodeAttrs, _o: number, node: NodeProto): ConstTensor {
  const x = req(ins, 0, node);
  if (axesOf(ins, a)?.length) throw nodeError(node, 'only full ReduceProd of constants is folded');
  const keep = a.int('keepdims', 1) !== 0;
  return constOf(x.kind, keep ? x.shape.map(() => 1) : [], [Array.from(x.data).reduce((p, v) => p * v, 1)]);
}

const EVALUATORS: Record<string, Evaluator> = {
  Constant: constantNode,
  Identity: (ins, _a, _o, node) => req(ins, 0, node),
  Dropout: (ins, _a, _o, node) => req(ins, 0, node),
  Cast: cast,
  Gather: gather,
  Concat: concat,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Slice: slice,
  ConstantOfShape: constantOfShape,
  Range: range,
  Reshape: reshape,
  Flatten: (ins, a, _o, node) => {
    const x = req(ins, 0, node);
    const axis = a.int('axis', 1);
    const ax = axis < 0 ? axis + x.shape.length : axis;
    return reshapeTo(x, [numel(x.shape.slice(0, ax)), numel(x.shape.slice(ax))]);
  },
  Transpose: transpose,
  Expand: expand,
  ReduceProd: reduceProd,
  Add: elementwise(first, (x, y) => x! + y!),
  Sub: elementwise(first, (x, y) => x! - y!),
  Mul: elementwise(first, (x, y) => x! * y!),
  Div: (ins, a, o, node) => elementwise(first, ins[0]?.kind === 'float' ? (x, y) => x! / y! : intDiv)(ins, a, o, node),
  Pow: elementwise(first, (x, y) => x! ** y!),
  Max: elementwise(first, Math.max),
  Min: elementwise(first, Math.min),
  // fmod = 1: C's fmod (sign of the dividend, JS's %); 0: Python's mod (sign of the divisor).
  Mod: (ins, a, o, node) =>
    elementwise(first, a.int('fmod', 0) !== 0 ? (x, y) => x! % y! : (x, y) => x! - y! * Math.floor(x! / y!))(ins, a, o, node),
  Neg: elementwise(first, (x) => -x!),
  Abs: elementwise(first, Math.abs),
  Sqrt: elementwise(first, Math.sqrt),
  Floor: elementwise(first, Math.floor),
  Ceil: elementwise(first, Math.ceil),
  Reciprocal: elementwise(first, (x) => 1 / x!),
  Equal: elementwise(bool, (x, y) => (x === y ? 1 : 0)),
  Less: elementwise(bool, (x, y) => (x! < y! ? 1 : 0)),
  LessOrEqual: elementwise(bool, (x, y) => (x! <= y! ? 1 : 0)),
  Greater: elementwise(bool, (x, y) => (x! > y! ? 1 : 0)),
  GreaterOrEqual: elementwise(bool, (x, y) => (x! >= y! ? 1 : 0)),
  Not: elementwise(bool, (x) => (x ? 0 : 1)),
  And: elementwise(bool, (x, y) => (x && y ? 1 : 0)),
  Or: elementwise(bool, (x, y) => (x || y ? 1 : 0)),
  Where: (ins, a, o, node) => elementwise((xs) => xs[1]!.kind, (c, x, y) => (c ? x! : y!))(ins, a, o, node),
};

/** Ops constant folding can evaluate (all-constant inputs required, except Shape and Size). */
export const FOLDABLE_OPS: ReadonlySet<string> = new Set([...Object.keys(EVALUATORS), 'Shape', 'Size']);

/** Evaluates one node over constant inputs; one result per output. */
export function evaluateNode(node: NodeProto, attrs: NodeAttrs, ins: Inputs, opset: number): ConstTensor[] {
  const f = EVALUATORS[node.op_type ?? ''];
  if (!f) throw nodeError(node, 'cannot be evaluated on constants');
  const r = f(ins, attrs, opset, node);
  const out = Array.isArray(r) ? r : [r];
  for (const c of out) if (c.data.length > MAX_FOLD_ELEMENTS) throw nodeError(node, 'folded constant is too large');
  return out;
}
