// Graph preparation before anything is built: initializers and graph inputs, output cut points
// (TPU-MLIR's --output_names), dead-node pruning, topological order, and the single
// unsupported-op report.
import { UserError } from '@tpu-quant/ir';
import type { ConstTensor } from './const-tensor.js';
import { FOLDABLE_OPS } from './constant-folding.js';
import { tensorToConst, type TensorSource } from './model-loader.js';
import { NodeAttrs, nodeLabel } from './node-attrs.js';
import type { ModelProto, NodeProto, ValueInfoProto } from '@tpu-quant/ir';

export interface GraphInput {
  readonly name: string;
  readonly elemType: number;
  /** Dims as declared; undefined for a symbolic or missing dim. */
  readonly dims: (number | undefined)[];
}

export interface PreparedGraph {
  readonly inputs: GraphInput[];
  readonly outputs: string[];
  /** Live nodes in topological order. */
  readonly nodes: NodeProto[];
  readonly consts: Map<string, ConstTensor>;
  readonly opset: number;
}

export function defaultOpset(model: ModelProto): number {
  const v = model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  return v === undefined ? 1 : Number(v);
}

function inputOf(v: ValueInfoProto): GraphInput {
  const t = v.type?.tensor_type;
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && Number(d.dim_value) > 0 ? Number(d.dim_value) : undefined));
  return { name: v.name ?? '', elemType: Number(t?.elem_type ?? 1), dims };
}

export function prepareGraph(model: ModelProto, modelName: string, outputNames: readonly string[] | undefined, src: TensorSource): PreparedGraph {
  const g = model.graph!;
  const opset = defaultOpset(model);
  const consts = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', tensorToConst(t, src));
  // UltraFace-style models also list every initializer as a graph input: those are weights.
  const inputs = (g.input ?? []).filter((v) => !consts.has(v.name ?? '')).map(inputOf);
  const producers = new Map<string, NodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) producers.set(o, n);

  const known = (name: string): boolean => consts.has(name) || inputs.some((i) => i.name === name) || producers.has(name);
  let outputs: string[];
  if (outputNames && outputNames.length > 0) {
    const missing = outputNames.filter((o) => !known(o));
    if (missing.length > 0) {
      throw new UserError('E_OUTPUT_NAME', `output names not found in model ${modelName}: ${missing.join(', ')}`, 'output_names must name tensors of the ONNX graph');
    }
    outputs = [...outputNames];
  } else {
    outputs = (g.output ?? []).map((o) => o.name ?? '').filter((o) => !consts.has(o));
  }
  const live = liveNodes(outputs, producers);
  const nodes = topoSort((g.node ?? []).filter((n) => live.has(n)), new Set([...consts.keys(), ...inputs.map((i) => i.name)]), modelName);
  checkSupported(nodes, new Set(consts.keys()), modelName);
  return { inputs, outputs, nodes, consts, opset };
}

function liveNodes(outputs: readonly string[], producers: Map<string, NodeProto>): Set<NodeProto> {
  const live = new Set<NodeProto>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const n = producers.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const i of n.input ?? []) if (i) stack.push(i);
  }
  return live;
}

/** Kahn's algorithm, keeping the file's order among ready nodes. */
export function topoSort(nodes: readonly NodeProto[], available: Set<string>, modelName: string): NodeProto[] {
  const waiting = new Map<string, NodeProto[]>();
  const missing = new Map<NodeProto, number>();
  const ready: number[] = [];
  const index = new Map(nodes.map((n, i) => [n, i]));
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  nodes.forEach((n, i) => {
    const need = new Set((n.input ?? []).filter((x) => x && !available.has(x)));
    for (const x of need) {
      if (!produced.has(x)) {
        throw new UserError('E_ONNX_GRAPH', `node "${nodeLabel(n)}" (${n.op_type}) reads tensor "${x}" that no node, input or initializer of model ${modelName} provides`, 'the graph is incomplete; re-export the model');
      }
      const list = waiting.get(x) ?? [];
      list.push(n);
      waiting.set(x, list);
    }
    missing.set(n, need.size);
    if (need.size === 0) ready.push(i);
  });
  const out: NodeProto[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const n = nodes[ready.shift()!]!;
    out.push(n);
    for (const o of n.output ?? []) {
      for (const m of waiting.get(o) ?? []) {
        const left = missing.get(m)! - 1;
        missing.set(m, left);
        if (left === 0) ready.push(index.get(m)!);
      }
      waiting.delete(o);
    }
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((n) => !out.includes(n)).slice(0, 5).map(nodeLabel);
    throw new UserError('E_ONNX_GRAPH', `the graph of model ${modelName} has a cycle (through ${stuck.join(', ')})`, 'ONNX graphs must be acyclic; re-export the model');
  }
  return out;
}

/** Ops whose nodes the importer turns into top ops (see converters/index.ts); filled there. */
export const convertible = new Set<string>();

/** Which node outputs are constant once folding has run (Shape is, since every shape is static). */
export function predictConstants(nodes: readonly NodeProto[], consts: ReadonlySet<string>): Set<string> {
  const known = new Set(consts);
  for (const n of nodes) {
    const op = n.op_type ?? '';
    const ins = (n.input ?? []).filter((x) => x);
    const foldable = op === 'Shape' || op === 'Size' || (FOLDABLE_OPS.has(op) && ins.every((x) => known.has(x)));
    if (foldable && (n.domain ?? '') === '') for (const o of n.output ?? []) if (o) known.add(o);
  }
  return known;
}

/** One error listing every op the importer cannot handle, with the nodes that use it. */
function checkSupported(nodes: readonly NodeProto[], consts: ReadonlySet<string>, modelName: string): void {
  const constant = predictConstants(nodes, consts);
  const bad = new Map<string, string[]>();
  for (const n of nodes) {
    const op = n.op_type ?? '';
    const folded = (n.output ?? []).every((o) => !o || constant.has(o));
    const custom = (n.domain ?? '') !== '' && n.domain !== 'ai.onnx';
    const subgraph = new NodeAttrs(n).hasGraph();
    if ((folded || convertible.has(op)) && !custom && !subgraph) continue;
    const key = custom ? `${n.domain}.${op}` : op;
    const list = bad.get(key) ?? [];
    list.push(nodeLabel(n));
    bad.set(key, list);
  }
  if (bad.size === 0) return;
  const parts = [...bad].map(([op, ns]) => `${op} (node ${ns.slice(0, 3).join(', ')}${ns.length > 3 ? `, … ${ns.length} in all` : ''})`);
  throw new UserError('E_UNSUPPORTED_OP', `unsupported ops in model ${modelName}: ${parts.join(', ')}`, 'see SUPPORTED_ONNX_OPS; simplify the model (onnx-simplifier) or cut it with output_names before these nodes');
}

/** Op types of a model with their node counts, in first-use order. */
export function listOnnxOps(model: ModelProto): { opType: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const n of model.graph?.node ?? []) {
    const op = (n.domain ?? '') !== '' && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op_type}` : n.op_type ?? '';
    counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  return [...counts].map(([opType, count]) => ({ opType, count }));
}
