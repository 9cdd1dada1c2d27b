// top -> ONNX: elementwise arithmetic (n-ary ops fold left to right, as the js kernels do), the
// *Const ops, comparisons and selection, activations and other functions of one input.
import { OnnxDataType, top } from '@tpu-quant/ir';
import type { OpEmit } from './emitter.js';
import { broadcastShapes, fusedRelu, has, inShapeOf, operandAs, shapeOf, Unsupported } from './emitter.js';
import type { Converter } from './ops-nn.js';

/** Present (non-None) operand indices. */
const present = (e: OpEmit): number[] => [...Array(e.arity).keys()].filter((i) => has(e, i));

/**
 * Folds the present operands with `step(acc, next)`; operand j is first scaled by scales[j]
 * (Add/Sub coeff). The result takes the IR shape: reshaped when the sizes agree, else broadcast.
 */
function fold(e: OpEmit, step: (acc: string, next: string) => string, scales?: readonly number[]): string {
  const idx = present(e);
  const term = (j: number): string => {
    const c = scales?.[j];
    const x = e.input(idx[j]!);
    return c === undefined || c === 1 ? x : e.node1('Mul', [x, e.g.scalar(c)]);
  };
  let acc = term(0);
  for (let j = 1; j < idx.length; j++) acc = step(acc, term(j));
  return acc;
}

/** Shape of the folded result: the broadcast of the present operands. */
const foldShape = (e: OpEmit): number[] => broadcastShapes(present(e).map((i) => inShapeOf(e, i)));

function nary(type: string, opts: { reverse?: boolean; scales?: readonly number[]; relu?: { do_relu: boolean; relu_limit: number } } = {}): Converter {
  return (e) => {
    const y = fold(e, (acc, x) => e.node1(type, opts.reverse ? [x, acc] : [acc, x]), opts.scales);
    e.finish(opts.relu ? fusedRelu(e, y, opts.relu) : y, foldShape(e));
  };
}

const add: Converter = (e) => {
  const a = top.addAttrs(e.op);
  nary('Add', { scales: a.coeff, relu: a })(e);
};
const sub: Converter = (e) => {
  const a = top.subAttrs(e.op);
  nary('Sub', { scales: a.coeff, reverse: a.is_reverse, relu: a })(e);
};
const div: Converter = (e) => {
  const a = top.divAttrs(e.op);
  nary('Div', { reverse: a.is_reverse, relu: a })(e);
};

/** x − y·floor(x / y) (torch.remainder: the divisor's sign). */
const remainder: Converter = (e) => {
  const y = fold(e, (p, q) => e.node1('Sub', [p, e.node1('Mul', [q, e.node1('Floor', [e.node1('Div', [p, q])])])]));
  e.finish(y, foldShape(e));
};

/** X op const_val (const_val op X when reversed), with the op's fused relu when it has one. */
function withConst(type: string, read: (e: OpEmit) => { const_val: number; is_reverse?: boolean; do_relu?: boolean; relu_limit?: number }): Converter {
  return (e) => {
    const a = read(e);
    const c = e.g.scalar(a.const_val);
    let y = e.node1(type, a.is_reverse ? [c, e.input(0)] : [e.input(0), c]);
    if (a.do_relu) y = fusedRelu(e, y, { do_relu: true, relu_limit: a.relu_limit ?? -1 });
    e.finish(y, inShapeOf(e, 0));
  };
}

/** One node of the same type on the first operand, plus optional attributes. */
function unary(type: string, attrs?: (e: OpEmit) => Record<string, { f: number } | { i: number }>): Converter {
  return (e) => e.finish(e.node1(type, [e.input(0)], attrs?.(e)), inShapeOf(e, 0));
}

/** A function of x built from several nodes: f(x) returns the result's name. */
function composite(f: (e: OpEmit, x: string) => string): Converter {
  return (e) => e.finish(f(e, e.input(0)), inShapeOf(e, 0));
}

const toBool = (e: OpEmit, x: string): string => e.node1('Cast', [x], { to: { i: OnnxDataType.BOOL } });
const toFloat = (e: OpEmit, x: string): string => e.node1('Cast', [x], { to: { i: OnnxDataType.FLOAT } });

/** A comparison as ONNX nodes on float inputs, giving 0/1 floats. */
function compare(e: OpEmit, mode: string, x: string, y: string): string {
  const logical = (t: string): string => toFloat(e, e.node1(t, [toBool(e, x), toBool(e, y)]));
  switch (mode) {
    case 'Equal': case 'Greater': case 'GreaterOrEqual': case 'Less': case 'LessOrEqual':
      return toFloat(e, e.node1(mode, [x, y]));
    case 'NotEqual': return toFloat(e, e.node1('Not', [e.node1('Equal', [x, y])]));
    case 'And': return logical('And');
    case 'Xor': return logical('Xor');
    case 'Not': return toFloat(e, e.node1('Not', [toBool(e, x)]));
    default: throw new Unsupported(`compare mode ${mode}`);
  }
}

const compareOp: Converter = (e) => {
  const mode = top.compareAttrs(e.op).mode;
  e.finish(compare(e, mode, e.input(0), e.input(1)), mode === 'Not' ? inShapeOf(e, 0) : foldShape(e));
};

const compareConst: Converter = (e) => {
  const a = top.compareConstAttrs(e.op);
  const c = e.g.scalar(a.const_val);
  e.finish(a.inversed ? compare(e, a.mode, c, e.input(0)) : compare(e, a.mode, e.input(0), c), inShapeOf(e, 0));
};

const where: Converter = (e) => {
  const a = top.whereAttrs(e.op);
  const side = (i: number, isConst: boolean, c: number): string => (has(e, i) && !isConst ? e.input(i) : e.g.scalar(c));
  const y = e.node1('Where', [toBool(e, e.input(0)), side(1, a.x_is_const, a.x_const_val), side(2, a.y_is_const, a.y_const_val)]);
  const shapes = [inShapeOf(e, 0)];
  if (has(e, 1) && !a.x_is_const) shapes.push(inShapeOf(e, 1));
  if (has(e, 2) && !a.y_is_const) shapes.push(inShapeOf(e, 2));
  e.finish(y, broadcastShapes(shapes));
};

const maskedFill: Converter = (e) => {
  const a = top.maskedFillAttrs(e.op);
  const c = e.g.scalar(a.const_val);
  const cond = toBool(e, e.input(0));
  const y = e.node1('Where', a.inversed ? [cond, e.input(1), c] : [cond, c, e.input(1)]);
  e.finish(y, broadcastShapes([inShapeOf(e, 0), inShapeOf(e, 1)]));
};

const mul = (e: OpEmit, x: string, y: string): string => e.node1('Mul', [x, y]);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function gelu(e: OpEmit, x: string): string {
  const mode = top.geluAttrs(e.op).approx_mode;
  const s = (v: number): string => e.g.scalar(v);
  if (mode === 'sigm') return mul(e, x, e.node1('Sigmoid', [mul(e, x, s(1.702))]));
  let inner: string;
  if (mode === 'tanh') {
    const cube = mul(e, mul(e, x, x), x);
    inner = e.node1('Tanh', [mul(e, e.node1('Add', [x, mul(e, cube, s(0.044715))]), s(SQRT_2_OVER_PI))]);
  } else {
    // the pattern onnxruntime fuses into one Gelu kernel
    inner = e.node1('Erf', [e.node1('Div', [x, s(Math.SQRT2)])]);
  }
  return mul(e, mul(e, x, e.node1('Add', [inner, s(1)])), s(0.5));
}

/** PRelu: a slope of another rank holding one value per channel applies over axis 1. */
const prelu: Converter = (e) => {
  const x = inShapeOf(e, 0);
  const s = inShapeOf(e, 1);
  const c = x[1] ?? 1;
  const perChannel = s.length !== x.length && s.reduce((p, q) => p * q, 1) === c && x.length >= 2;
  const slope = perChannel ? operandAs(e, 1, x.slice(1).map((d, i) => (i === 0 ? d : 1))) : e.input(1);
  e.finish(e.node1('PRelu', [e.input(0), slope]), x);
};

/** Cast: to an integer type truncates toward zero (float -> int64 -> float); float types pass through. */
const cast: Converter = (e) => {
  const t = e.op.result(0).type;
  const el = t.kind === 'tensor' ? (t.element.kind === 'quant.calibrated' ? t.element.expressed : t.element) : undefined;
  const x = e.input(0);
  e.finish(el?.kind === 'int' ? toFloat(e, e.node1('Cast', [x], { to: { i: OnnxDataType.INT64 } })) : x, inShapeOf(e, 0));
};

/** Lut: table[(round(x) + 256) mod 256], rounding half up like the js kernel's Math.round. */
const lut: Converter = (e) => {
  const s = (v: number): string => e.g.scalar(v);
  const rounded = e.node1('Floor', [e.node1('Add', [e.input(0), s(0.5)])]);
  const idx = e.node1('Mod', [e.node1('Add', [rounded, s(256)]), s(256)], { fmod: { i: 1 } });
  const table = operandAs(e, 1, [256]);
  e.finish(e.node1('Gather', [table, e.node1('Cast', [idx], { to: { i: OnnxDataType.INT64 } })], { axis: { i: 0 } }), inShapeOf(e, 0));
};

const relu: Converter = (e) => {
  const limit = top.reluAttrs(e.op).relu_limit;
  e.finish(fusedRelu(e, e.input(0), { do_relu: true, relu_limit: limit }), inShapeOf(e, 0));
};

const sigmoid: Converter = (e) => {
  const a = top.sigmoidAttrs(e.op);
  let y = e.node1('Sigmoid', [e.input(0)]);
  if (a.scale !== 1) y = mul(e, y, e.g.scalar(a.scale));
  if (a.bias !== 0) y = e.node1('Add', [y, e.g.scalar(a.bias)]);
  if (a.log) y = e.node1('Log', [y]);
  e.finish(y, inShapeOf(e, 0));
};

const clip: Converter = (e) => {
  const a = top.clipAttrs(e.op);
  e.finish(e.node1('Clip', [e.input(0), e.g.scalar(a.min), e.g.scalar(a.max)]), inShapeOf(e, 0));
};

export const ELEMENTWISE_OPS: Record<string, Converter> = {
  Add: add,
  Sub: sub,
  Mul: (e) => nary('Mul', { relu: top.mulAttrs(e.op) })(e),
  Div: div,
  Max: nary('Max'),
  Min: nary('Min'),
  Mod: (e) => e.finish(fold(e, (p, q) => e.node1('Mod', [p, q], { fmod: { i: 1 } })), foldShape(e)),
  Remainder: remainder,
  Pow3: nary('Pow'),
  AddConst: withConst('Add', (e) => top.addConstAttrs(e.op)),
  SubConst: withConst('Sub', (e) => top.subConstAttrs(e.op)),
  MulConst: withConst('Mul', (e) => top.mulConstAttrs(e.op)),
  DivConst: withConst('Div', (e) => top.divConstAttrs(e.op)),
  MaxConst: withConst('Max', (e) => top.maxConstAttrs(e.op)),
  MinConst: withConst('Min', (e) => top.minConstAttrs(e.op)),
  Pow: withConst('Pow', (e) => ({ const_val: top.powAttrs(e.op).exponent })),
  Pow2: withConst('Pow', (e) => ({ const_val: top.pow2Attrs(e.op).const_val, is_reverse: true })),
  Reciprocal: withConst('Div', (e) => ({ ...top.reciprocalAttrs(e.op), is_reverse: true })),
  Clip: clip,
  Compare: compareOp,
  CompareConst: compareConst,
  Where: where,
  MaskedFill: maskedFill,

  Relu: relu,
  LeakyRelu: unary('LeakyRelu', (e) => ({ alpha: { f: top.leakyReluAttrs(e.op).alpha } })),
  Elu: unary('Elu', (e) => ({ alpha: { f: top.eluAttrs(e.op).alpha } })),
  PRelu: prelu,
  Sigmoid: sigmoid,
  SiLU: composite((e, x) => mul(e, x, e.node1('Sigmoid', [x]))),
  Swish: composite((e, x) => mul(e, x, e.node1('Sigmoid', [mul(e, x, e.g.scalar(top.swishAttrs(e.op).beta))]))),
  GELU: composite(gelu),
  HardSigmoid: unary('HardSigmoid', (e) => {
    const a = top.hardSigmoidAttrs(e.op);
    return { alpha: { f: a.alpha }, beta: { f: a.beta } };
  }),
  HardSwish: unary('HardSwish'),
  Mish: composite((e, x) => mul(e, x, e.node1('Tanh', [e.node1('Softplus', [x])]))),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  LogB: composite((e, x) => e.node1('Div', [e.node1('Log', [x]), e.g.scalar(Math.log(top.logBAttrs(e.op).base))])),
  Sqrt: unary('Sqrt'),
  Rsqrt: composite((e, x) => e.node1('Reciprocal', [e.node1('Sqrt', [x])])),
  Abs: unary('Abs'),
  Sign: unary('Sign'),
  Erf: unary('Erf'),
  Softplus: unary('Softplus'),
  Softsign: unary('Softsign'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Tan: unary('Tan'),
  Sinh: unary('Sinh'),
  Cosh: unary('Cosh'),
  Arccos: unary('Acos'),
  Arctanh: unary('Atanh'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Cast: cast,
  Lut: lut,
};
