// Weights stored in a narrower float type (spec deploy.md §3.5 "float lowering"): the f32 values
// rounded to nearest even (the runtime's roundToF16 / roundToBF16), kept as their 16-bit
// patterns, as TPU-MLIR's npz holds them (dtype f16 / bf16 here; the runtime decodes both).
import type { FloatType, NdArray } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';
import { roundToBF16, roundToF16 } from '@tpu-quant/runtime';

/** `w` (f32 / f64 data) as an f16 or bf16 array of bit patterns. */
export function floatWeightData(w: NdArray, t: FloatType): NdArray {
  const src = w.dtype === 'f32' ? w : ndarray('f32', w.shape, Float32Array.from(w.data as ArrayLike<number>));
  if (t.name === 'bf16') {
    const r = roundToBF16(src).data;
    const u32 = new Uint32Array(r.buffer, r.byteOffset, r.length);
    const bits = new Uint16Array(r.length);
    for (let i = 0; i < r.length; i++) bits[i] = u32[i]! >>> 16;
    return ndarray('bf16', w.shape, bits);
  }
  if (t.name !== 'f16') throw new TypeError(`floatWeightData: no ${t.name} storage`);
  const r = roundToF16(src).data;
  const bits = new Uint16Array(r.length);
  for (let i = 0; i < r.length; i++) bits[i] = f16Bits(r[i]!);
  return ndarray('f16', w.shape, bits);
}

/** The bit pattern of `x`, a value f16 represents exactly (already rounded; ±Infinity, NaN too). */
export function f16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a * 2 ** 24); // zero and subnormals
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}
