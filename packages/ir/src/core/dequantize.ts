// Tensors of a lowered module read back as f32: what TPU-MLIR's model_runner prints without
// --out_fixed (spec deploy.md §5.1), and what the mixed-precision searches compare
// (`get_fp32_tensor`, calibration spec §13). Only the values' declared types are needed.
import { f16BitsToNumber } from '../mlir/float-bits.js';
import type { NdArray } from './dtype.js';
import type { Module } from './ir.js';
import type { TensorType } from './types.js';

/**
 * Quantized tensors as f32, `S · (q − ZP)`; f16 and bf16 tensors widened to f32. Other tensors
 * (and names the module does not declare) are kept as they are.
 */
export function dequantizeAll(module: Module, tensors: ReadonlyMap<string, NdArray>): Map<string, NdArray> {
  const types = new Map<string, TensorType>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name && r.type.kind === 'tensor') types.set(r.name, r.type);
  const out = new Map<string, NdArray>();
  for (const [name, a] of tensors) out.set(name, dequantize(a, types.get(name)));
  return out;
}

/**
 * One tensor as f32 by its declared type (see dequantizeAll); itself when nothing is to do. Typed
 * loops (f16 by table): the mixed-precision searches read every cached activation through this.
 */
export function dequantize(a: NdArray, type: TensorType | undefined): NdArray {
  const e = type?.element;
  const n = a.data.length;
  if (e?.kind === 'quant.uniform' && e.scales.length === 1) {
    const s = e.scales[0]!;
    const zp = e.zeroPoints[0] ?? 0;
    const src = a.data as ArrayLike<number | bigint>;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = s * (Number(src[i]) - zp);
    return { dtype: 'f32', shape: a.shape, data };
  }
  if (a.dtype === 'f16') {
    const t = f16Values();
    const src = a.data as Uint16Array;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = t[src[i]!]!;
    return { dtype: 'f32', shape: a.shape, data };
  }
  if (a.dtype === 'bf16') {
    // a bf16 pattern is the top half of the float32 with the same value
    const src = a.data as Uint16Array;
    const data = new Float32Array(n);
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
    return { dtype: 'f32', shape: a.shape, data };
  }
  return a;
}

let f16Table: Float32Array | undefined;

/** Every f16 bit pattern's value (256 KiB, made on first use). */
function f16Values(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToNumber(h);
  }
  return f16Table;
}
