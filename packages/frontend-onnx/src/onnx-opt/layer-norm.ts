// torch.nn.LayerNorm as PyTorch exports it (OnnxOpt's TorchLayerNormPattern):
//   ReduceMean(x) -> Sub(x, mean) -> Pow(d, 2) -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, std)
//   [-> Mul(weight) -> Add(bias)]
// becomes one LayerNormalization(x[, weight, bias]) with axis = axes[0], epsilon = eps. Upstream
// checks that both ReduceMeans reduce trailing axes ending at -1; we also require the same axes
// for both and keepdims, and a weight / bias that spans exactly the normalized dims, so that the
// fused op computes what the chain did.
import type { ConstTensor } from '../const-tensor.js';
import type { NodeAttrs } from '../node-attrs.js';
import { floatAttr, intAttr } from './attributes.js';
import type { Match, Pattern, PatternNode, Replacement } from './matcher.js';

/** Upstream's is_last_dims: consecutive axes ending at -1. */
function lastDims(attrs: NodeAttrs): boolean {
  const axes = attrs.ints('axes');
  if (!axes || axes.length === 0 || attrs.int('keepdims', 1) === 0) return false;
  return axes.at(-1) === -1 && axes.every((a, i) => i === 0 || a - axes[i - 1]! === 1);
}

const chain: readonly PatternNode[] = [
  { op: 'ReduceMean', inputs: [{ outer: 'x' }], check: lastDims },
  { op: 'Sub', inputs: [{ outer: 'x' }, { node: 0 }] },
  { op: 'Pow', inputs: [{ node: 1 }, { constant: 'pow', value: 2 }] },
  { op: 'ReduceMean', inputs: [{ node: 2 }], check: lastDims },
  { op: 'Add', inputs: [{ node: 3 }, { constant: 'eps' }] },
  { op: 'Sqrt', inputs: [{ node: 4 }] },
  { op: 'Div', inputs: [{ node: 1 }, { node: 5 }] },
];
const affine: readonly PatternNode[] = [
  ...chain,
  { op: 'Mul', inputs: [{ node: 6 }, { constant: 'weight' }] },
  { op: 'Add', inputs: [{ node: 7 }, { constant: 'bias' }] },
];

function axesOf(m: Match, i: number): number[] {
  const a = m.nodes[i]!.attribute?.find((x) => x.name === 'axes');
  return (a?.ints ?? []).map(Number);
}

/** A per-element affine operand: covers the normalized dims exactly, 1 on the others. */
function spansNormalized(c: ConstTensor, shape: readonly number[], axis: number): boolean {
  const r = shape.length;
  if (c.shape.length > r || c.shape.length < -axis) return false;
  const off = r - c.shape.length;
  return c.shape.every((d, j) => (j + off < r + axis ? d === 1 : d === shape[j + off]));
}

function replace(m: Match, withAffine: boolean): Replacement | undefined {
  const axes = axesOf(m, 0);
  const axes2 = axesOf(m, 3);
  const eps = m.consts.get('eps')!;
  if (axes.length !== axes2.length || axes.some((a, i) => a !== axes2[i]) || eps.data.length !== 1) return undefined;
  const axis = axes[0]!;
  const x = m.tensors.get('x')!;
  const inputs = withAffine ? [x, m.tensors.get('weight')!, m.tensors.get('bias')!] : [x];
  return {
    opType: 'LayerNormalization',
    inputs,
    attributes: [intAttr('axis', axis), floatAttr('epsilon', eps.data[0]!)],
    fits: (shapeOf) => {
      const s = shapeOf(x);
      if (!s || s.length < -axis) return false;
      return !withAffine || (spansNormalized(m.consts.get('weight')!, s, axis) && spansNormalized(m.consts.get('bias')!, s, axis));
    },
  };
}

export const layerNormPatterns: readonly Pattern[] = [
  { name: 'layernorm_aff', nodes: affine, replace: (m) => replace(m, true) },
  { name: 'layernorm', nodes: chain, replace: (m) => replace(m, false) },
];
