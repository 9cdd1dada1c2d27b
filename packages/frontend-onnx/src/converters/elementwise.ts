// Binary arithmetic and activations (OnnxConverter: convert_add_op / sub / mul / div / pow,
// convert_relu_op, convert_clip_op, convert_*sigmoid*, convert_prelu_op, ...). Scalar constants
// become *Const ops exactly where OnnxConverter makes them (Sub, Div, Pow); Add and Mul keep a
// top.Weight operand as OnnxConverter does (TPU-MLIR's canonicalizer folds them later).
import { top, type Value } from '@tpu-quant/ir';
import type { Converter, NodeContext } from './context.js';

/** Add / Mul: a constant left side is swapped to the right. */
function commutative(kind: 'add' | 'mul'): Converter {
  return (ctx) => {
    const swap = ctx.isConst(0) && !ctx.isConst(1);
    const inputs = swap ? [ctx.value(1), ctx.value(0)] : [ctx.value(0), ctx.value(1)];
    const op = kind === 'add'
      ? top.add(ctx.b, { inputs }, {}, { loc: ctx.loc() })
      : top.mul(ctx.b, { inputs }, {}, { loc: ctx.loc() });
    ctx.setOutput(op);
  };
}

const sub: Converter = (ctx) => {
  let op;
  if (ctx.isScalar(0, 1)) {
    op = top.subConst(ctx.b, { input: ctx.value(1) }, { const_val: ctx.scalar(0), is_reverse: true }, { loc: ctx.loc() });
  } else if (ctx.isScalar(1, 0)) {
    op = top.addConst(ctx.b, { input: ctx.value(0) }, { const_val: -ctx.scalar(1) }, { loc: ctx.loc() });
  } else {
    op = top.sub(ctx.b, { inputs: [ctx.value(0), ctx.value(1)] }, {}, { loc: ctx.loc() });
  }
  ctx.setOutput(op);
};

const div: Converter = (ctx) => {
  // top.Div is a float division; integer Div truncates. Refuse rather than compute 7/2 = 3.5.
  const intInput = [0, 1].some((i) => {
    const t = ctx.value(i).type;
    return t.kind === 'tensor' && t.element.kind === 'int';
  });
  if (intInput) throw ctx.unsupported('on integer tensors', "the top dialect divides in float; cast the operands to float in the model");
  let op;
  if (ctx.isScalar(0, 1)) {
    op = top.reciprocal(ctx.b, { input: ctx.value(1) }, { const_val: ctx.scalar(0) }, { loc: ctx.loc() });
  } else if (ctx.isScalar(1, 0)) {
    op = top.mulConst(ctx.b, { input: ctx.value(0) }, { const_val: 1 / ctx.scalar(1) }, { loc: ctx.loc() });
  } else {
    op = top.div(ctx.b, { inputs: [ctx.value(0), ctx.value(1)] }, {}, { loc: ctx.loc() });
  }
  ctx.setOutput(op);
};

const pow: Converter = (ctx) => {
  if (ctx.isScalar(1, 0)) {
    const e = ctx.scalar(1);
    const x = ctx.value(0);
    if (e === 1) return ctx.setOutput(x);
    const op = e === 2
      ? top.mul(ctx.b, { inputs: [x, x] }, {}, { loc: ctx.loc() })
      : top.pow(ctx.b, { input: x }, { exponent: e }, { loc: ctx.loc() });
    return ctx.setOutput(op);
  }
  if (ctx.isScalar(0, 1)) {
    return ctx.setOutput(top.pow2(ctx.b, { input: ctx.value(1) }, { const_val: ctx.scalar(0) }, { loc: ctx.loc() }));
  }
  ctx.setOutput(top.pow3(ctx.b, { inputs: [ctx.value(0), ctx.value(1)] }, {}, { loc: ctx.loc() }));
};

function minMax(kind: 'max' | 'min'): Converter {
  return (ctx) => {
    if (ctx.numInputs !== 2) throw ctx.unsupported(`with ${ctx.numInputs} inputs`, 'two inputs only');
    const inputs = [ctx.value(0), ctx.value(1)];
    ctx.setOutput(kind === 'max' ? top.max(ctx.b, { inputs }, {}, { loc: ctx.loc() }) : top.min(ctx.b, { inputs }, {}, { loc: ctx.loc() }));
  };
}

/** Sum of n inputs: a chain of Adds, the intermediate ones named "<out>_<i>_Sum". */
const sum: Converter = (ctx) => {
  let acc: Value = ctx.value(0);
  for (let i = 1; i < ctx.numInputs; i++) {
    const name = i === ctx.numInputs - 1 ? ctx.loc() : `${ctx.name}_${i}_Sum`;
    acc = top.add(ctx.b, { inputs: [acc, ctx.value(i)] }, { do_relu: false }, { loc: name }).result();
  }
  ctx.setOutput(acc);
};

function unary(build: (ctx: NodeContext, input: Value) => ReturnType<typeof top.relu>): Converter {
  return (ctx) => ctx.setOutput(build(ctx, ctx.value(0)));
}

/** Clip bounds: attributes before opset 11, optional inputs from 11 on. */
function clipBounds(ctx: NodeContext): [number, number] {
  if (ctx.opset < 11) return [ctx.attrs.float('min', -Infinity), ctx.attrs.float('max', Infinity)];
  const min = ctx.param(1, 'min')?.data[0] ?? -Infinity;
  const max = ctx.param(2, 'max')?.data[0] ?? Infinity;
  return [min, max];
}

const clip: Converter = (ctx) => {
  const [min, max] = clipBounds(ctx);
  const op = min === 0 && max > min
    ? top.relu(ctx.b, { input: ctx.value(0) }, { relu_limit: Number.isFinite(max) ? max : -1 }, { loc: ctx.loc() })
    : top.clip(ctx.b, { inputs: ctx.value(0) }, { min, max }, { loc: ctx.loc() });
  ctx.setOutput(op);
};

const prelu: Converter = (ctx) => {
  if (ctx.isScalar(1)) {
    return ctx.setOutput(top.leakyRelu(ctx.b, { input: ctx.value(0) }, { alpha: ctx.scalar(1) }, { loc: ctx.loc() }));
  }
  ctx.setOutput(top.pRelu(ctx.b, { input: ctx.value(0), slope: ctx.value(1) }, {}, { loc: ctx.loc() }));
};

/** Softmax: from opset 13 on one axis (default -1); before, over the flattened axes from `axis` (default 1). */
const softmax: Converter = (ctx) => {
  const x = ctx.value(0);
  const shape = ctx.shape(0);
  const log = ctx.opType === 'LogSoftmax';
  const rank = shape.length;
  let axis = ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  const trailing = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  if (ctx.opset >= 13 || trailing === 1) {
    return ctx.setOutput(top.softmax(ctx.b, { input: x }, { axis, log }, { loc: ctx.loc() }));
  }
  // Old semantics on a real block of axes: flatten to 2-D, softmax, restore.
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const flat = top.reshape(ctx.b, { input: x }, { shape: [outer, shape[axis]! * trailing] }, { loc: ctx.loc('Softmax_flatten') });
  const sm = top.softmax(ctx.b, { input: flat }, { axis: 1, log }, { loc: ctx.loc('Softmax_2d') });
  ctx.setOutput(top.reshape(ctx.b, { input: sm }, { shape }, { loc: ctx.loc() }));
};

export const elementwiseConverters: Record<string, Converter> = {
  Add: commutative('add'),
  Mul: commutative('mul'),
  Sub: sub,
  Div: div,
  Pow: pow,
  Max: minMax('max'),
  Min: minMax('min'),
  Sum: sum,
  Neg: unary((ctx, input) => top.mulConst(ctx.b, { input }, { const_val: -1 }, { loc: ctx.loc() })),
  Reciprocal: unary((ctx, input) => top.reciprocal(ctx.b, { input }, { const_val: 1 }, { loc: ctx.loc() })),
  Relu: unary((ctx, input) => top.relu(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Clip: clip,
  // ONNX's LeakyRelu alpha defaults to 0.01 (OnnxConverter reads a missing alpha as 0).
  LeakyRelu: unary((ctx, input) => top.leakyRelu(ctx.b, { input }, { alpha: ctx.attrs.float('alpha', 0.01) }, { loc: ctx.loc() })),
  PRelu: prelu,
  Sigmoid: unary((ctx, input) => top.sigmoid(ctx.b, { input }, { scale: 1, bias: 0 }, { loc: ctx.loc() })),
  // ONNX's HardSigmoid defaults are alpha 0.2, beta 0.5.
  HardSigmoid: unary((ctx, input) =>
    top.hardSigmoid(ctx.b, { input }, { alpha: ctx.attrs.float('alpha', 0.2), beta: ctx.attrs.float('beta', 0.5) }, { loc: ctx.loc() })),
  HardSwish: unary((ctx, input) => top.hardSwish(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Tanh: unary((ctx, input) => top.tanh(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Erf: unary((ctx, input) => top.erf(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Exp: unary((ctx, input) => top.exp(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Log: unary((ctx, input) => top.log(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Sqrt: unary((ctx, input) => top.sqrt(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Abs: unary((ctx, input) => top.abs(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Elu: unary((ctx, input) => top.elu(ctx.b, { input }, { alpha: ctx.attrs.float('alpha', 1) }, { loc: ctx.loc() })),
  Softplus: unary((ctx, input) => top.softplus(ctx.b, { input }, {}, { loc: ctx.loc() })),
  Softmax: softmax,
  LogSoftmax: softmax,
};
