// TPU-MLIR's OnnxOpt graph rewrites, run on the prepared ONNX graph before conversion: decomposed
// LayerNorm, GELU, HardSigmoid and HardSwish chains become single nodes, converted to top ops
// named "<last output>_<OpType>" as OnnxConverter names the node upstream's rewrite leaves. The
// patterns are applied in upstream's order until none matches (a fused node can feed a later
// pattern). Constant nodes are skipped and Cast nodes looked through, as upstream's rewriter
// sees the graph after constant folding and Cast removal.
import type { NodeProto } from '@tpu-quant/ir';
import type { ConstTensor } from '../const-tensor.js';
import { geluPatterns } from './gelu.js';
import { hardActivationPatterns } from './hard-activations.js';
import { layerNormPatterns } from './layer-norm.js';
import { findMatches, type GraphView, type Pattern, type Replacement } from './matcher.js';

export type { Pattern } from './matcher.js';

/** Upstream's pattern list order (TorchPixelNormPattern is left out: no top.PixelNorm yet). */
export const ONNX_OPT_PATTERNS: readonly Pattern[] = [...layerNormPatterns, ...hardActivationPatterns, ...geluPatterns];

/** A node the rewrites created, with the original nodes it stands for (in graph order). */
export interface FusedNode {
  readonly pattern: string;
  readonly originals: readonly NodeProto[];
  readonly fits?: Replacement['fits'];
}

export interface OnnxOptResult {
  /** The graph's nodes with each matched chain replaced by its fused node, at the chain's end. */
  readonly nodes: NodeProto[];
  /** The fused nodes among `nodes`. */
  readonly fused: ReadonlyMap<NodeProto, FusedNode>;
}

export interface OnnxOptGraph {
  readonly nodes: readonly NodeProto[];
  /** Graph outputs (they count as readers). */
  readonly outputs: readonly string[];
  /** Tensors that are constant once folding has run (their nodes are skipped). */
  readonly constantTensors: ReadonlySet<string>;
  /** The value of a constant tensor, evaluated on demand. */
  constant(name: string): ConstTensor | undefined;
}

export function optimizeOnnxGraph(graph: OnnxOptGraph, patterns: readonly Pattern[] = ONNX_OPT_PATTERNS): OnnxOptResult {
  const folded = (n: NodeProto): boolean => (n.output ?? []).every((o) => !o || graph.constantTensors.has(o));
  // Upstream removes every Cast (all tensors are float in top); we look through them.
  const castOf = new Map<string, string>();
  const isCast = (n: NodeProto): boolean => n.op_type === 'Cast' && (n.domain ?? '') === '' && !folded(n);
  for (const n of graph.nodes) if (isCast(n) && n.input?.[0] && n.output?.[0]) castOf.set(n.output[0], n.input[0]);
  const resolve = (name: string): string => {
    let x = name;
    for (let seen = 0; castOf.has(x) && seen < castOf.size; seen++) x = castOf.get(x)!;
    return x;
  };
  const view: GraphView = { constant: (name) => graph.constant(name), resolve };
  const skip = (n: NodeProto): boolean => folded(n) || isCast(n);

  let nodes = [...graph.nodes];
  const fused = new Map<NodeProto, FusedNode>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of patterns) {
      const found = findMatches(p, nodes, skip, readerCounts(nodes, graph.outputs, isCast, resolve), view);
      if (found.length === 0) continue;
      changed = true;
      const removed = new Set<NodeProto>();
      const at = new Map<NodeProto, NodeProto>();
      for (const { match, replacement } of found) {
        const last = match.nodes.at(-1)!;
        const node: NodeProto = {
          op_type: replacement.opType,
          name: last.output?.[0] ?? '',
          input: [...replacement.inputs],
          output: [...(last.output ?? [])],
          attribute: [...(replacement.attributes ?? [])],
        };
        // Casts between the chain's nodes go with them (they only feed the chain: its inner
        // results have no other readers).
        const inner = new Set(match.nodes.slice(0, -1).flatMap((n) => n.output ?? []));
        const chain = new Set<NodeProto>(match.nodes);
        for (const n of nodes) if (isCast(n) && inner.has(resolve(n.input![0]!))) chain.add(n);
        const ordered = nodes.filter((n) => chain.has(n));
        const originals = ordered.flatMap((n) => fused.get(n)?.originals ?? [n]);
        fused.set(node, { pattern: p.name, originals, fits: replacement.fits });
        for (const n of ordered) removed.add(n);
        at.set(last, node);
      }
      nodes = nodes.flatMap((n) => (at.has(n) ? [at.get(n)!] : removed.has(n) ? [] : [n]));
    }
  }
  const kept = new Set(nodes);
  for (const n of [...fused.keys()]) if (!kept.has(n)) fused.delete(n);
  return { nodes, fused };
}

function readerCounts(nodes: readonly NodeProto[], outputs: readonly string[], isCast: (n: NodeProto) => boolean, resolve: (x: string) => string): Map<string, number> {
  const readers = new Map<string, number>();
  const add = (x: string): void => {
    if (x) readers.set(resolve(x), (readers.get(resolve(x)) ?? 0) + 1);
  };
  for (const n of nodes) if (!isCast(n)) for (const x of n.input ?? []) add(x);
  for (const o of outputs) add(o);
  return readers;
}
