// The subgraph matcher of TPU-MLIR's OnnxOpt (ReForm.match_pattern): a pattern is a chain of
// node types that must appear one after the other in the graph's node order (constant nodes
// skipped), each input naming an earlier pattern node, a tensor bound from outside the chain, or
// a constant (optionally with a required scalar value). Mul and Add also match with their two
// inputs swapped. Unlike upstream, a chain whose inner results are read outside it never matches
// (upstream would delete nodes that still have readers).
import type { AttributeProto, NodeProto } from '@tpu-quant/ir';
import type { ConstTensor } from '../const-tensor.js';
import { NodeAttrs } from '../node-attrs.js';

/** One input of a pattern node. */
export type PatternInput =
  /** the output of the pattern node at this index */
  | { readonly node: number }
  /** any tensor; the first occurrence binds it, later ones must be the same tensor */
  | { readonly outer: string }
  /** a constant tensor; with `value`, a scalar ([] or [1]) exactly equal to it */
  | { readonly constant: string; readonly value?: number };

export interface PatternNode {
  readonly op: string;
  readonly inputs: readonly PatternInput[];
  /** Attribute checks (upstream's AttrCheck). */
  readonly check?: (attrs: NodeAttrs) => boolean;
}

/** A matched chain: its nodes in pattern order, outer tensors and constants by id. */
export interface Match {
  readonly nodes: readonly NodeProto[];
  readonly tensors: ReadonlyMap<string, string>;
  readonly consts: ReadonlyMap<string, ConstTensor>;
}

/** The single node a matched chain becomes (upstream's dst_nodes, always one here). */
export interface Replacement {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly attributes?: readonly AttributeProto[];
  /** Extra checks that need the shapes of the graph being converted; false keeps the chain. */
  readonly fits?: (shapeOf: (tensor: string) => readonly number[] | undefined) => boolean;
}

export interface Pattern {
  readonly name: string;
  readonly nodes: readonly PatternNode[];
  /** The fused node, or undefined when the constants rule the fusion out. */
  replace(m: Match): Replacement | undefined;
}

/** What the matcher knows of the graph. */
export interface GraphView {
  /** The value of a constant tensor (initializer, Constant node or foldable computation). */
  constant(name: string): ConstTensor | undefined;
  /** Tensor name after looking through removed Cast nodes. */
  resolve(name: string): string;
}

const COMMUTATIVE = new Set(['Mul', 'Add']);

function isScalarEqual(c: ConstTensor, value: number): boolean {
  if (!(c.shape.length === 0 || (c.shape.length === 1 && c.shape[0] === 1))) return false;
  return c.data[0] === value;
}

/** The node's inputs as the pattern sees them (low-opset Clip keeps min/max as attributes). */
function nodeInputs(node: NodeProto, g: GraphView): (string | ConstTensor)[] {
  const ins: (string | ConstTensor)[] = (node.input ?? []).map((x) => (x ? g.resolve(x) : x));
  if (node.op_type === 'Clip' && ins.length === 1) {
    const a = new NodeAttrs(node);
    const lo = a.float('min');
    const hi = a.float('max');
    if (lo !== undefined && hi !== undefined) ins.push(scalar(lo), scalar(hi));
  }
  return ins;
}

function scalar(v: number): ConstTensor {
  return { kind: 'float', shape: [], data: Float32Array.of(v) };
}

interface Bindings {
  tensors: Map<string, string>;
  consts: Map<string, ConstTensor>;
}

function matchInputs(ins: readonly (string | ConstTensor)[], pins: readonly PatternInput[], matched: readonly NodeProto[], b: Bindings, g: GraphView): Bindings | undefined {
  if (ins.length !== pins.length) return undefined;
  const out: Bindings = { tensors: new Map(b.tensors), consts: new Map(b.consts) };
  for (let i = 0; i < pins.length; i++) {
    const p = pins[i]!;
    const x = ins[i]!;
    if ('node' in p) {
      if (typeof x !== 'string' || !(matched[p.node]?.output ?? []).includes(x)) return undefined;
    } else if ('outer' in p) {
      if (typeof x !== 'string' || x === '') return undefined;
      const bound = out.tensors.get(p.outer);
      if (bound !== undefined && bound !== x) return undefined;
      out.tensors.set(p.outer, x);
    } else {
      const c = typeof x === 'string' ? (x ? g.constant(x) : undefined) : x;
      if (!c || (p.value !== undefined && !isScalarEqual(c, p.value))) return undefined;
      out.consts.set(p.constant, c);
      if (typeof x === 'string') out.tensors.set(p.constant, x);
    }
  }
  return out;
}

function matchNode(node: NodeProto, p: PatternNode, matched: readonly NodeProto[], b: Bindings, g: GraphView): Bindings | undefined {
  if (node.op_type !== p.op || (node.domain ?? '') !== '') return undefined;
  const ins = nodeInputs(node, g);
  let r = matchInputs(ins, p.inputs, matched, b, g);
  if (!r && COMMUTATIVE.has(p.op) && ins.length === 2) r = matchInputs([ins[1]!, ins[0]!], p.inputs, matched, b, g);
  if (r && p.check && !p.check(new NodeAttrs(node))) return undefined;
  return r;
}

/**
 * Every match of `pattern` in `nodes` (upstream's greedy scan: a node that breaks a partial
 * chain restarts matching at itself). `skip` marks nodes outside the scan (constants, casts);
 * `readers` counts the readers of each tensor so that chains with outside readers are refused.
 */
export function findMatches(pattern: Pattern, nodes: readonly NodeProto[], skip: (n: NodeProto) => boolean, readers: ReadonlyMap<string, number>, g: GraphView): { match: Match; replacement: Replacement }[] {
  const found: { match: Match; replacement: Replacement }[] = [];
  const empty = (): Bindings => ({ tensors: new Map(), consts: new Map() });
  let chain: NodeProto[] = [];
  let b = empty();
  for (const node of nodes) {
    if (skip(node)) continue;
    let next = matchNode(node, pattern.nodes[chain.length]!, chain, b, g);
    if (!next) {
      chain = [];
      b = empty();
      next = matchNode(node, pattern.nodes[0]!, chain, b, g);
      if (!next) continue;
    }
    chain.push(node);
    b = next;
    if (chain.length < pattern.nodes.length) continue;
    const match: Match = { nodes: chain, tensors: b.tensors, consts: b.consts };
    const replacement = innerResultsPrivate(chain, readers, g) ? pattern.replace(match) : undefined;
    if (replacement) found.push({ match, replacement });
    chain = [];
    b = empty();
  }
  return found;
}

/** Whether the chain's inner results are read only inside the chain (and are no graph outputs). */
function innerResultsPrivate(chain: readonly NodeProto[], readers: ReadonlyMap<string, number>, g: GraphView): boolean {
  const inside = new Map<string, number>();
  for (const n of chain) for (const x of n.input ?? []) if (x) inside.set(g.resolve(x), (inside.get(g.resolve(x)) ?? 0) + 1);
  return chain.slice(0, -1).every((n) => (n.output ?? []).every((o) => !o || (readers.get(o) ?? 0) === (inside.get(o) ?? 0)));
}
