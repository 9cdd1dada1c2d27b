// The similarity every TPU-MLIR mixed-precision tool compares with (calibration spec §12.1-12.2):
// `cos01 = 0.5 + 0.5·cos` (python/utils/misc.py cos_sim), NaN read as 0 before the remap, so an
// all-zero vector scores 0.5; several outputs weighted by their rates (equal by default).
import type { NdArray } from '@tpu-quant/ir';

/** 0.5 + 0.5·(a·b)/(‖a‖‖b‖) over the flattened tensors, in f64; a NaN cosine counts as 0. */
export function cos01(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cos01: ${a.length} values against ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cos = dot / (Math.sqrt(na) * Math.sqrt(nb));
  return 0.5 + 0.5 * (Number.isNaN(cos) ? 0 : cos);
}

/**
 * `_cos_loss`: Σ rate_i·cos01(test_i, ref_i) / Σ rate_i, tensors paired by position (equal rates
 * when none are given). Both lists hold f32 tensors.
 */
export function weightedCos(test: readonly NdArray[], ref: readonly NdArray[], rates?: readonly number[]): number {
  if (test.length !== ref.length) throw new RangeError(`weightedCos: ${test.length} tensors against ${ref.length}`);
  let sum = 0;
  let total = 0;
  test.forEach((t, i) => {
    const r = rates?.[i] ?? 1;
    sum += r * cos01(t.data as ArrayLike<number>, ref[i]!.data as ArrayLike<number>);
    total += r;
  });
  return sum / total;
}
