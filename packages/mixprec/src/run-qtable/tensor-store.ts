// Cached activations, kept in their lowered storage types: int8/uint8 codes as Int8Array /
// Uint8Array, f16/bf16 values as 16-bit patterns (the runtime holds every tensor as f32). This
// quarters the INT8 cache and halves the float one; the runtime's runFrom widens them back, and
// ir's dequantize reads them. A value of a 16-bit float type that the runtime holds unrounded (a
// top op left in f16) is rounded here — its tpu consumers round it the same way when they read it.
import { bf16BitsOf, dequantize, f16BitsOf, ndarray, type NdArray, type TensorType } from '@tpu-quant/ir';

/** `a` (f32 data as the runtime holds it) in the storage of its declared type. */
export function packTensor(a: NdArray, type: TensorType | undefined): NdArray {
  const e = type?.element;
  const src = a.data as ArrayLike<number>;
  if (e?.kind === 'quant.uniform' && e.storage.width === 8) {
    // the typed-array constructor converts element by element as `from` does (ToInt8 / ToUint8), without its iterator
    if (ArrayBuffer.isView(src)) {
      const t = src as unknown as ArrayLike<number> & ArrayBufferView;
      return e.storage.signedness === 'unsigned' ? ndarray('u8', a.shape, new Uint8Array(t as unknown as Float32Array)) : ndarray('i8', a.shape, new Int8Array(t as unknown as Float32Array));
    }
    return e.storage.signedness === 'unsigned' ? ndarray('u8', a.shape, Uint8Array.from(src)) : ndarray('i8', a.shape, Int8Array.from(src));
  }
  if (a.dtype === 'f32' && e?.kind === 'float' && (e.name === 'f16' || e.name === 'bf16')) {
    const bits = new Uint16Array(src.length);
    const conv = e.name === 'f16' ? f16BitsOf : bf16BitsOf;
    for (let i = 0; i < bits.length; i++) bits[i] = conv(src[i]!);
    return ndarray(e.name, a.shape, bits);
  }
  return a;
}

/**
 * A cached tensor as f32 values: ir's `dequantize` (`S · (q − ZP)` for a per-tensor quantized type,
 * 16-bit floats widened); any other stored dtype converted.
 */
export function unpackTensor(a: NdArray, type: TensorType | undefined): NdArray<'f32'> {
  const d = dequantize(a, type);
  if (d.dtype === 'f32') return d as NdArray<'f32'>;
  return ndarray('f32', d.shape, Float32Array.from(d.data as ArrayLike<number | bigint>, Number));
}
