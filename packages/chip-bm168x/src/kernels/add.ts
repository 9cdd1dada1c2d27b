// tpu.Add (spec deploy.md §3.10 Add): INT8 y = saturate(Σ_i RightShiftRound(q_i · m_i, r_i, HalfUp)),
// a fused ReLU clamping at 0 (relu_limit quantized with the output scale); inputs broadcast
// numpy-style. A float Add sums coeff_i · x_i and rounds to its element type (f32/f16/bf16).
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { addAttrs } from '../dialect/generated/attrs.js';
import { clamp, floatIn, floatOut, mulShiftHalfUp, outShapeOf, quantOf, reluBounds } from './common.js';
import { floatRelu } from './conv2d.js';

/** For each input, the flat offset of every output element (numpy broadcasting, right-aligned). */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  const n = outShape.reduce((p, d) => p * d, 1);
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return undefined;
  const r = outShape.length;
  const pad = r - inShape.length;
  const strides = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = r - 1; i >= pad; i--) {
    const d = inShape[i - pad]!;
    strides[i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  const idx = new Int32Array(n);
  const pos = new Array<number>(r).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let i = r - 1; i >= 0; i--) {
      pos[i]!++;
      off += strides[i]!;
      if (pos[i]! < outShape[i]!) break;
      off -= strides[i]! * pos[i]!;
      pos[i] = 0;
    }
  }
  return idx;
}

export function addKernel(ctx: KernelContext): NdArray {
  const a = addAttrs(ctx.op);
  const shape = outShapeOf(ctx);
  const n = shape.reduce((p, d) => p * d, 1);
  const outQ = quantOf(ctx.outputTypes[0]);
  const out = new Float32Array(n);
  const terms = ctx.inputs.map((_, i) => {
    const x = floatIn(ctx, i);
    return { data: x.data as Float32Array, idx: broadcastIndex(x.shape, shape) };
  });
  if (outQ) {
    const m = a.multipliers ?? terms.map(() => 1);
    const r = a.rshifts ?? terms.map(() => 0);
    const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
    for (let k = 0; k < n; k++) {
      let s = 0;
      terms.forEach((t, i) => {
        s += mulShiftHalfUp(t.data[t.idx ? t.idx[k]! : k]!, m[i]!, r[i]!);
      });
      out[k] = clamp(s + outQ.zeroPoint, lo, hi);
    }
  } else {
    const coeff = a.coeff ?? terms.map(() => 1);
    for (let k = 0; k < n; k++) {
      let s = 0;
      terms.forEach((t, i) => {
        s += coeff[i]! * t.data[t.idx ? t.idx[k]! : k]!;
      });
      out[k] = a.do_relu ? floatRelu(s, a.relu_limit) : s;
    }
  }
  return floatOut(ctx, shape, out);
}
