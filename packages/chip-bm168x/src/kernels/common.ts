// Shared pieces of the integer-exact `tpu` kernels (js backend). The runtime holds every tensor
// as f32; an int8/uint8 tensor is f32 data holding exact integers, so kernels read codes as
// numbers and accumulate in JS doubles (exact: int8 products summed stay far below 2^53).
import type { Module, NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, stringAttr } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { ROUND_RESULT_ATTR, roundBF16InPlace, roundF16InPlace, roundToBF16, roundToF16 } from '@tpu-quant/runtime';
import { mulRightShiftRound, rightShiftRound, storageRange } from '../quant/rounding.js';
import { quantParamsOfUniform, type QuantParams } from '../quant/scales.js';
import { roundFloatWasm } from './wasm-eltwise8.js';

/** Quant params of a value whose element type is `!quant.uniform` (per tensor); undefined for float. */
export function quantOf(t: TensorType | undefined): QuantParams | undefined {
  return t?.element.kind === 'quant.uniform' ? quantParamsOfUniform(t.element) : undefined;
}

/** Quant params of operand i (from its IR type). */
export function operandQuant(op: Op, i: number): QuantParams | undefined {
  const t = op.operand(i).type;
  return t.kind === 'tensor' ? quantOf(t) : undefined;
}

/** The storage range [lo, hi] of a quantized result; undefined for float. */
export function outRange(ctx: KernelContext, i = 0): [number, number] | undefined {
  const q = quantOf(ctx.outputTypes[i]);
  return q ? storageRange(q) : undefined;
}

/** The declared shape of result i. */
export function outShapeOf(ctx: KernelContext, i = 0): number[] {
  const t = ctx.outputTypes[i];
  if (!t) throw new Error(`${ctx.op.type} "${ctx.op.name ?? '?'}": result ${i} has no tensor type`);
  return [...t.shape];
}

/** Operand i's data; throws when it is None. */
export function operandData(ctx: KernelContext, i: number): NdArray {
  const x = ctx.inputs[i];
  if (!x) throw new Error(`${ctx.op.type} "${ctx.op.name ?? '?'}": operand ${i} is None`);
  return x;
}

/**
 * The exact data of a weight operand. The runtime hands kernels weights converted to f32, which
 * rounds int32 biases past 2^24; the module (reachable from the op) still has the original
 * integers, so read those when the operand is a top.Weight of a loaded module.
 */
export function exactWeight(ctx: KernelContext, i: number): ArrayLike<number> | undefined {
  const v: Value | undefined = ctx.op.operands[i];
  if (!v || v.type.kind !== 'tensor') return undefined;
  const p = v.producer;
  const module: Module | undefined = p?.parent?.parent;
  const name = p?.name;
  if (p?.type === 'top.Weight' && module && name !== undefined) {
    const w = module.weights.get(name);
    if (w && (w.dtype === 'i32' || w.dtype === 'i16' || w.dtype === 'i8' || w.dtype === 'u8')) return w.data as ArrayLike<number>;
  }
  return ctx.inputs[i]?.data as ArrayLike<number> | undefined;
}

/** An f32 result array of `shape` holding `data`. */
export function f32Out(shape: readonly number[], data: Float32Array): NdArray {
  return ndarray('f32', shape, data);
}

const TWO16 = 65536;

/**
 * `RightShiftRound(acc · m, r, HalfUp)` for an integer |acc| < 2^31 and 0 ≤ m < 2^31, exactly,
 * without BigInt where it can (r ≥ 16): HalfUp is floor((acc·m + 2^(r−1)) / 2^r), and splitting m = mh·2^16 + ml keeps
 * every intermediate below 2^53. Other cases go through `rightShiftRound`.
 */
export function mulShiftHalfUp(acc: number, m: number, r: number): number {
  const p = acc * m;
  if (Math.abs(p) <= Number.MAX_SAFE_INTEGER) return r <= 0 ? rightShiftRound(p, r, 'HalfUp') : Math.floor((p + 2 ** (r - 1)) / 2 ** r);
  if (r < 16 || m < 0 || m >= 2 ** 31) return mulRightShiftRound(acc, m, r, 'HalfUp');
  const mh = Math.floor(m / TWO16);
  const ml = m - mh * TWO16;
  const low = Math.floor((acc * ml + 2 ** (r - 1)) / TWO16);
  return Math.floor((acc * mh + low) / 2 ** (r - 16));
}

/** Clamp to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The integer bounds of a requantized result: its storage range, raised to the zero point by a
 * fused ReLU and capped at round(relu_limit / So) + ZPo when relu_limit > 0 (spec §3.10 Conv 5).
 */
export function reluBounds(q: QuantParams, doRelu: boolean, reluLimit: number): [number, number] {
  let [lo, hi] = storageRange(q);
  if (doRelu) {
    lo = Math.max(lo, q.zeroPoint);
    if (reluLimit > 0) hi = Math.min(hi, Math.round(reluLimit / q.scale) + q.zeroPoint);
  }
  return [lo, hi];
}

/** [n, c, h, w] of a rank-4 shape (rank 3: h = 1). */
export function nchw(shape: readonly number[]): [number, number, number, number] {
  return shape.length === 3 ? [shape[0]!, shape[1]!, 1, shape[2]!] : [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}

/** The float element name of a tensor type (f32, f16, bf16, ...); undefined for others. */
export function floatNameOf(t: TensorType | undefined): string | undefined {
  return t?.element.kind === 'float' ? t.element.name : undefined;
}

/**
 * The attributes of a top op that runs tpu op `op` on a runtime wasm kernel (`base`: its attribute
 * map), plus `round_result` when the tpu result is f16 / bf16: the runtime's wasm kernels then round
 * the result where it lies, before copying it out (runtime src/kernels/wasm/backend.ts,
 * ROUND_RESULT_ATTR), exactly as roundFloatInPlace would, so the caller must not round again.
 */
export function roundingAttrs(op: Op, base: Op['attrs'] = op.attrs): Op['attrs'] {
  const name = floatNameOf(op.results[0]?.type.kind === 'tensor' ? op.results[0].type : undefined);
  return name === 'f16' || name === 'bf16' ? new Map([...base, [ROUND_RESULT_ATTR, stringAttr(name)]]) : base;
}

/** True when the runtime kernel rounds the result of an op with these attributes (roundingAttrs). */
export const roundsInRuntime = (attrs: Op['attrs']): boolean => attrs.has(ROUND_RESULT_ATTR);

/** Rounds `d` in place to the float type `name` (f16 / bf16); any other name leaves it as is. */
export function roundFloatInPlace(name: string | undefined, d: Float32Array): void {
  if (roundFloatWasm(name, d)) return; // the same rounding in wasm lanes (wasm-eltwise8.ts)
  if (name === 'f16') roundF16InPlace(d);
  else if (name === 'bf16') roundBF16InPlace(d);
}

export function roundFloat(name: string | undefined, shape: readonly number[], data: Float32Array): Float32Array {
  if (name === 'f16' || name === 'bf16') {
    const copy = data.slice();
    if (roundFloatWasm(name, copy)) return copy; // the same rounding in wasm lanes
  }
  if (name === 'f16') return roundToF16(ndarray('f32', shape, data)).data;
  if (name === 'bf16') return roundToBF16(ndarray('f32', shape, data)).data;
  return data;
}

/**
 * Operand i's data as the values its declared float type holds. A tpu float op's result is
 * already rounded; a top op left in f16/bf16 computes in f32 on the runtime and is rounded here,
 * where a tpu op reads it (weights are stored in their type: nothing to do).
 */
export function floatIn(ctx: KernelContext, i: number): NdArray {
  const x = operandData(ctx, i);
  const v = ctx.op.operands[i];
  if (!v || v.type.kind !== 'tensor' || v.producer?.type === 'top.Weight' || v.producer?.type?.startsWith('tpu.')) return x;
  const data = roundFloat(floatNameOf(v.type), x.shape, x.data as Float32Array);
  return data === x.data ? x : ndarray('f32', x.shape, data);
}

/** A float result of `shape`: `data` rounded to result i's element type (f16 / bf16 / f32). */
export function floatOut(ctx: KernelContext, shape: readonly number[], data: Float32Array, i = 0): NdArray {
  return f32Out(shape, roundFloat(floatNameOf(ctx.outputTypes[i]), shape, data));
}
