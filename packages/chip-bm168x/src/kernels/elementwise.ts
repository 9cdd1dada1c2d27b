// The data-movement and table ops: tpu.Lut, tpu.Cast, tpu.Reshape, and the float tpu.Softmax and
// tpu.Active. Float results are rounded to their element type (f32 / f16 / bf16).
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut } from '@tpu-quant/runtime';
import { UserError } from '@tpu-quant/ir';
import { activeAttrs, softmaxAttrs } from '../dialect/generated/attrs.js';
import { roundHalfAwayFromZero, storageRange } from '../quant/rounding.js';
import { quantize } from '../quant/scales.js';
import { ACTIVE_FUNCTIONS } from './active-functions.js';
import { f32Out, floatIn, floatOut, operandData, operandQuant, outShapeOf, quantOf } from './common.js';

/** tpu.Lut: out[i] = table[raw byte of in[i]] (spec §3.10 "Unary activations"). */
export function lutKernel(ctx: KernelContext): NdArray {
  const x = operandData(ctx, 0).data as Float32Array;
  const table = operandData(ctx, 1).data as Float32Array;
  if (table.length !== 256) throw new Error(`tpu.Lut "${ctx.op.name ?? '?'}": the table has ${table.length} entries, not 256`);
  const out = allocOut(ctx, outShapeOf(ctx));
  const od = out.data as Float32Array;
  // the raw byte of an int8 / uint8 code is its two's complement low byte (lutIndex, inlined)
  for (let i = 0; i < x.length; i++) od[i] = table[x[i]! & 255]!;
  return out;
}

/**
 * tpu.Cast (spec §3.6): float → int8/uint8 q = saturate(round_half_away(x / S) + ZP);
 * int8/uint8 → float x = S · (q − ZP) (in f32, then rounded to the float type: dequantizing
 * straight to f16 / bf16 is one cast); float → float rounds to the result type (f32 → f16 / bf16
 * round to nearest even, f16 / bf16 → f32 is exact).
 */
export function castKernel(ctx: KernelContext): NdArray {
  const x = floatIn(ctx, 0).data as Float32Array;
  const inQ = operandQuant(ctx.op, 0);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (outQ && !inQ) {
    // quantize() inlined: round(x / S) half away from zero, + ZP, saturated
    const [lo, hi] = storageRange(outQ);
    const scale = outQ.scale;
    const zp = outQ.zeroPoint;
    const out = allocOut(ctx, outShapeOf(ctx));
    const od = out.data as Float32Array;
    for (let i = 0; i < x.length; i++) {
      const q = roundHalfAwayFromZero(x[i]! / scale) + zp;
      od[i] = q > hi ? hi : q >= lo ? q : lo; // NaN (a float op's 0/0) -> lo, as quantize()
    }
    return out;
  }
  const out = new Float32Array(x.length);
  if (inQ && !outQ) {
    const s = Math.fround(inQ.scale);
    const zp = inQ.zeroPoint;
    for (let i = 0; i < x.length; i++) out[i] = s * (x[i]! - zp);
  } else if (inQ && outQ) {
    // requantizing casts are not produced by this lowering; go through float
    for (let i = 0; i < x.length; i++) out[i] = quantize(inQ.scale * (x[i]! - inQ.zeroPoint), outQ);
  } else out.set(x);
  return floatOut(ctx, outShapeOf(ctx), out);
}

/** tpu.Reshape: the same data, the declared shape. */
export function reshapeKernel(ctx: KernelContext): NdArray {
  return f32Out(outShapeOf(ctx), floatIn(ctx, 0).data as Float32Array);
}

/** tpu.Softmax in float (f64 sums, max subtracted); `log` gives log-softmax. */
export function softmaxKernel(ctx: KernelContext): NdArray {
  const a = softmaxAttrs(ctx.op);
  const x = floatIn(ctx, 0);
  const xd = x.data as Float32Array;
  const rank = x.shape.length;
  const axis = a.axis < 0 ? a.axis + rank : a.axis;
  const len = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = xd.length / (len * inner);
  const out = new Float32Array(xd.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number): number => (o * len + k) * inner + i;
      let mx = -Infinity;
      for (let k = 0; k < len; k++) mx = Math.max(mx, xd[at(k)]!);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(a.beta * (xd[at(k)]! - mx));
      for (let k = 0; k < len; k++) {
        const z = a.beta * (xd[at(k)]! - mx);
        out[at(k)] = a.log ? z - Math.log(sum) : Math.exp(z) / sum;
      }
    }
  }
  return floatOut(ctx, outShapeOf(ctx), out);
}

/** tpu.Active: f(x) elementwise in f64 (active-functions.ts), the result rounded to its type. */
export function activeKernel(ctx: KernelContext): NdArray {
  const a = activeAttrs(ctx.op);
  const make = ACTIVE_FUNCTIONS[a.mode];
  if (!make) throw new UserError('E_UNSUPPORTED_OP', `tpu.Active "${ctx.op.name ?? '?'}" with mode ${a.mode}`, `supported modes: ${Object.keys(ACTIVE_FUNCTIONS).join(', ')}`);
  const f = make(a.coeffs ?? []);
  const x = floatIn(ctx, 0).data as Float32Array;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return floatOut(ctx, outShapeOf(ctx), out);
}
