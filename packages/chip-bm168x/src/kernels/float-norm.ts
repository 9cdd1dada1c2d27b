// Float-only tpu ops (F32 / F16 / BF16 modes; upstream lib/Dialect/Tpu/Interfaces/Common/
// {LayerNorm,Scale,MulConst}.cpp inference): tpu.LayerNorm, tpu.Scale and tpu.MulConst.
// Each computes in f64 from its already rounded inputs (f16 / bf16 weights arrive decoded) and
// rounds its result once to its element type, as the other float tpu kernels do. The exception is
// LayerNorm with a bf16 result: upstream's inference rounds to bf16 after every step
// (`normlize_bf16`), and so does this kernel, with f32 arithmetic in between (Math.fround).
import { shapeSize, type NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { normAxis } from '@tpu-quant/runtime';
import { layerNormAttrs, mulConstAttrs, scaleAttrs } from '../dialect/generated/attrs.js';
import { floatIn, floatNameOf, floatOut, outShapeOf } from './common.js';
import { floatRelu } from './conv2d.js';

const name = (ctx: KernelContext): string => `${ctx.op.type} "${ctx.op.name ?? '?'}"`;

/** Operand i's data when the operand is present (not None), checked to hold `n` values. */
function optionalVector(ctx: KernelContext, i: number, n: number, what: string): Float32Array | undefined {
  if (!ctx.inputs[i]) return undefined;
  const d = floatIn(ctx, i).data as Float32Array;
  // [C] or upstream's [1, …, C]: the same values in the same order
  if (d.length !== n) throw new Error(`${name(ctx)}: ${what} has ${d.length} values, the normalized size is ${n}`);
  return d;
}

/** tpu.LayerNorm: (x − mean)/√(var + eps)·weight + bias over the axes from `axis` on. */
export function layerNormKernel(ctx: KernelContext): NdArray {
  const a = layerNormAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const axis = normAxis(a.axis, x.shape.length);
  const inner = shapeSize(x.shape.slice(axis));
  const outer = inner === 0 ? 0 : xd.length / inner;
  const w = optionalVector(ctx, 1, inner, 'weight');
  const b = optionalVector(ctx, 2, inner, 'bias');
  const out = new Float32Array(xd.length);
  const norm = floatNameOf(ctx.outputTypes[0]) === 'bf16' ? normalizeBF16 : normalize;
  for (let o = 0; o < outer; o++) norm(xd.subarray(o * inner, (o + 1) * inner), out.subarray(o * inner, (o + 1) * inner), w, b, a.eps);
  return floatOut(ctx, outShapeOf(ctx), out);
}

function normalize(x: Float32Array, y: Float32Array, w: Float32Array | undefined, b: Float32Array | undefined, eps: number): void {
  const n = x.length;
  let mean = 0;
  for (let j = 0; j < n; j++) mean += x[j]!;
  mean /= n;
  let v = 0;
  for (let j = 0; j < n; j++) v += (x[j]! - mean) ** 2;
  // eps as upstream reads it: an f32 attribute value
  const rstd = 1 / Math.sqrt(v / n + Math.fround(eps));
  for (let j = 0; j < n; j++) {
    let r = (x[j]! - mean) * rstd;
    if (w) r *= w[j]!;
    if (b) r += b[j]!;
    y[j] = r;
  }
}

const bf16Bits = new Float32Array(1);
const bf16U32 = new Uint32Array(bf16Bits.buffer);

/** f32 `x` rounded to the nearest bf16 (ties to even; NaN stays NaN), as upstream's BF16(). */
export function bf16(x: number): number {
  bf16Bits[0] = x;
  const u = bf16U32[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return NaN;
  bf16U32[0] = ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
  return bf16Bits[0]!;
}

/** upstream `normlize_bf16` (BM168x branch): every intermediate rounded to bf16, f32 sums. */
function normalizeBF16(x: Float32Array, y: Float32Array, w: Float32Array | undefined, b: Float32Array | undefined, eps: number): void {
  const f = Math.fround;
  const n = x.length;
  const avg = bf16(f(1 / n));
  let mean = 0;
  for (let j = 0; j < n; j++) mean = f(mean + f(x[j]! * avg));
  mean = bf16(mean);
  let v = 0;
  for (let j = 0; j < n; j++) {
    const d = bf16(f(x[j]! - mean));
    v = f(v + bf16(f(bf16(f(d * d)) * avg)));
  }
  v = bf16(f(bf16(v) + bf16(f(eps))));
  const rstd = bf16(f(1 / bf16(f(Math.sqrt(v)))));
  for (let j = 0; j < n; j++) {
    let r = bf16(f(x[j]! - mean));
    r = bf16(f(r * rstd));
    if (w) r = bf16(f(r * w[j]!));
    if (b) r = bf16(f(r + b[j]!));
    y[j] = r;
  }
}

/** tpu.Scale: y = x·scale[c] + bias[c] on axis 1, then the fused ReLU. */
export function scaleKernel(ctx: KernelContext): NdArray {
  const a = scaleAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const c = x.shape[1] ?? 1;
  const inner = shapeSize(x.shape.slice(2));
  const s = floatIn(ctx, 1).data as Float32Array;
  const bias = floatIn(ctx, 2).data as Float32Array;
  if (s.length !== c || bias.length !== c) throw new Error(`${name(ctx)}: scale / bias have ${s.length} / ${bias.length} values for ${c} channels`);
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const ch = Math.floor(i / inner) % c;
    const v = xd[i]! * s[ch]! + bias[ch]!;
    out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}

/** tpu.MulConst (float): y = x·const_val, then the fused ReLU. */
export function mulConstKernel(ctx: KernelContext): NdArray {
  const a = mulConstAttrs(ctx.op);
  const x = floatIn(ctx, 0).data as Float32Array;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * a.const_val;
    out[i] = a.do_relu ? floatRelu(v, a.relu_limit) : v;
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}
