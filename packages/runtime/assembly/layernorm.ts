// LayerNorm over rows of `len` contiguous floats: y = (x - mean)/√(var + eps)·w[i] + b[i], with
// the mean and the (population) variance taken in f64 in two passes, as the js reference does,
// and (x - mean)·inv in f64 too: in f32, rounding the mean of a row whose values sit far from
// zero would cost digits of its deviations. Four floats per step, each as two f64x2 halves.

/** The f64 halves of four floats. */
@inline function lo2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}
@inline function sum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * `rows` rows of x into y (which may be x). `w` and `b` hold a full row each, or are 0 for
 * weight 1 / bias 0.
 */
export function layerNormRows(x: usize, rows: i32, len: i32, eps: f64, w: usize, b: usize, y: usize): void {
  const n4 = len & ~3;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>len) << 2);
    const yr = y + ((<usize>r * <usize>len) << 2);
    let s0 = f64x2.splat(0), s1 = s0;
    let i = 0;
    for (; i < n4; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      s0 = f64x2.add(s0, lo2(v));
      s1 = f64x2.add(s1, hi2(v));
    }
    let sum = sum2(s0) + sum2(s1);
    for (; i < len; i++) sum += <f64>load<f32>(xr + (<usize>i << 2));
    const mean = sum / <f64>len;
    const m2 = f64x2.splat(mean);
    s0 = f64x2.splat(0); s1 = s0;
    for (i = 0; i < n4; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      const d0 = f64x2.sub(lo2(v), m2), d1 = f64x2.sub(hi2(v), m2);
      s0 = f64x2.add(s0, f64x2.mul(d0, d0));
      s1 = f64x2.add(s1, f64x2.mul(d1, d1));
    }
    let ss = sum2(s0) + sum2(s1);
    for (; i < len; i++) {
      const d = <f64>load<f32>(xr + (<usize>i << 2)) - mean;
      ss += d * d;
    }
    const inv = 1 / Math.sqrt(ss / <f64>len + eps);
    const k2 = f64x2.splat(inv);
    for (i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(xr + o);
      const nlo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.sub(lo2(v), m2), k2));
      const nhi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.sub(hi2(v), m2), k2));
      const nv = v128.shuffle<f32>(nlo, nhi, 0, 1, 4, 5);
      const wv = w ? v128.load(w + o) : one, bv = b ? v128.load(b + o) : zero;
      v128.store(yr + o, f32x4.add(f32x4.mul(nv, wv), bv));
    }
    for (; i < len; i++) {
      const o = <usize>i << 2;
      const nv = <f32>((<f64>load<f32>(xr + o) - mean) * inv);
      store<f32>(yr + o, nv * (w ? load<f32>(w + o) : 1) + (b ? load<f32>(b + o) : 0));
    }
  }
}
