// HardSigmoid / HardSwish as PyTorch exports them (OnnxOpt's TorchHardSigmoidPattern,
// TorchHardSwishPattern, TorchHardSwishPattern2):
//   Add(x, 3) -> Clip(0, 6) -> Div(6)                    => HardSigmoid(x; 1/6, 0.5)
//   HardSigmoid(x; alpha = f32(1/6), beta = 0.5) -> Mul(x, ·)  => HardSwish(x)
//   Add(x, 3) -> Clip(0, 6) -> Mul(x, ·) -> Div(6)       => HardSwish(x)
// Clip's bounds are inputs (opset 11+) or min/max attributes (older opsets).
import type { NodeAttrs } from '../node-attrs.js';
import { floatAttr } from './attributes.js';
import type { Pattern } from './matcher.js';

/** float32(1/6), the alpha PyTorch exports and upstream's check compares with exactly. */
const F32_SIXTH = Math.fround(1 / 6);

// ONNX defaults alpha 0.2, beta 0.5, as upstream's attribute getter fills them in.
const isTorchHardSigmoid = (a: NodeAttrs): boolean => a.float('alpha', 0.2) === F32_SIXTH && a.float('beta', 0.5) === 0.5;

export const hardActivationPatterns: readonly Pattern[] = [
  {
    name: 'HardSigmoid',
    nodes: [
      { op: 'Add', inputs: [{ outer: 'x' }, { constant: 'three', value: 3 }] },
      { op: 'Clip', inputs: [{ node: 0 }, { constant: 'lo', value: 0 }, { constant: 'hi', value: 6 }] },
      { op: 'Div', inputs: [{ node: 1 }, { constant: 'six', value: 6 }] },
    ],
    // The fused node carries OnnxConverter's defaults for an attribute-less HardSigmoid (1/6 as
    // a double), which, as upstream, is not the float32 1/6 the HardSwish pattern asks for.
    replace: (m) => ({ opType: 'HardSigmoid', inputs: [m.tensors.get('x')!], attributes: [floatAttr('alpha', 1 / 6), floatAttr('beta', 0.5)] }),
  },
  {
    name: 'hardswish',
    nodes: [
      { op: 'HardSigmoid', inputs: [{ outer: 'x' }], check: isTorchHardSigmoid },
      { op: 'Mul', inputs: [{ outer: 'x' }, { node: 0 }] },
    ],
    replace: (m) => ({ opType: 'HardSwish', inputs: [m.tensors.get('x')!] }),
  },
  {
    name: 'hardswish',
    nodes: [
      { op: 'Add', inputs: [{ outer: 'x' }, { constant: 'three', value: 3 }] },
      { op: 'Clip', inputs: [{ node: 0 }, { constant: 'lo', value: 0 }, { constant: 'hi', value: 6 }] },
      { op: 'Mul', inputs: [{ outer: 'x' }, { node: 1 }] },
      { op: 'Div', inputs: [{ node: 2 }, { constant: 'six', value: 6 }] },
    ],
    replace: (m) => ({ opType: 'HardSwish', inputs: [m.tensors.get('x')!] }),
  },
];
