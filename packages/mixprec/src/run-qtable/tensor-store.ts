// Cached activations, kept in their lowered storage types: int8/uint8 codes as Int8Array /
// Uint8Array, f16/bf16 values as 16-bit patterns (the runtime holds every tensor as f32). This
// quarters the INT8 cache and halves the float one; the runtime's runFrom widens them back, and
// ir's dequantize reads them. A value of a 16-bit float type that the runtime holds unrounded (a
// top op left in f16) is rounded here — its tpu consumers round it the same way when they read it.
import { bf16BitsOf, f16BitsOf, f16BitsToNumber, ndarray, type NdArray, type TensorType } from '@tpu-quant/ir';

/** `a` (f32 data as the runtime holds it) in the storage of its declared type. */
export function packTensor(a: NdArray, type: TensorType | undefined): NdArray {
  const e = type?.element;
  const src = a.data as ArrayLike<number>;
  if (e?.kind === 'quant.uniform' && e.storage.width === 8) {
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

let f16Table: Float32Array | undefined;

/** Every f16 bit pattern's value (256 KiB, made on first use): widening by table lookup. */
function f16Values(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToNumber(h);
  }
  return f16Table;
}

/**
 * A cached tensor as f32 values, as ir's `dequantize` reads it (`S · (q − ZP)` for a per-tensor
 * quantized type, 16-bit floats widened), with typed loops: the search reads every activation of
 * every visited op, so this is its inner loop.
 */
export function unpackTensor(a: NdArray, type: TensorType | undefined): NdArray<'f32'> {
  const e = type?.element;
  const n = a.data.length;
  const out = new Float32Array(n);
  if (e?.kind === 'quant.uniform' && e.scales.length === 1 && a.dtype !== 'f16' && a.dtype !== 'bf16') {
    const s = e.scales[0]!;
    const zp = e.zeroPoints[0] ?? 0;
    const src = a.data as ArrayLike<number>;
    for (let i = 0; i < n; i++) out[i] = s * (src[i]! - zp);
    return ndarray('f32', a.shape, out);
  }
  if (a.dtype === 'f32') return a as NdArray<'f32'>;
  if (a.dtype === 'f16') {
    const t = f16Values();
    const src = a.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = t[src[i]!]!;
  } else if (a.dtype === 'bf16') {
    const u = new Uint32Array(out.buffer);
    const src = a.data as Uint16Array;
    for (let i = 0; i < n; i++) u[i] = src[i]! << 16;
  } else {
    const src = a.data as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
  }
  return ndarray('f32', a.shape, out);
}
