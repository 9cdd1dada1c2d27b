// An f32x4 vector as two f64x2 halves and back: the f64 kernels (eltwise8.ts, quantize.ts,
// maxpool.ts) widen each f32 lane, compute in f64 and narrow the results to f32 again.

/** Lanes 0, 1 of an f32x4 widened to f64x2. */
@inline export function lowF64(a: v128): v128 {
  return f64x2.promote_low_f32x4(a);
}

/** Lanes 2, 3 of an f32x4 widened to f64x2. */
@inline export function highF64(a: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 2, 3));
}

/** Two f64x2 halves (lanes 0, 1 then 2, 3) narrowed back into one f32x4. */
@inline export function joinF32(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
