// The two fake quantisations the auto-tuner simulates (spec §4.10, §13): weights per tensor as
// ModuleInterpreter::fake_quant_weight does (C++ float arithmetic, std::round = half away from
// zero), and activations as kld_calibrator.py's import_quant_bias (numpy float32, np.round = half
// to even). Math.fround after each operation reproduces the float32 rounding of both.
import type { Module, NdArray } from '@tpu-quant/ir';
import { bf16BitsToNumber, f16BitsToNumber, ndarray } from '@tpu-quant/ir';
import { acquireTuneKernels, releaseTuneKernels } from './wasm-tune.js';

/**
 * Every weight of `module.weights`, with each float weight that a top.Weight op reads — except the
 * bias (operand 2) of top.Conv and top.MatMul — replaced by a new f32 array
 * `round_half_away(w·127/maxabs)·maxabs/127` (per tensor). Integer weights and all-zero weights
 * are returned unchanged (TPU-MLIR would turn an all-zero weight into NaN: 0·127/0).
 */
export function fakeQuantWeightsForTune(module: Module): Map<string, NdArray> {
  const biases = new Set<string>();
  const named = new Set<string>();
  for (const op of module.allOps()) {
    if (op.type === 'top.Weight' && op.name !== undefined) named.add(op.name);
    if (op.type !== 'top.Conv' && op.type !== 'top.MatMul') continue;
    const bias = op.operands[2]?.producer;
    if (bias?.type === 'top.Weight' && bias.name !== undefined) biases.add(bias.name);
  }
  const out = new Map(module.weights);
  for (const name of named) {
    const w = module.weights.get(name);
    if (!w || biases.has(name)) continue;
    const q = fakeQuantWeight(w);
    if (q) out.set(name, q);
  }
  return out;
}

/** One weight tensor, or undefined when it stays as it is (integer data, all zeros). */
function fakeQuantWeight(w: NdArray): NdArray<'f32'> | undefined {
  const src = floatData(w);
  if (!src) return undefined;
  let hi = -Infinity;
  let lo = Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v > hi) hi = v;
    if (v < lo) lo = v;
  }
  const m = Math.max(Math.abs(hi), Math.abs(lo));
  if (!(m > 0) || !Number.isFinite(m)) return undefined;
  return ndarray('f32', w.shape, fakeQuantWeightWasm(src, m) ?? fakeQuantWeightData(src, m));
}

/** `f32(round_half_away(f32(f32(v·127)/m))·m)/127` per element, as a new array (the js reference). */
export function fakeQuantWeightData(src: Float32Array, m: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const q = roundHalfAway(Math.fround(Math.fround(src[i]! * 127) / m));
    out[i] = Math.fround(q * m) / 127;
  }
  return out;
}

/** fakeQuantWeightData on the WebAssembly SIMD kernel (m a float32, as any absmax of src is); undefined without it. */
export function fakeQuantWeightWasm(src: Float32Array, m: number): Float32Array | undefined {
  if (m !== Math.fround(m)) return undefined;
  const k = acquireTuneKernels();
  if (!k) return undefined;
  try {
    if (!k.fits([src.length, src.length])) return undefined;
    const x = k.alloc(src.length);
    const out = k.alloc(src.length);
    k.put(x, src);
    k.fakeQuantWeight(x, src.length, m, out);
    return k.view(out, src.length).slice();
  } finally {
    releaseTuneKernels(k);
  }
}

/**
 * `clip(round_half_even(v·127/th), −128, 127)·th/127` in float32, as a new array (a value that
 * rounds to −0 comes out +0, where numpy keeps the sign).
 */
export function fakeQuantActivation(x: Float32Array, th: number): Float32Array {
  return fakeQuantActivationInto(x, th, new Float32Array(x.length));
}

/**
 * fakeQuantActivation into `out` (the tuner reuses one buffer per input). Computed as numpy does
 * import_quant_bias: scale = f32(127/th), q = round(f32(v·scale)), clipped, then f32(q/scale).
 */
export function fakeQuantActivationInto(x: Float32Array, th: number, out: Float32Array): Float32Array {
  const scale = Math.fround(127 / th);
  // the 256 possible results, so the loop has no division
  const level = new Float32Array(256);
  for (let q = -128; q < 128; q++) level[q + 128] = q / scale;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const y = Math.fround(x[i]! * scale);
    if (y !== y) {
      out[i] = Number.NaN;
      continue;
    }
    // clip first (every y ≥ 127.5 must give 127, and 127.4 does; −128.4 gives −128 as −128.5
    // does), then round half to even: adding and subtracting 1.5·2^52 does that for any double
    // this small
    const c = y > 127.4 ? 127.4 : y < -128.4 ? -128.4 : y;
    out[i] = level[(c + ROUND_MAGIC - ROUND_MAGIC + 128) | 0]!;
  }
  return out;
}

const ROUND_MAGIC = 6755399441055744;

/** Math.round rounds halves up; numpy rounds them to even. NaN stays NaN. */
export function roundHalfEven(y: number): number {
  const r = Math.round(y);
  return r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** C's round: halves away from zero. */
export function roundHalfAway(y: number): number {
  return y < 0 ? -Math.round(-y) : Math.round(y);
}

function floatData(w: NdArray): Float32Array | undefined {
  switch (w.dtype) {
    case 'f32': return w.data as Float32Array;
    case 'f64': return Float32Array.from(w.data as Float64Array);
    case 'f16': return Float32Array.from(w.data as Uint16Array, f16BitsToNumber);
    case 'bf16': return Float32Array.from(w.data as Uint16Array, bf16BitsToNumber);
    default: return undefined;
  }
}
