// Classification post-processing: probabilities (softmax when the output is logits) and top-k.

/**
 * An output that is already a distribution (softmax in the model) is kept; anything else is taken
 * as logits. The sum check is loose because an INT8 model's dequantized softmax sums to 1 only
 * roughly.
 */
export function toProbabilities(x: Float32Array): { probs: Float64Array; softmaxApplied: boolean } {
  let sum = 0;
  let min = Infinity;
  for (const v of x) {
    sum += v;
    if (v < min) min = v;
  }
  if (min >= 0 && Math.abs(sum - 1) < 0.05) return { probs: Float64Array.from(x), softmaxApplied: false };
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  const probs = Float64Array.from(x, (v) => Math.exp(v - max));
  let z = 0;
  for (const p of probs) z += p;
  for (let i = 0; i < probs.length; i++) probs[i]! /= z;
  return { probs, softmaxApplied: true };
}

/** The k largest, highest first; ties keep the lower index first (a stable argsort of -p). */
export function topK(p: ArrayLike<number>, k: number): { index: number; prob: number }[] {
  const idx = Array.from({ length: p.length }, (_, i) => i);
  idx.sort((a, b) => p[b]! - p[a]! || a - b);
  return idx.slice(0, k).map((index) => ({ index, prob: p[index]! }));
}
