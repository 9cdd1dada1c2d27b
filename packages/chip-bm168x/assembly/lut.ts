// Table lookups on codes held as f32 (tpu.Lut, and the per-code tables of the INT8 element-wise
// fast paths): the indices computed and checked 4 lanes at a time, the f32 entries gathered lane
// by lane (V8 runs this about 2.5x faster than 16 `i8x16.swizzle`s over a byte table).

const TWO31: f32 = 2147483648.0;

/** Lanes of a that are no integer in [−128, 255], or are −0 (all ones there). */
@inline function notCode(a: v128): v128 {
  const ok = v128.and(v128.and(f32x4.eq(f32x4.trunc(a), a), f32x4.ge(a, f32x4.splat(-128.0))), f32x4.le(a, f32x4.splat(255.0)));
  return v128.or(v128.not(ok), i32x4.eq(a, i32x4.splat(0x80000000)));
}

/** The f32 entries of tab at the 4 byte offsets of j. */
@inline function gather(tab: usize, j: v128): v128 {
  let r = f32x4.splat(load<f32>(tab + <usize>i32x4.extract_lane(j, 0)));
  r = f32x4.replace_lane(r, 1, load<f32>(tab + <usize>i32x4.extract_lane(j, 1)));
  r = f32x4.replace_lane(r, 2, load<f32>(tab + <usize>i32x4.extract_lane(j, 2)));
  return f32x4.replace_lane(r, 3, load<f32>(tab + <usize>i32x4.extract_lane(j, 3)));
}

/**
 * y[i] = tab[index of x[i]] for n floats (n a multiple of 4); tab holds f32 entries.
 * `strict` (the per-code tables, 384 entries for the codes −128..255, then 128 spare): the index
 * is x[i] + 128, and every x[i] must be such a code and not −0. Otherwise (tpu.Lut, 256 entries):
 * the index is ToInt32(x[i]) & 255, which is trunc(x[i]) & 255 while |x[i]| < 2^31 (NaN gives 0 in
 * both), so every |x[i]| must be below 2^31. Returns 1 when every element passed, 0 when one did
 * not (y is then written but must not be used).
 */
export function lut(x: usize, n: i32, tab: usize, y: usize, strict: bool): i32 {
  let bad = i32x4.splat(0);
  if (strict) {
    const off = i32x4.splat(128), m = i32x4.splat(511);
    for (let i = 0; i < n; i += 4) {
      const p = <usize>i << 2;
      const a = v128.load(x + p);
      bad = v128.or(bad, notCode(a));
      const j = i32x4.shl(v128.and(i32x4.add(i32x4.trunc_sat_f32x4_s(a), off), m), 2);
      v128.store(y + p, gather(tab, j));
    }
  } else {
    const big = f32x4.splat(TWO31), m = i32x4.splat(255);
    for (let i = 0; i < n; i += 4) {
      const p = <usize>i << 2;
      const a = v128.load(x + p);
      bad = v128.or(bad, f32x4.ge(f32x4.abs(a), big));
      const j = i32x4.shl(v128.and(i32x4.trunc_sat_f32x4_s(a), m), 2);
      v128.store(y + p, gather(tab, j));
    }
  }
  return v128.any_true(bad) ? 0 : 1;
}
