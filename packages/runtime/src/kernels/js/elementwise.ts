// Elementwise arithmetic with numpy broadcasting, the *Const ops, comparisons and selection.
// n-ary ops fold left to right: Add(a, b, c) = (a + b) + c.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, binaryBroadcast, broadcastTo, f32, size } from '../../tensor.js';

type Bin = (x: number, y: number) => number;

function present(ctx: KernelContext): NdArray[] {
  return ctx.inputs.filter((x): x is NdArray => x !== undefined);
}

function fold(ctx: KernelContext, f: Bin, scales?: readonly number[]): NdArray<'f32'> {
  const xs = present(ctx);
  const what = `${ctx.op.type} "${ctx.op.name ?? '?'}"`;
  const scaled = (i: number): NdArray => {
    const c = scales?.[i];
    if (c === undefined || c === 1) return xs[i]!;
    const d = xs[i]!.data as Float32Array;
    return f32(xs[i]!.shape, d.map((v) => v * c));
  };
  let acc = scaled(0);
  for (let i = 1; i < xs.length; i++) acc = binaryBroadcast(acc, scaled(i), f, what);
  return finish(ctx, acc);
}

/** Shapes the folded result as the IR says (a single input, or an n-ary op of equal shapes). */
function finish(ctx: KernelContext, r: NdArray): NdArray<'f32'> {
  const shape = outShape(ctx);
  const data = size(r.shape) === size(shape) ? (r.data as Float32Array) : broadcastTo(r, shape);
  return f32(shape, data === ctx.inputs[0]?.data ? new Float32Array(data) : data);
}

function withRelu(r: NdArray<'f32'>, a: { do_relu: boolean; relu_limit: number }): NdArray<'f32'> {
  if (a.do_relu) applyRelu(r.data, a.relu_limit);
  return r;
}

jsKernel('Add', (ctx) => {
  const a = top.addAttrs(ctx.op);
  return withRelu(fold(ctx, (x, y) => x + y, a.coeff), a);
});
jsKernel('Sub', (ctx) => {
  const a = top.subAttrs(ctx.op);
  return withRelu(fold(ctx, a.is_reverse ? (x, y) => y - x : (x, y) => x - y, a.coeff), a);
});
jsKernel('Mul', (ctx) => withRelu(fold(ctx, (x, y) => x * y), top.mulAttrs(ctx.op)));
jsKernel('Div', (ctx) => {
  const a = top.divAttrs(ctx.op);
  return withRelu(fold(ctx, a.is_reverse ? (x, y) => y / x : (x, y) => x / y), a);
});
jsKernel('Max', (ctx) => fold(ctx, (x, y) => (x >= y || Number.isNaN(x) ? x : y)));
jsKernel('Min', (ctx) => fold(ctx, (x, y) => (x <= y || Number.isNaN(x) ? x : y)));
// Mod is C's fmod (the float form of ONNX Mod); Remainder is torch.remainder (sign of divisor).
jsKernel('Mod', (ctx) => fold(ctx, (x, y) => x % y));
jsKernel('Remainder', (ctx) => fold(ctx, (x, y) => x - y * Math.floor(x / y)));
jsKernel('Pow3', (ctx) => fold(ctx, (x, y) => Math.pow(x, y)));

/** Applies f to every element of the first input into a new f32 tensor of the output shape. */
export function map(ctx: KernelContext, f: (v: number) => number): NdArray<'f32'> {
  const src = input0(ctx).data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return f32(outShape(ctx), out);
}

jsKernel('AddConst', (ctx) => {
  const a = top.addConstAttrs(ctx.op);
  return withRelu(map(ctx, (v) => v + a.const_val), a);
});
jsKernel('SubConst', (ctx) => {
  const a = top.subConstAttrs(ctx.op);
  const c = a.const_val;
  return withRelu(map(ctx, a.is_reverse ? (v) => c - v : (v) => v - c), a);
});
jsKernel('MulConst', (ctx) => {
  const a = top.mulConstAttrs(ctx.op);
  return withRelu(map(ctx, (v) => v * a.const_val), a);
});
jsKernel('DivConst', (ctx) => {
  const a = top.divConstAttrs(ctx.op);
  const c = a.const_val;
  return withRelu(map(ctx, a.is_reverse ? (v) => c / v : (v) => v / c), a);
});
jsKernel('MaxConst', (ctx) => {
  const c = top.maxConstAttrs(ctx.op).const_val;
  return map(ctx, (v) => (v >= c ? v : c));
});
jsKernel('MinConst', (ctx) => {
  const c = top.minConstAttrs(ctx.op).const_val;
  return map(ctx, (v) => (v <= c ? v : c));
});
jsKernel('Pow', (ctx) => {
  const e = top.powAttrs(ctx.op).exponent;
  return map(ctx, (v) => Math.pow(v, e));
});
jsKernel('Pow2', (ctx) => {
  const c = top.pow2Attrs(ctx.op).const_val;
  return map(ctx, (v) => Math.pow(c, v));
});
jsKernel('Reciprocal', (ctx) => {
  const a = top.reciprocalAttrs(ctx.op);
  return withRelu(map(ctx, (v) => a.const_val / v), a);
});
jsKernel('Clip', (ctx) => {
  const a = top.clipAttrs(ctx.op);
  return map(ctx, (v) => Math.min(Math.max(v, a.min), a.max));
});

const COMPARE: Record<string, Bin> = {
  Equal: (x, y) => +(x === y),
  NotEqual: (x, y) => +(x !== y),
  Greater: (x, y) => +(x > y),
  GreaterOrEqual: (x, y) => +(x >= y),
  Less: (x, y) => +(x < y),
  LessOrEqual: (x, y) => +(x <= y),
  And: (x, y) => +(x !== 0 && y !== 0),
  Xor: (x, y) => +((x !== 0) !== (y !== 0)),
  Not: (x) => +(x === 0),
};

jsKernel('Compare', (ctx) => {
  const f = COMPARE[top.compareAttrs(ctx.op).mode]!;
  return finish(ctx, binaryBroadcast(ctx.inputs[0]!, ctx.inputs[1]!, f, `top.Compare "${ctx.op.name ?? '?'}"`));
});
jsKernel('CompareConst', (ctx) => {
  const a = top.compareConstAttrs(ctx.op);
  const f = COMPARE[a.mode]!;
  const c = a.const_val;
  return map(ctx, a.inversed ? (v) => f(c, v) : (v) => f(v, c));
});

jsKernel('Where', (ctx) => {
  const a = top.whereAttrs(ctx.op);
  const shape = outShape(ctx);
  const cond = broadcastTo(ctx.inputs[0]!, shape);
  const side = (x: NdArray | undefined, isConst: boolean, c: number): Float32Array | number =>
    x && !isConst ? broadcastTo(x, shape) : c;
  const t = side(ctx.inputs[1], a.x_is_const, a.x_const_val);
  const e = side(ctx.inputs[2], a.y_is_const, a.y_const_val);
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    out[i] = cond[i] !== 0 ? (typeof t === 'number' ? t : t[i]!) : typeof e === 'number' ? e : e[i]!;
  }
  return f32(shape, out);
});

jsKernel('MaskedFill', (ctx) => {
  const a = top.maskedFillAttrs(ctx.op);
  const shape = outShape(ctx);
  const cond = broadcastTo(ctx.inputs[0]!, shape);
  const brn = broadcastTo(ctx.inputs[1]!, shape);
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = (cond[i] !== 0) !== a.inversed ? a.const_val : brn[i]!;
  return f32(shape, out);
});
