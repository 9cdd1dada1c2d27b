// 256-entry lookup tables for INT8 activations (spec deploy.md §3.10 "Unary activations" and
// Softmax; lib/Support/LutFunc.cpp: create_lookup_table, create_lookup_table_fp).
import type { QuantParams } from './scales.js';
import { toInt8, toUint8, type RoundingMode } from './rounding.js';

/** Table index of an 8-bit code: the raw byte (q for q ≥ 0, 256 + q for q < 0). */
export function lutIndex(q: number): number {
  return q < 0 ? 256 + q : q;
}

/**
 * `create_lookup_table(in, out, asymmetric, func, 8, round_mode)`: for every input code q of the
 * input's storage (−128..127 or 0..255), x = (q − ZPi)·Si, entry = to_int8(f(x)/So + ZPo)
 * (to_uint8 for an unsigned output), indexed by the raw byte. Entries no code reaches stay 0.
 * Stored as a [1, 1, 1, 256] int8/uint8 weight.
 */
export function buildLut8(
  fn: (x: number) => number,
  input: QuantParams,
  output: QuantParams,
  mode: RoundingMode = 'HalfAwayFromZero',
): Int8Array | Uint8Array {
  const table = output.signed ? new Int8Array(256) : new Uint8Array(256);
  const [lo, hi] = input.signed ? [-128, 127] : [0, 255];
  for (let q = lo; q <= hi; q++) {
    const y = fn((q - input.zeroPoint) * input.scale) / output.scale + output.zeroPoint;
    table[lutIndex(q)] = output.signed ? toInt8(y, mode) : toUint8(y, mode);
  }
  return table;
}

/**
 * `create_lookup_table_fp` for an f32 output: entry = f(dequant(q)) for the 256 codes of the
 * input (a Cast int8→f32 followed by an activation becomes one table).
 */
export function buildLutF32(fn: (x: number) => number, input: QuantParams): Float32Array {
  const table = new Float32Array(256);
  const lo = input.signed ? -128 : 0;
  for (let q = lo; q < lo + 256; q++) table[lutIndex(q)] = fn(input.scale * (q - input.zeroPoint));
  return table;
}

/**
 * The 256-float exp table of BM1684X INT8 Softmax: table[i] = exp(−Si · i · beta), the
 * exponential of a difference from the row maximum i codes below it.
 */
export function softmaxExpTable(inScale: number, beta = 1): Float32Array {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = Math.exp(-inScale * i * beta);
  return table;
}

/** Applies an 8-bit table to int8/uint8 codes (what `tpu.Lut` computes). */
export function applyLut8<T extends Int8Array | Uint8Array>(table: T, codes: Int8Array | Uint8Array, out: T): T {
  for (let i = 0; i < codes.length; i++) out[i] = table[lutIndex(codes[i]!)]!;
  return out;
}
