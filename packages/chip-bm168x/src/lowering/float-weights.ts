// Weights stored in a narrower float type (spec deploy.md §3.5 "float lowering"): the values (as
// float32) rounded to nearest even, kept as their 16-bit patterns, as TPU-MLIR's npz holds them
// (dtype f16 / bf16 here; the runtime decodes both).
import type { FloatType, NdArray } from '@tpu-quant/ir';
import { bf16BitsOf, f16BitsOf, ndarray } from '@tpu-quant/ir';

/** `w` (f32 / f64 data) as an f16 or bf16 array of bit patterns. */
export function floatWeightData(w: NdArray, t: FloatType): NdArray {
  const src = w.data as ArrayLike<number>;
  if (t.name !== 'f16' && t.name !== 'bf16') throw new TypeError(`floatWeightData: no ${t.name} storage`);
  const bitsOf = t.name === 'f16' ? f16BitsOf : bf16BitsOf;
  const bits = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) bits[i] = bitsOf(src[i]!);
  return ndarray(t.name, w.shape, bits);
}
