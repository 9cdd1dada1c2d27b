// Rounding f32 values in place to f16 or bf16 precision (kept as f32), on the bits, as the
// runtime's roundF16InPlace / roundBF16InPlace (ties to even; NaN and ±Inf kept as they are for
// f16, NaN made quiet and truncated for bf16; f16 overflow to ±Inf). Every float tpu op's F16 /
// BF16 result goes through one of these.

const F16_MIN_NORMAL = 0x38800000; // 2^-14
const F16_ROUNDS_TO_INF = 0x477ff000; // 65520

/**
 * n floats at x (n a multiple of 4) rounded to f16. Normal range: the bits rounded at bit 13,
 * ties to even. Below 2^-14 (f16 subnormals, step 2^-24): |x| + 0.5 − 0.5 in f32, whose sum lies in
 * [0.5, 1) where the f32 step is 2^-24, so the addition rounds |x| to that step, ties to even.
 */
export function roundF16(x: usize, n: i32): void {
  const absMask = i32x4.splat(0x7fffffff), signMask = i32x4.splat(0x80000000);
  const half = f32x4.splat(0.5);
  const minNormal = i32x4.splat(F16_MIN_NORMAL), toInf = i32x4.splat(F16_ROUNDS_TO_INF), inf = i32x4.splat(0x7f800000);
  const bias = i32x4.splat(0x0fff), one = i32x4.splat(1), low = i32x4.splat(~0x1fff);
  for (let i = 0; i < n; i += 4) {
    const p = x + (<usize>i << 2);
    const b = v128.load(p);
    const a = v128.and(b, absMask);
    const nrm = v128.and(i32x4.add(a, i32x4.add(bias, v128.and(i32x4.shr_u(a, 13), one))), low);
    const sub = f32x4.sub(f32x4.add(a, half), half);
    let mag = v128.bitselect(nrm, sub, i32x4.ge_s(a, minNormal));
    mag = v128.bitselect(inf, mag, i32x4.ge_s(a, toInf));
    const r = v128.or(mag, v128.and(b, signMask));
    v128.store(p, v128.bitselect(b, r, i32x4.ge_s(a, inf)));
  }
}

/** n floats at x (n a multiple of 4) rounded to bf16: bit 16, ties to even; a NaN made quiet, then truncated. */
export function roundBF16(x: usize, n: i32): void {
  const absMask = i32x4.splat(0x7fffffff), inf = i32x4.splat(0x7f800000);
  const bias = i32x4.splat(0x7fff), one = i32x4.splat(1), high = i32x4.splat(0xffff0000), quiet = i32x4.splat(0x400000);
  for (let i = 0; i < n; i += 4) {
    const p = x + (<usize>i << 2);
    const b = v128.load(p);
    const rounded = v128.and(i32x4.add(b, i32x4.add(bias, v128.and(i32x4.shr_u(b, 16), one))), high);
    const nan = v128.and(v128.or(b, quiet), high);
    v128.store(p, v128.bitselect(nan, rounded, i32x4.gt_s(v128.and(b, absMask), inf)));
  }
}
