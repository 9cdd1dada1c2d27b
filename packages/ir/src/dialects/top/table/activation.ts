// Activations and other elementwise functions of one input (lowered through LUTs in INT8).
import { bool, enumOf, f64, i64, op, si32, tensor, weight } from '../../op-dsl.js';
import { sameAs } from '../shapes/elementwise.js';
import { roundMode, unary } from './common.js';

export const activationOps = {
  Relu: unary('max(0, x), capped at relu_limit when it is positive', { relu_limit: f64(-1) }),
  LeakyRelu: unary('x for x ≥ 0, alpha·x below', { alpha: f64(), round_mode: roundMode() }),
  PRelu: op({
    summary: 'x for x ≥ 0, slope·x below (slope per channel)',
    operands: { input: tensor(), slope: weight() },
    shape: sameAs(),
  }),
  Elu: unary('x for x > 0, alpha·(eˣ − 1) below', { alpha: f64() }),
  Sigmoid: unary('scale·sigmoid(x) + bias; its logarithm when log', {
    scale: f64(1),
    bias: f64(0),
    log: bool(false),
    round_mode: roundMode(),
  }),
  SiLU: unary('x·sigmoid(x)'),
  Swish: unary('x·sigmoid(beta·x)', { beta: f64(), round_mode: roundMode() }),
  GELU: unary('0.5·x·(1 + erf(x/√2)), or its tanh / sigmoid approximation', {
    round_mode: roundMode(),
    approx_mode: enumOf(['normal', 'tanh', 'sigm'], 'normal'),
  }),
  HardSigmoid: unary('min(max(alpha·x + beta, 0), 1)', { alpha: f64(), beta: f64() }),
  HardSwish: unary('x·hardsigmoid(x; 1/6, 0.5)'),
  Mish: unary('x·tanh(softplus(x))'),
  Tanh: unary('tanh(x)', { round_mode: roundMode() }),
  Exp: unary('eˣ'),
  Log: unary('ln(x)'),
  LogB: unary('log of x to an integer base', { base: i64() }),
  Sqrt: unary('√x'),
  Rsqrt: unary('1/√x'),
  Abs: unary('|x|'),
  Sign: unary('−1, 0 or 1 by the sign of x'),
  Erf: unary('erf(x)'),
  Softplus: unary('ln(eˣ + 1)'),
  Softsign: unary('x / (1 + |x|)'),
  Sin: unary('sin(x)'),
  Cos: unary('cos(x)'),
  Tan: unary('tan(x)'),
  Sinh: unary('sinh(x)'),
  Cosh: unary('cosh(x)'),
  Arccos: unary('arccos(x)'),
  Arctanh: unary('artanh(x)'),
  Floor: unary('⌊x⌋'),
  Ceil: unary('⌈x⌉'),
  Round: unary('x rounded half to even'),
  Softmax: unary('softmax along axis (log-softmax when log), inputs scaled by beta', {
    axis: si32(),
    log: bool(false),
    beta: f64(1),
    round_mode: roundMode(),
  }),
  Lut: op({
    summary: 'y = table[x] for 8-bit x (256 entries)',
    operands: { input: tensor(), table: weight() },
    shape: sameAs(),
  }),
  Cast: unary('Converts between float and quantized element types', { round_mode: roundMode() }),
} as const;
