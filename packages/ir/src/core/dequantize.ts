// Tensors of a lowered module read back as f32: what TPU-MLIR's model_runner prints without
// --out_fixed (spec deploy.md §5.1), and what the mixed-precision searches compare
// (`get_fp32_tensor`, calibration spec §13). Only the values' declared types are needed.
import { bf16BitsToNumber, f16BitsToNumber } from '../mlir/float-bits.js';
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

/** One tensor as f32 by its declared type (see dequantizeAll); itself when nothing is to do. */
export function dequantize(a: NdArray, type: TensorType | undefined): NdArray {
  const e = type?.element;
  if (e?.kind === 'quant.uniform' && e.scales.length === 1) {
    const s = e.scales[0]!;
    const zp = e.zeroPoints[0] ?? 0;
    const data = new Float32Array(a.data.length);
    for (let i = 0; i < data.length; i++) data[i] = s * (Number(a.data[i]) - zp);
    return { dtype: 'f32', shape: a.shape, data };
  }
  if (a.dtype === 'f16' || a.dtype === 'bf16') {
    const widen = a.dtype === 'f16' ? f16BitsToNumber : bf16BitsToNumber;
    return { dtype: 'f32', shape: a.shape, data: Float32Array.from(a.data as Uint16Array, widen) };
  }
  return a;
}
