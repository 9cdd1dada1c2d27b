// Activations and other functions of one input. Computed in f64 (JS numbers), stored as f32.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { erf, roundHalfEven, sigmoid, softplus } from '../../math.js';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { broadcastTo, f32 } from '../../tensor.js';
import { map } from './elementwise.js';

const unary = (op: string, f: (v: number) => number): void => jsKernel(op, (ctx) => map(ctx, f));

jsKernel('Relu', (ctx) => {
  const limit = top.reluAttrs(ctx.op).relu_limit;
  return map(ctx, (v) => {
    const r = v > 0 ? v : 0;
    return limit > 0 && r > limit ? limit : r;
  });
});
jsKernel('LeakyRelu', (ctx) => {
  const alpha = top.leakyReluAttrs(ctx.op).alpha;
  return map(ctx, (v) => (v >= 0 ? v : alpha * v));
});
jsKernel('Elu', (ctx) => {
  const alpha = top.eluAttrs(ctx.op).alpha;
  return map(ctx, (v) => (v > 0 ? v : alpha * Math.expm1(v)));
});
jsKernel('Sigmoid', (ctx) => {
  const a = top.sigmoidAttrs(ctx.op);
  return map(ctx, (v) => {
    const y = a.scale * sigmoid(v) + a.bias;
    return a.log ? Math.log(y) : y;
  });
});
jsKernel('Swish', (ctx) => {
  const beta = top.swishAttrs(ctx.op).beta;
  return map(ctx, (v) => v * sigmoid(beta * v));
});
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
jsKernel('GELU', (ctx) => {
  const mode = top.geluAttrs(ctx.op).approx_mode;
  if (mode === 'tanh') return map(ctx, (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
  if (mode === 'sigm') return map(ctx, (v) => v * sigmoid(1.702 * v));
  return map(ctx, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
});
jsKernel('HardSigmoid', (ctx) => {
  const a = top.hardSigmoidAttrs(ctx.op);
  return map(ctx, (v) => Math.min(Math.max(a.alpha * v + a.beta, 0), 1));
});
jsKernel('LogB', (ctx) => {
  const lnBase = Math.log(top.logBAttrs(ctx.op).base);
  return map(ctx, (v) => Math.log(v) / lnBase);
});

unary('SiLU', (v) => v * sigmoid(v));
unary('HardSwish', (v) => v * Math.min(Math.max(v / 6 + 0.5, 0), 1));
unary('Mish', (v) => v * Math.tanh(softplus(v)));
unary('Tanh', Math.tanh);
unary('Exp', Math.exp);
unary('Log', Math.log);
unary('Sqrt', Math.sqrt);
unary('Rsqrt', (v) => 1 / Math.sqrt(v));
unary('Abs', Math.abs);
unary('Sign', (v) => Math.sign(v));
unary('Erf', erf);
unary('Softplus', softplus);
unary('Softsign', (v) => v / (1 + Math.abs(v)));
unary('Sin', Math.sin);
unary('Cos', Math.cos);
unary('Tan', Math.tan);
unary('Sinh', Math.sinh);
unary('Cosh', Math.cosh);
unary('Arccos', Math.acos);
unary('Arctanh', Math.atanh);
unary('Floor', Math.floor);
unary('Ceil', Math.ceil);
unary('Round', roundHalfEven);

/** PRelu: a slope of the input's rank broadcasts as numpy; a shorter one is per channel (axis 1). */
jsKernel('PRelu', (ctx: KernelContext): NdArray => {
  const x = input0(ctx);
  const slope = ctx.inputs[1]!;
  const shape = outShape(ctx);
  const xd = x.data as Float32Array;
  let s: Float32Array;
  const c = x.shape[1] ?? 1;
  if (slope.shape.length !== x.shape.length && slope.data.length === c && x.shape.length >= 2) {
    const per = [1, c, ...new Array<number>(x.shape.length - 2).fill(1)];
    s = broadcastTo(f32(per, slope.data as Float32Array), x.shape);
  } else {
    s = broadcastTo(slope, x.shape);
  }
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i]! >= 0 ? xd[i]! : xd[i]! * s[i]!;
  return f32(shape, out);
});

/** Cast: float data stays f32; a cast to an integer type truncates toward zero (ONNX Cast). */
jsKernel('Cast', (ctx) => {
  const t = ctx.outputTypes[0];
  const el = t?.element.kind === 'quant.calibrated' ? t.element.expressed : t?.element;
  if (el?.kind === 'int') return map(ctx, Math.trunc);
  return map(ctx, (v) => v);
});

/** Lut: y = table[x] for 8-bit x; signed inputs index from −128 at table[128]. */
jsKernel('Lut', (ctx) => {
  const table = ctx.inputs[1]!.data as Float32Array;
  return map(ctx, (v) => table[(Math.round(v) + 256) % 256]!);
});
