// Requantization of int32 accumulators, the wasm twin of src/kernels/common.ts's mulShiftHalfUp
// followed by the zero point and the clamp:
//   y = clamp(f(acc + bias) + zp, lo, hi),  f(v) = floor((v · m + 2^(r−1)) / 2^r)  (no 2^(r−1) when r = 0)
// with v · m exact in 64-bit lanes. Two facts keep every step in range, and the JS side
// (src/kernels/wasm-int8.ts, requantRecord) only sends channels for which they hold:
// - acc + bias fits int32, 0 ≤ r ≤ 62, and |v · m| + 2^(r−1) < 2^63;
// - v is first clamped to the record's [vlo, vhi]: f is non-decreasing (m ≥ 0) and every v below
//   vlo (above vhi) clamps to lo (hi) anyway, so the result is unchanged, while f(v) now fits
//   int32 and the 64-bit lanes can be narrowed to 32 bits before the final clamp.

/** One 32-byte record per output channel: i32 bias, multiplier, shift, vlo, vhi, 3 unused. */
export const PARAM_BYTES: usize = 32;

@inline export function biasOf(prm: usize): v128 {
  return v128.load32_splat(prm);
}
@inline export function multOf(prm: usize): v128 {
  return v128.load32_splat(prm, 4);
}
@inline export function shiftOf(prm: usize): i32 {
  return load<i32>(prm, 8);
}
@inline export function vloOf(prm: usize): v128 {
  return v128.load32_splat(prm, 12);
}
@inline export function vhiOf(prm: usize): v128 {
  return v128.load32_splat(prm, 16);
}
@inline export function halfOf(r: i32): v128 {
  return i64x2.splat(r > 0 ? <i64>1 << <i64>(r - 1) : 0);
}

/**
 * Four int32 accumulators of one output channel to the four f32 codes the js kernel stores.
 * bias, m, vlo, vhi, zp, lo, hi are i32x4 splats; half an i64x2 splat.
 */
@inline export function requant4(
  acc: v128, bias: v128, m: v128, half: v128, r: i32, vlo: v128, vhi: v128, zp: v128, lo: v128, hi: v128,
): v128 {
  const v = i32x4.min_s(i32x4.max_s(i32x4.add(acc, bias), vlo), vhi);
  const a = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(v, m), half), r);
  const b = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(v, m), half), r);
  // the low 32 bits of each 64-bit lane (the values fit, see above)
  const y = i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  return f32x4.convert_i32x4_s(i32x4.min_s(i32x4.max_s(i32x4.add(y, zp), lo), hi));
}

/** The scalar form of requant4 for one accumulator and its channel's record. */
@inline export function requant1(acc: i32, prm: usize, zp: i32, lo: i32, hi: i32): f32 {
  const r = load<i32>(prm, 8);
  const v = min(max(acc + load<i32>(prm), load<i32>(prm, 12)), load<i32>(prm, 16));
  let p = <i64>v * <i64>load<i32>(prm, 4);
  if (r > 0) p = (p + (<i64>1 << <i64>(r - 1))) >> <i64>r;
  return <f32>min(max(<i32>p + zp, lo), hi);
}
