// Fast paths of the INT8 element-wise tpu kernels for the runtime's `wasm` backend: MulShift,
// AddConst, Mul, Add, Cast, RequantInt, RequantIntAxis and the int32 Deconv. Their results are the
// js kernels' (arith.ts, add.ts, elementwise.ts, requant.ts, deconv.ts; those stay the reference),
// code for code:
// - ops of one 8-bit input (MulShift, AddConst, RequantInt, dequantizing Cast, each term of Add)
//   first try a table over the 384 codes −128..255, each entry the js kernel's own expression for
//   that code, so one lookup per element; a value that is no such code (or −0, which a float result
//   tells from +0) sends the op to the arithmetic below;
// - the arithmetic computes the js kernels' double expressions with the per-op constants (2^r,
//   bounds, per-channel parameters) hoisted and no per-element index math, after one check that
//   every product stays an exact integer (mulShiftHalfUp's "safe" branch); past that, undefined:
//   the js kernel runs (BigInt products);
// - a group-1 Deconv whose sums stay below 2^24 runs the runtime's wasm f32 GEMM (exact there),
//   others loop over taps in js; the int32 result is a fresh array, as the js kernel's;
// - the table lookups, Cast, the residual Add, Mul and RequantIntAxis run on the WebAssembly SIMD
//   kernels of wasm-eltwise8.ts first where those take the data (same expressions, exact).
// Results go to the session's pooled memory (`allocOut`) instead of a fresh array per run (large
// fresh arrays cost more in garbage collection than the arithmetic).
import type { NdArray, Value } from '@tpu-quant/ir';
import { boolAttr, ndarray, Op, shapeSize } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut, getKernel } from '@tpu-quant/runtime';
import { addAttrs, addConstAttrs, deconvAttrs, mulAttrs, mulShiftAttrs, requantIntAttrs, requantIntAxisAttrs } from '../dialect/generated/attrs.js';
import { mulRightShiftRound, rightShiftRound, storageRange } from '../quant/rounding.js';
import { exactWeight, floatIn, floatNameOf, mulShiftHalfUp, operandData, operandQuant, outShapeOf, quantOf, reluBounds, roundFloatInPlace } from './common.js';
import { convGeometry } from './conv2d.js';
import { expandTo } from './fast-broadcast.js';
import { addPairWasm, codeLookupWasm, dequantizeWasm, eltwiseWasmOn, lutWasm, mulPairWasm, quantizeWasm, requantAxisWasm } from './wasm-eltwise8.js';

/** Bound under which every product and sum below is an exact double integer (margin under 2^53). */
const SAFE = 2 ** 52;

/** max |d[i]|; NaN when an element is NaN (so no bound test passes). */
export function maxAbs(d: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]!);
    if (a > m) m = a;
    else if (a !== a) return NaN;
  }
  return m;
}

/**
 * The js kernel's result copied into `out` (memory this call already took from the session, which
 * may be a caller's offered buffer): for data past a fast path's exact ranges.
 */
function jsInto(ctx: KernelContext, out: NdArray): NdArray {
  (out.data as Float32Array).set(getKernel(ctx.op.type, 'js')!.run(ctx)[0]!.data as Float32Array);
  return out;
}

/** Every int8 and uint8 code, −128..255: entry k of a code table is for code k − 128. */
const CODES = Float64Array.from({ length: 384 }, (_, k) => k - 128);

/** A table of `f` over CODES; undefined when `f` throws for a code (the data may not hold it). */
function codeTable(f: (q: number) => number, into: Float64Array = new Float64Array(384)): Float64Array | undefined {
  try {
    for (let k = 0; k < 384; k++) into[k] = f(CODES[k]!);
  } catch {
    return undefined;
  }
  return into;
}

/**
 * out[i] = tab[x[i] + 128] while x[i] is an integer code in −128..255 (not −0: a float result may
 * tell it from +0); false at the first other value (out then partly written). The wasm lookup
 * (wasm-eltwise8.ts) runs first; this loop where it declines.
 */
function lookup(x: ArrayLike<number>, tab: Float64Array, out: Float32Array): boolean {
  if (x instanceof Float32Array && codeLookupWasm(x, tab, out)) return true;
  for (let i = 0; i < x.length; i++) {
    const q = x[i]!;
    const k = q + 128;
    const j = k | 0;
    if (j !== k || j >>> 0 >= 384 || (j === 128 && 1 / q < 0)) return false;
    out[i] = tab[j]!;
  }
  return true;
}

/** A table of f32 values rounded in place to the float type `name` (through an f32 copy). */
function roundTable(name: string | undefined, tab: Float64Array): void {
  const f = Float32Array.from(tab);
  roundFloatInPlace(name, f);
  tab.set(f);
}

const clampTo = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * y[i] = clamp(mulShiftHalfUp(x[i]·m + c, 1, r) + zp, lo, hi) with x[i]·m + c exact (the caller
 * checked): mulShiftHalfUp's safe branch, floor((p + 2^(r−1)) / 2^r) for r > 0, p·2^−r else.
 */
function requantLoop(x: ArrayLike<number>, from: number, to: number, zx: number, m: number, c: number, r: number, zp: number, lo: number, hi: number, out: Float32Array): void {
  if (r > 0) {
    const half = 2 ** (r - 1);
    const inv = 2 ** -r; // dividing by 2^r and multiplying by 2^−r are one operation on doubles
    for (let i = from; i < to; i++) {
      const v = Math.floor(((x[i]! - zx) * m + c + half) * inv) + zp;
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    const up = 2 ** -r;
    for (let i = from; i < to; i++) {
      const v = ((x[i]! - zx) * m + c) * up + zp;
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** tpu.MulShift: y = clamp(RightShiftRound((q − zx)·m, r, HalfUp) + zy) (arith.ts mulShiftKernel). */
export function mulShiftFast(ctx: KernelContext): NdArray | undefined {
  const a = mulShiftAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ) return undefined;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const x = floatIn(ctx, 0).data as Float32Array;
  const [lo, hi] = storageRange(outQ);
  const out = allocOut(ctx, outShapeOf(ctx));
  // arith.ts mulShiftKernel's expression, per code
  const tab = codeTable((q) => clampTo(mulShiftHalfUp(q - zx, a.multiplier, a.rshift) + outQ.zeroPoint, lo, hi));
  if (tab && lookup(x, tab, out.data)) return out;
  if (!((maxAbs(x) + Math.abs(zx)) * Math.abs(a.multiplier) <= SAFE)) return jsInto(ctx, out);
  requantLoop(x, 0, x.length, zx, a.multiplier, 0, a.rshift, outQ.zeroPoint, lo, hi, out.data);
  return out;
}

/**
 * tpu.Lut (elementwise.ts lutKernel) on the wasm lookup; the js kernel where the table has not 256
 * entries (it reports that), the tensor is small, or the lookup declines (|x| ≥ 2^31).
 */
export function lutFast(ctx: KernelContext): NdArray | undefined {
  const x = operandData(ctx, 0).data;
  const table = operandData(ctx, 1).data as Float32Array;
  if (!(x instanceof Float32Array) || table.length !== 256 || !eltwiseWasmOn(x.length)) return undefined;
  const out = allocOut(ctx, outShapeOf(ctx));
  return lutWasm(x, table, out.data) ? out : jsInto(ctx, out);
}

/** INT8 tpu.AddConst: y = clamp(RightShiftRound((q − zx)·m + c, r, HalfUp) + zy), ReLU bounds (arith.ts). */
export function addConstInt8Fast(ctx: KernelContext): NdArray | undefined {
  const a = addConstAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ) return undefined;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const x = floatIn(ctx, 0).data as Float32Array;
  const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
  const out = allocOut(ctx, outShapeOf(ctx));
  // arith.ts addConstKernel's expression, per code
  const tab = codeTable((q) => clampTo(mulShiftHalfUp((q - zx) * a.multiplier + a.const_val, 1, a.rshift) + outQ.zeroPoint, lo, hi));
  if (tab && lookup(x, tab, out.data)) return out;
  if (!((maxAbs(x) + Math.abs(zx)) * Math.abs(a.multiplier) + Math.abs(a.const_val) <= SAFE)) return jsInto(ctx, out);
  requantLoop(x, 0, x.length, zx, a.multiplier, a.const_val, a.rshift, outQ.zeroPoint, lo, hi, out.data);
  return out;
}

/** INT8 tpu.Mul: y = clamp(RightShiftRound(q1·q2·m, r, HalfUp) + zy), inputs broadcast (arith.ts). */
export function mulInt8Fast(ctx: KernelContext): NdArray | undefined {
  const a = mulAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ || ctx.inputs.length !== 2) return undefined;
  const shape = outShapeOf(ctx);
  const x0 = floatIn(ctx, 0);
  const x1 = floatIn(ctx, 1);
  const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
  const zp = outQ.zeroPoint;
  const m = a.multiplier;
  const r = a.rshift;
  // wasm f64 lanes (the loops' expressions below); their bound check on the maxima it reports
  if (eltwiseWasmOn(shapeSize(shape))) {
    const out = allocOut(ctx, shape);
    const seen = mulPairWasm(expandTo(x0, shape, 0), expandTo(x1, shape, 1), m, r, zp, lo, hi, out.data);
    if (seen) return seen[0] * seen[1] * Math.abs(m) <= SAFE ? out : jsInto(ctx, out);
  }
  if (!(maxAbs(x0.data as Float32Array) * maxAbs(x1.data as Float32Array) * Math.abs(m) <= SAFE)) return undefined;
  const d0 = expandTo(x0, shape, 0);
  const d1 = expandTo(x1, shape, 1);
  const out = allocOut(ctx, shape);
  const od = out.data;
  if (r > 0) {
    const half = 2 ** (r - 1);
    const inv = 2 ** -r;
    for (let k = 0; k < od.length; k++) {
      const v = Math.floor((d0[k]! * d1[k]! * m + half) * inv) + zp;
      od[k] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    const up = 2 ** -r;
    for (let k = 0; k < od.length; k++) {
      const v = d0[k]! * d1[k]! * m * up + zp;
      od[k] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return out;
}

/** INT8 tpu.Add: y = clamp(Σ RightShiftRound(q_i·m_i, r_i, HalfUp) + zy), inputs broadcast (add.ts). */
export function addInt8Fast(ctx: KernelContext): NdArray | undefined {
  const a = addAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (!outQ || ctx.inputs.length < 1 || ctx.inputs.length > 4) return undefined;
  const shape = outShapeOf(ctx);
  const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
  const zp = outQ.zeroPoint;
  const out = allocOut(ctx, shape);
  const od = out.data;
  const inputs = ctx.inputs.map((_, i) => expandTo(floatIn(ctx, i), shape, i));
  const ms = inputs.map((_, i) => a.multipliers?.[i] ?? 1);
  const rs = inputs.map((_, i) => a.rshifts?.[i] ?? 0);
  // the residual Add in wasm f64 lanes (addPair's expression below), when its bound check passes
  if (inputs.length === 2 && rs[0]! > 0 && rs[1]! > 0) {
    const term = (i: number) => ({ m: ms[i]!, half: 2 ** (rs[i]! - 1), scale: 2 ** -rs[i]! });
    const seen = addPairWasm(inputs[0]!, inputs[1]!, term(0), term(1), zp, lo, hi, od);
    if (seen && seen[0] * Math.abs(ms[0]!) <= SAFE && seen[1] * Math.abs(ms[1]!) <= SAFE) return out;
  }
  // each input's term per code (mulShiftHalfUp: add.ts's value for it); integer sums are exact
  if (inputs.length === 2) {
    const t0 = codeTable((q) => mulShiftHalfUp(q, ms[0]!, rs[0]!), addTab0);
    const t1 = codeTable((q) => mulShiftHalfUp(q, ms[1]!, rs[1]!), addTab1);
    if (t0 && t1 && lookup2(inputs[0]!, inputs[1]!, t0, t1, zp, lo, hi, od)) return out;
  }
  const terms: { d: Float32Array; m: number; half: number; scale: number; pos: boolean }[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const m = ms[i]!;
    const r = rs[i]!;
    if (!(maxAbs(inputs[i]!) * Math.abs(m) <= SAFE)) return jsInto(ctx, out);
    terms.push({ d: inputs[i]!, m, half: r > 0 ? 2 ** (r - 1) : 0, scale: 2 ** -r, pos: r > 0 });
  }
  const [t0, t1] = terms;
  if (terms.length === 2 && t0!.pos && t1!.pos) {
    // the residual Add: add.ts addPair's expression
    const { d: x0, m: m0, half: h0, scale: s0 } = t0!;
    const { d: x1, m: m1, half: h1, scale: s1 } = t1!;
    for (let k = 0; k < od.length; k++) {
      const v = Math.floor((x0[k]! * m0 + h0) * s0) + Math.floor((x1[k]! * m1 + h1) * s1) + zp;
      od[k] = v < lo ? lo : v > hi ? hi : v;
    }
    return out;
  }
  // add.ts addShifted: an f64 sum from 0, term by term in input order, then the zero point
  for (let k = 0; k < od.length; k++) {
    let s = 0;
    for (const t of terms) {
      const q = t.d[k]!;
      s += t.pos ? Math.floor((q * t.m + t.half) * t.scale) : q * t.m * t.scale;
    }
    const v = s + zp;
    od[k] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

const addTab0 = new Float64Array(384);
const addTab1 = new Float64Array(384);

/** out[k] = clamp(t0[x0[k]] + t1[x1[k]] + zp) while both are 8-bit codes; false at the first other value. */
function lookup2(x0: Float32Array, x1: Float32Array, t0: Float64Array, t1: Float64Array, zp: number, lo: number, hi: number, out: Float32Array): boolean {
  for (let i = 0; i < out.length; i++) {
    const k0 = x0[i]! + 128;
    const k1 = x1[i]! + 128;
    const j0 = k0 | 0;
    const j1 = k1 | 0;
    if (j0 !== k0 || j1 !== k1 || j0 >>> 0 >= 384 || j1 >>> 0 >= 384) return false;
    const v = t0[j0]! + t1[j1]! + zp;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return true;
}

/**
 * tpu.Cast (elementwise.ts castKernel): float → int8/uint8 with round half away from zero
 * (roundHalfAwayFromZero inlined, −0 made +0 as it does), int8/uint8 → float S·(q − ZP) stored as
 * f32 then rounded to the float type, float → float rounded. Requantizing casts: the js kernel.
 */
export function castFast(ctx: KernelContext): NdArray | undefined {
  const inQ = operandQuant(ctx.op, 0);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (inQ && outQ) return undefined;
  const x = floatIn(ctx, 0).data as Float32Array;
  const out = allocOut(ctx, outShapeOf(ctx));
  const od = out.data;
  if (outQ) {
    const [lo, hi] = storageRange(outQ);
    const scale = outQ.scale;
    const zp = outQ.zeroPoint;
    if (quantizeWasm(x, scale, zp, lo, hi, od)) return out; // the same expression in f64 lanes
    for (let i = 0; i < x.length; i++) {
      const v = x[i]! / scale;
      const t = Math.trunc(v);
      const f = v - t;
      // ±1 from the comparisons as numbers, not branches (random fractions mispredict: 5x slower);
      // t + 0 turns a −0 into +0, as the js kernel's rounding does
      const q = t + +(f >= 0.5) - +(f <= -0.5) + zp;
      od[i] = q > hi ? hi : q >= lo ? q : lo; // NaN -> lo, as the js kernel
    }
    return out;
  }
  if (inQ) {
    const s = Math.fround(inQ.scale);
    const zp = inQ.zeroPoint;
    // f32 lanes: S·(q − ZP) with an exact difference is the double product rounded once
    if (dequantizeWasm(x, s, zp, od)) {
      roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), od);
      return out;
    }
    // the code's value as an f32, rounded to the float type: the same per code as per element
    const tab = codeTable((q) => Math.fround(s * (q - zp)))!;
    roundTable(floatNameOf(ctx.outputTypes[0]), tab);
    if (lookup(x, tab, od)) return out;
    for (let i = 0; i < x.length; i++) od[i] = s * (x[i]! - zp);
  } else od.set(x);
  roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), od);
  return out;
}

/**
 * Per-channel (or one) requant, y = clamp(zp + RightShiftRound((x − zx)·m, r, mode)) on exact
 * products (requant.ts). HalfUp and HalfAwayFromZero with 0 < r ≤ 52 inline rightShiftRound:
 * floor((p + 2^(r−1)) / 2^r), and for HalfAwayFromZero −floor((2^(r−1) − p) / 2^r) when p < 0 (the
 * half of a negative value goes down); every sum stays below 2^53, so exact. Other modes call it.
 */
function requantModeLoop(
  x: ArrayLike<number>, from: number, to: number, zx: number, m: number, r: number, mode: Parameters<typeof rightShiftRound>[2],
  zp: number, lo: number, hi: number, out: Float32Array,
): void {
  const inline = r > 0 && r <= 52 && (mode === 'HalfUp' || mode === 'HalfAwayFromZero');
  if (!inline) {
    for (let i = from; i < to; i++) {
      const v = zp + rightShiftRound((x[i]! - zx) * m, r, mode);
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return;
  }
  const half = 2 ** (r - 1);
  const inv = 2 ** -r;
  const away = mode === 'HalfAwayFromZero';
  for (let i = from; i < to; i++) {
    const p = (x[i]! - zx) * m;
    const q = away && p < 0 ? -Math.floor((half - p) * inv) : Math.floor((p + half) * inv);
    const v = zp + (q === 0 ? 0 : q);
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** tpu.RequantInt (MultiplierShift): y = clamp(zy + RightShiftRound((x − zx)·m, r, mode)). */
export function requantIntFast(ctx: KernelContext): NdArray | undefined {
  const a = requantIntAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (a.quant_mode !== 'MultiplierShift' || !outQ) return undefined;
  const x = operandData(ctx, 0).data as ArrayLike<number>;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const [lo, hi] = storageRange(outQ);
  const out = allocOut(ctx, outShapeOf(ctx));
  // requant.ts's expression per code
  const tab = codeTable((q) => clampTo(outQ.zeroPoint + mulRightShiftRound(q - zx, a.multiplier, a.rshift, a.round_mode), lo, hi));
  if (tab && lookup(x, tab, out.data)) return out;
  if (!((maxAbs(x) + Math.abs(zx)) * Math.abs(a.multiplier) <= SAFE)) return jsInto(ctx, out);
  requantModeLoop(x, 0, x.length, zx, a.multiplier, a.rshift, a.round_mode, outQ.zeroPoint, lo, hi, out.data);
  return out;
}

/** tpu.RequantIntAxis (MultiplierShift on axis 1): quant = [m, −r, zp] per channel (requant.ts). */
export function requantIntAxisFast(ctx: KernelContext): NdArray | undefined {
  const a = requantIntAxisAttrs(ctx.op);
  const outQ = quantOf(ctx.outputTypes[0]);
  if (a.quant_mode !== 'MultiplierShift' || a.fuse_rq_axis || a.rq_axis !== 1 || !outQ) return undefined;
  const x = operandData(ctx, 0).data as ArrayLike<number>;
  const quant = exactWeight(ctx, 1);
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const shape = outShapeOf(ctx);
  const c = shape[1]!;
  if (!quant || quant.length < 3 * c) return undefined;
  const inner = shapeSize(shape.slice(2));
  let maxM = 0;
  for (let ch = 0; ch < c; ch++) maxM = Math.max(maxM, Math.abs(quant[3 * ch]!));
  const mx = maxAbs(x);
  if (!((mx + Math.abs(zx)) * maxM <= SAFE)) return undefined;
  const [lo, hi] = storageRange(outQ);
  const out = allocOut(ctx, shape);
  // the inline rounding modes in wasm f64 lanes (requantModeLoop's expressions); an int32 input
  // (the INT8 Deconv's) goes in as f32, exact while |x| ≤ 2^24
  const asF32 = x instanceof Float32Array || (x instanceof Int32Array && mx <= 2 ** 24);
  if ((a.round_mode === 'HalfUp' || a.round_mode === 'HalfAwayFromZero') && asF32) {
    const per = (j: number): number[] => Array.from({ length: c }, (_, ch) => quant[3 * ch + j]!);
    const shifts = per(1).map((v) => -v);
    if (requantAxisWasm(x, inner, c, per(0), shifts, per(2), zx, a.round_mode === 'HalfAwayFromZero', lo, hi, out.data)) return out;
  }
  for (let base = 0, ch = 0; base < x.length; base += inner, ch = ch + 1 === c ? 0 : ch + 1) {
    requantModeLoop(x, base, base + inner, zx, quant[3 * ch]!, -quant[3 * ch + 1]!, a.round_mode, quant[3 * ch + 2]!, lo, hi, out.data);
  }
  return out;
}

/**
 * INT8 tpu.Deconv (the int32 accumulator; deconv.ts): per output channel and filter tap, the
 * input planes of the group weighted by that tap and summed over input channels (contiguous
 * loops), then that plane added into the output at the tap's offset (strides, pads, dilations
 * clipped). Sums of integer products are exact in any order, so the accumulator equals the js
 * kernel's scatter.
 */
export function deconvInt8Fast(ctx: KernelContext): NdArray | undefined {
  if (ctx.outputTypes[0]?.element.kind !== 'int' || !operandQuant(ctx.op, 0)) return undefined;
  const a = deconvAttrs(ctx.op);
  if (a.kernel_shape.length !== 2) return undefined;
  const xd = floatIn(ctx, 0).data as Float32Array;
  const w = exactWeight(ctx, 1) ?? (operandData(ctx, 1).data as Float32Array);
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const zx = operandQuant(ctx.op, 0)?.zeroPoint ?? 0;
  const { n, ic, ih, iw, shape, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, icg, ocg } = convGeometry(ctx, a);
  // exact integer sums: every |partial sum| ≤ Σ|x − zx|·|w| over the whole filter
  const sumBound = (integralMaxAbs(xd) + Math.abs(zx)) * maxAbs(w) * icg * kh * kw;
  if (a.group === 1 && sumBound <= 2 ** 24) {
    const y = deconvOnWasmGemm(ctx, xd, zx, w, shape);
    if (y) return withBias(y, bias, oc, oh * ow, shape);
  }
  if (!(sumBound + maxAbs(bias ?? []) <= SAFE)) return undefined;
  const plane = ih * iw;
  const acc = accScratch(n * oc * oh * ow);
  const xz = rowScratch(ic * plane);
  const tap = tapScratch(plane);
  for (let b = 0; b < n; b++) {
    const xBase = b * ic * plane;
    for (let i = 0; i < ic * plane; i++) xz[i] = xd[xBase + i]! - zx;
    for (let o = 0; o < oc; o++) {
      const c0 = Math.floor(o / ocg) * icg;
      const outBase = (b * oc + o) * oh * ow;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          tap.fill(0);
          let any = false;
          for (let cc = 0; cc < icg; cc++) {
            const wv = w[((o * icg + cc) * kh + ky) * kw + kx]!;
            if (wv === 0) continue;
            any = true;
            const cb = (c0 + cc) * plane;
            for (let i = 0; i < plane; i++) tap[i] += xz[cb + i]! * wv;
          }
          if (!any) continue;
          // input (y, x) lands on (y·sh − pt + ky·dh, x·sw − pl + kx·dw) when inside the output
          const offY = ky * dh - pt;
          const offX = kx * dw - pl;
          const y0 = Math.max(0, Math.ceil(-offY / sh)), y1 = Math.min(ih, Math.floor((oh - 1 - offY) / sh) + 1);
          const x0 = Math.max(0, Math.ceil(-offX / sw)), x1 = Math.min(iw, Math.floor((ow - 1 - offX) / sw) + 1);
          for (let y = y0; y < y1; y++) {
            const row = outBase + (y * sh + offY) * ow + offX;
            for (let x = x0, t = y * iw + x0; x < x1; x++, t++) acc[row + x * sw] += tap[t]!;
          }
        }
      }
    }
  }
  return withBias(acc, bias, oc, oh * ow, shape);
}

/** The int32 result: accumulators plus the bias of their channel (a fresh array, as the js kernel). */
function withBias(acc: ArrayLike<number>, bias: ArrayLike<number> | undefined, oc: number, plane: number, shape: readonly number[]): NdArray {
  const out = new Int32Array(acc.length);
  for (let i = 0, ch = 0; i < out.length; i += plane, ch = ch + 1 === oc ? 0 : ch + 1) {
    const bv = bias ? bias[ch]! : 0;
    for (let k = i; k < i + plane; k++) out[k] = acc[k]! + bv;
  }
  return ndarray('i32', shape, out);
}

/** max |d[i]|, NaN when an element is not an integer (or is NaN). */
function integralMaxAbs(d: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (Math.floor(v) !== v) return NaN;
    const a = Math.abs(v);
    if (a > m) m = a;
  }
  return m;
}

/** Per op: the top.Deconv it runs as on the runtime's wasm kernel, and its f32 filter (remade when the source array changes). */
const deconvAdapters = new WeakMap<Op, { op: Op; source: ArrayLike<number>; w: NdArray }>();

/**
 * The accumulators of a group-1 INT8 Deconv from the runtime's wasm top.Deconv (one f32 GEMM of
 * the filter and the codes minus their zero point, then col2im), bias left out. Exact: the caller
 * checked that the codes are integers and that every sum of products reaching an output stays
 * below 2^24 in magnitude, where f32 holds every integer, so each product, FMA and sum in any
 * order is the exact integer. Undefined without a wasm top.Deconv that takes it.
 */
function deconvOnWasmGemm(ctx: KernelContext, xd: Float32Array, zx: number, w: ArrayLike<number>, shape: readonly number[]): Float32Array | undefined {
  const kernel = getKernel('top.Deconv', 'wasm');
  if (!kernel) return undefined;
  let ad = deconvAdapters.get(ctx.op);
  if (!ad || ad.source !== w) {
    const standIn = (v: Value, type: string): Value => new Op(type, { resultTypes: [v.type] }).result(0);
    const op = new Op('top.Deconv', {
      loc: ctx.op.loc,
      operands: [standIn(ctx.op.operands[0]!, 'top.Input'), standIn(ctx.op.operands[1]!, 'top.Weight')],
      resultTypes: ctx.op.results.map((r) => r.type),
    });
    // the tpu op's window attributes; no fused ReLU on an int32 accumulator
    op.attrs = new Map([...ctx.op.attrs, ['do_relu', boolAttr(false)]]);
    const ws = operandData(ctx, 1).shape;
    ad = { op, source: w, w: ndarray('f32', ws, Float32Array.from(w)) };
    deconvAdapters.set(ctx.op, ad);
  }
  if (kernel.supports && !kernel.supports(ad.op)) return undefined;
  let x = xd;
  if (zx !== 0) {
    x = f32Scratch(xd.length, 0);
    for (let i = 0; i < xd.length; i++) x[i] = xd[i]! - zx;
  }
  const xs = operandData(ctx, 0).shape;
  const y = f32Scratch(shapeSize(shape), 1);
  const run: KernelContext = {
    op: ad.op, inputs: [ndarray('f32', xs, x), ad.w], outputTypes: ctx.outputTypes, weights: ctx.weights,
    alloc: (s) => ndarray('f32', s, y.length === shapeSize(s) ? y : new Float32Array(shapeSize(s))),
  };
  return kernel.run(run)[0]!.data as Float32Array;
}

// f32 scratch arrays reused across calls (slot 0: shifted codes, 1: accumulators)
const f32s: Float32Array[] = [];
function f32Scratch(n: number, slot: number): Float32Array {
  let s = f32s[slot];
  if (!s || s.length < n) f32s[slot] = s = new Float32Array(n);
  return s.subarray(0, n);
}

// f64 scratch reused across calls (one thread runs one kernel at a time)
let acc64 = new Float64Array(0);
function accScratch(n: number): Float64Array {
  if (acc64.length < n) acc64 = new Float64Array(n);
  const s = acc64.subarray(0, n);
  s.fill(0);
  return s;
}
let row64 = new Float64Array(0);
function rowScratch(n: number): Float64Array {
  if (row64.length < n) row64 = new Float64Array(n);
  return row64;
}
let tap64 = new Float64Array(0);
function tapScratch(n: number): Float64Array {
  if (tap64.length < n) tap64 = new Float64Array(n);
  return tap64.subarray(0, n);
}
