// tpu.Add (spec deploy.md §3.10 Add): INT8 y = saturate(Σ_i RightShiftRound(q_i · m_i, r_i, HalfUp)),
// a fused ReLU clamping at 0 (relu_limit quantized with the output scale); inputs broadcast
// numpy-style. A float Add sums coeff_i · x_i and rounds to its element type (f32/f16/bf16).
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut } from '@tpu-quant/runtime';
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
  const inputs = ctx.inputs.map((_, i) => {
    const x = floatIn(ctx, i);
    return { data: x.data as Float32Array, idx: broadcastIndex(x.shape, shape) };
  });
  if (outQ) {
    const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
    const zp = outQ.zeroPoint;
    const terms = inputs.map((x, i) => shiftTerm(x.data, x.idx, a.multipliers?.[i] ?? 1, a.rshifts?.[i] ?? 0));
    const out = allocOut(ctx, shape);
    const od = out.data as Float32Array;
    const [t0, t1] = terms;
    if (terms.length === 2 && t0!.safe && t1!.safe && t0!.r > 0 && t1!.r > 0 && !t0!.idx && !t1!.idx) {
      addPair(od, t0!, t1!, zp, lo, hi); // the common residual Add, in one pass
      return out;
    }
    const sum = zeroedScratch(n);
    for (const t of terms) addShifted(sum, t);
    for (let k = 0; k < n; k++) od[k] = clamp(sum[k]! + zp, lo, hi);
    return out;
  }
  // float: terms added in input order into f64, as a per-element sum would
  const sum = zeroedScratch(n);
  inputs.forEach((x, i) => addScaled(sum, x.data, x.idx, a.coeff?.[i] ?? 1));
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = a.do_relu ? floatRelu(sum[k]!, a.relu_limit) : sum[k]!;
  return floatOut(ctx, shape, out);
}

/** One input's requant term, mulShiftHalfUp(q, m, r), as floor((q·m + half) · scale). */
interface ShiftTerm {
  readonly data: Float32Array;
  readonly idx: Int32Array | undefined;
  readonly m: number;
  readonly r: number;
  readonly half: number;
  readonly scale: number;
  /** Every q·m of this input is a safe integer, so the inline form is mulShiftHalfUp's own. */
  readonly safe: boolean;
}

/**
 * While q·m is a safe integer, mulShiftHalfUp computes floor((q·m + 2^(r−1)) / 2^r), or q·m·2^−r
 * when r ≤ 0; dividing by 2^r and multiplying by 2^−r are the same operation on doubles.
 */
function shiftTerm(data: Float32Array, idx: Int32Array | undefined, m: number, r: number): ShiftTerm {
  let maxAbs = 0;
  for (let k = 0; k < data.length; k++) maxAbs = Math.max(maxAbs, Math.abs(data[k]!));
  return { data, idx, m, r, half: r > 0 ? 2 ** (r - 1) : 0, scale: 2 ** -r, safe: maxAbs * Math.abs(m) <= Number.MAX_SAFE_INTEGER };
}

/** out = clamp(term0 + term1 + zp, lo, hi), both terms safe, unbroadcast and with r > 0. */
function addPair(out: Float32Array, t0: ShiftTerm, t1: ShiftTerm, zp: number, lo: number, hi: number): void {
  const { data: x0, m: m0, half: h0, scale: s0 } = t0;
  const { data: x1, m: m1, half: h1, scale: s1 } = t1;
  for (let k = 0; k < out.length; k++) {
    const v = Math.floor((x0[k]! * m0 + h0) * s0) + Math.floor((x1[k]! * m1 + h1) * s1) + zp;
    out[k] = v < lo ? lo : v > hi ? hi : v;
  }
}

function addShifted(sum: Float64Array, t: ShiftTerm): void {
  const { data, idx, m, r, half, scale, safe } = t;
  for (let k = 0; k < sum.length; k++) {
    const q = data[idx ? idx[k]! : k]!;
    sum[k] += !safe ? mulShiftHalfUp(q, m, r) : r > 0 ? Math.floor((q * m + half) * scale) : q * m * scale;
  }
}

/** sum[k] += c · x[k] (x[idx[k]] when broadcast). */
function addScaled(sum: Float64Array, x: Float32Array, idx: Int32Array | undefined, c: number): void {
  for (let k = 0; k < sum.length; k++) sum[k] += c * x[idx ? idx[k]! : k]!;
}

// one f64 scratch per thread, grown as needed: a fresh large array per run costs more than the sums
let scratch = new Float64Array(0);
function zeroedScratch(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  const s = scratch.subarray(0, n);
  s.fill(0);
  return s;
}
