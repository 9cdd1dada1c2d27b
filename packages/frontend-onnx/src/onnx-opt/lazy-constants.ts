// Values of constant tensors for pattern checks, before the importer's own folding has run:
// initializers and Constant nodes directly, other foldable tensors by evaluating their nodes on
// demand (Shape / Size need the converted graph's shapes and are not evaluated here).
import type { NodeProto } from '@tpu-quant/ir';
import type { ConstTensor } from '../const-tensor.js';
import { evaluateNode } from '../constant-folding.js';
import { NodeAttrs } from '../node-attrs.js';

const MAX_DEPTH = 64;

export function lazyConstants(nodes: readonly NodeProto[], consts: ReadonlyMap<string, ConstTensor>, constantTensors: ReadonlySet<string>, opset: number): (name: string) => ConstTensor | undefined {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const cache = new Map<string, ConstTensor>();
  const get = (name: string, depth: number): ConstTensor | undefined => {
    const hit = consts.get(name) ?? cache.get(name);
    if (hit || !constantTensors.has(name) || depth > MAX_DEPTH) return hit;
    const n = producer.get(name);
    if (!n || n.op_type === 'Shape' || n.op_type === 'Size') return undefined;
    const names = n.input ?? [];
    const ins = names.map((x) => (x ? get(x, depth + 1) : undefined));
    if (ins.some((c, i) => names[i] && !c)) return undefined;
    try {
      evaluateNode(n, new NodeAttrs(n), ins, opset).forEach((c, k) => n.output?.[k] && cache.set(n.output[k]!, c));
    } catch {
      return undefined; // the importer's own folding reports it
    }
    return cache.get(name);
  };
  return (name) => get(name, 0);
}
