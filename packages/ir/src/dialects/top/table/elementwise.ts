// Elementwise arithmetic: n-ary ops with broadcasting, ops with a scalar constant, comparisons.
import type { OpDecl } from '../../op-dsl.js';
import { bool, enumOf, f64, f64Array, fuseRelu, op, optional, tensor, variadic } from '../../op-dsl.js';
import { broadcastInputs, broadcastOf, sameAs } from '../shapes/elementwise.js';
import { COMPARE_MODES, isScalar, unary } from './common.js';

const inputs = { inputs: variadic(tensor()) };

function nary(summary: string, attrs: OpDecl['attrs'] = {}): OpDecl {
  return op({ summary, operands: inputs, attrs, shape: broadcastInputs });
}

/** X op const_val; `reversible` ops also compute const_val op X. */
function withConst(summary: string, opts: { relu: boolean; reversible: boolean }): OpDecl {
  return unary(summary, {
    const_val: f64(),
    ...(opts.reversible ? { is_reverse: bool(false) } : {}),
    ...(opts.relu ? fuseRelu : {}),
    is_scalar: isScalar(),
  });
}

export const elementwiseOps = {
  Add: nary('Sum of the inputs, broadcast; coeff scales each input', {
    ...fuseRelu,
    coeff: optional(f64Array()),
    is_scalar: isScalar(),
  }),
  Sub: nary('inputs[0] − inputs[1], broadcast (reversed when is_reverse)', {
    is_reverse: bool(false),
    ...fuseRelu,
    coeff: optional(f64Array()),
    is_scalar: isScalar(),
  }),
  Mul: nary('Product of the inputs, broadcast', { ...fuseRelu, is_scalar: isScalar() }),
  Div: nary('inputs[0] / inputs[1], broadcast (reversed when is_reverse)', {
    is_reverse: bool(false),
    ...fuseRelu,
    is_scalar: isScalar(),
  }),
  Max: nary('Elementwise maximum of the inputs, broadcast'),
  Min: nary('Elementwise minimum of the inputs, broadcast'),
  Mod: nary('Elementwise modulo, broadcast'),
  Remainder: nary('x − y·floor(x / y) (torch.remainder), broadcast'),
  Pow3: nary('inputs[0] ^ inputs[1], broadcast'),
  AddConst: withConst('X + const_val', { relu: true, reversible: false }),
  SubConst: withConst('X − const_val, or const_val − X when is_reverse', { relu: true, reversible: true }),
  MulConst: withConst('X · const_val', { relu: true, reversible: false }),
  DivConst: withConst('X / const_val, or const_val / X when is_reverse', { relu: true, reversible: true }),
  MaxConst: withConst('max(X, const_val)', { relu: false, reversible: false }),
  MinConst: withConst('min(X, const_val)', { relu: false, reversible: false }),
  Pow: unary('X ^ exponent', { exponent: f64() }),
  Pow2: unary('const_val ^ X', { const_val: f64() }),
  Reciprocal: unary('const_val / X', { const_val: f64(1), ...fuseRelu }),
  Clip: op({
    summary: 'Clamps to [min, max]',
    operands: { inputs: tensor() },
    attrs: { min: f64(), max: f64() },
    shape: sameAs('inputs'),
  }),
  Compare: op({
    summary: 'Elementwise comparison of lhs and rhs, broadcast (1 where true, else 0)',
    operands: { lhs: tensor(), rhs: tensor() },
    attrs: { mode: enumOf(COMPARE_MODES) },
    shape: broadcastOf('lhs', 'rhs'),
  }),
  CompareConst: unary('Elementwise comparison with const_val (const_val first when inversed)', {
    mode: enumOf(COMPARE_MODES),
    const_val: f64(),
    inversed: bool(),
    is_scalar: isScalar(),
  }),
  Where: op({
    summary: 'cond ? tbrn : fbrn, broadcast; a None branch is the constant x/y_const_val',
    operands: { cond: tensor(), tbrn: optional(tensor()), fbrn: optional(tensor()) },
    attrs: { x_is_const: bool(false), y_is_const: bool(false), x_const_val: f64(0), y_const_val: f64(0) },
    shape: broadcastOf('cond', 'tbrn', 'fbrn'),
  }),
  MaskedFill: op({
    summary: 'const_val where cond holds (or does not, when inversed), else brn',
    operands: { cond: tensor(), brn: tensor() },
    attrs: { inversed: bool(), const_val: f64() },
    shape: broadcastOf('cond', 'brn'),
  }),
} as const;
