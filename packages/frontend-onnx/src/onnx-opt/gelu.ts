// GELU as PyTorch exports it (OnnxOpt's TorchGELUPattern / TorchGELUPattern2):
//   erf form:  Div(x, √2) -> Erf -> Add(1) -> Mul(x, ·) -> Mul(0.5)
//   tanh form: Mul(x, 0.5), Pow(x, 3) -> Mul(0.044715) -> Add(x, ·) -> Mul(√(2/π)) -> Tanh
//              -> Add(1) -> Mul(half, ·)
// both become one GELU(x), converted to top.GELU at "<output>_GELU". Upstream accepts any
// constant for √2, 0.044715 and √(2/π) and makes the tanh form an erf GELU; we require those
// constants (to float32 precision) and keep the tanh form's approximation (approx_mode tanh),
// so the fused op computes what the chain did.
import type { ConstTensor } from '../const-tensor.js';
import { stringAttr } from './attributes.js';
import type { Pattern, Replacement } from './matcher.js';

function scalarNear(c: ConstTensor | undefined, v: number): boolean {
  if (!c || c.data.length !== 1 || c.shape.length > 1) return false;
  return Math.abs(c.data[0]! - v) <= 1e-6 * Math.abs(v);
}

function gelu(x: string, mode: 'normal' | 'tanh'): Replacement {
  return { opType: 'GELU', inputs: [x], attributes: [stringAttr('approx_mode', mode)] };
}

export const geluPatterns: readonly Pattern[] = [
  {
    name: 'GELU',
    nodes: [
      { op: 'Div', inputs: [{ outer: 'x' }, { constant: 'sqrt2' }] },
      { op: 'Erf', inputs: [{ node: 0 }] },
      { op: 'Add', inputs: [{ node: 1 }, { constant: 'one', value: 1 }] },
      { op: 'Mul', inputs: [{ outer: 'x' }, { node: 2 }] },
      { op: 'Mul', inputs: [{ node: 3 }, { constant: 'half', value: 0.5 }] },
    ],
    replace: (m) => (scalarNear(m.consts.get('sqrt2'), Math.SQRT2) ? gelu(m.tensors.get('x')!, 'normal') : undefined),
  },
  {
    name: 'GELU',
    nodes: [
      { op: 'Mul', inputs: [{ outer: 'x' }, { constant: 'half', value: 0.5 }] },
      { op: 'Pow', inputs: [{ outer: 'x' }, { constant: 'three', value: 3 }] },
      { op: 'Mul', inputs: [{ node: 1 }, { constant: 'c1' }] },
      { op: 'Add', inputs: [{ outer: 'x' }, { node: 2 }] },
      { op: 'Mul', inputs: [{ node: 3 }, { constant: 'c2' }] },
      { op: 'Tanh', inputs: [{ node: 4 }] },
      { op: 'Add', inputs: [{ node: 5 }, { constant: 'one', value: 1 }] },
      { op: 'Mul', inputs: [{ node: 0 }, { node: 6 }] },
    ],
    replace: (m) =>
      scalarNear(m.consts.get('c1'), 0.044715) && scalarNear(m.consts.get('c2'), Math.sqrt(2 / Math.PI)) ? gelu(m.tensors.get('x')!, 'tanh') : undefined,
  },
];
