// Softmax over the last axis: rows of len contiguous floats, y = e^(βx - max βx) / Σ, in place or
// not. βx - max and the exp's range reduction run in f64 (βx of two f32s is exact there, so a
// large |βx - max| costs no accuracy); e^r on |r| ≤ ln2/2 is the f32 polynomial of activation.ts's
// exp4 (≤ 2e-7 relative). The sum is kept in f64, the scale 1/Σ rounded to f32 once per row.

const K: usize = memory.data<f32>([
  0.008290315046906471, 0.04189793020486832, 0.1666763573884964, 0.4999915063381195, 0.9999997019767761, 1,
], 16);
@inline function k4(i: i32): v128 {
  return v128.load32_splat(K + (<usize>i << 2));
}
const KD: usize = memory.data<f64>([-87.33654475, 1.4426950408889634, 0.6931471805599453], 16);
@inline function kd(i: i32): v128 {
  return v128.load64_splat(KD + (<usize>i << 3));
}

/** e^(d) for d = βx - m ≤ 0 in f64, two lanes each half; four f32 lanes out. NaN stays NaN. */
@inline function expHalves(dlo: v128, dhi: v128): v128 {
  const clo = f64x2.pmax(dlo, kd(0)), chi = f64x2.pmax(dhi, kd(0));
  const nlo = f64x2.nearest(f64x2.mul(clo, kd(1))), nhi = f64x2.nearest(f64x2.mul(chi, kd(1)));
  const rlo = f64x2.sub(clo, f64x2.mul(nlo, kd(2))), rhi = f64x2.sub(chi, f64x2.mul(nhi, kd(2)));
  const r = v128.shuffle<f32>(f32x4.demote_f64x2_zero(rlo), f32x4.demote_f64x2_zero(rhi), 0, 1, 4, 5);
  const n = v128.shuffle<i32>(i32x4.trunc_sat_f64x2_s_zero(nlo), i32x4.trunc_sat_f64x2_s_zero(nhi), 0, 1, 4, 5);
  let p = f32x4.add(f32x4.mul(k4(0), r), k4(1));
  p = f32x4.add(f32x4.mul(p, r), k4(2));
  p = f32x4.add(f32x4.mul(p, r), k4(3));
  p = f32x4.add(f32x4.mul(p, r), k4(4));
  p = f32x4.add(f32x4.mul(p, r), k4(5));
  // NaN lanes: n is 0 there (trunc_sat), r NaN, so p is NaN
  const scale = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** e^(βx - m) for four floats at p (f64 argument). */
@inline function exp4At(v: v128, b2: v128, m2: v128): v128 {
  const dlo = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(v), b2), m2);
  const dhi = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), b2), m2);
  return expHalves(dlo, dhi);
}

export function softmaxRows(x: usize, rows: i32, len: i32, beta: f32, y: usize): void {
  const n4 = len & ~3;
  const b2 = f64x2.splat(<f64>beta);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>len << 2);
    const yr = y + (<usize>r * <usize>len << 2);
    // max βx = β·max x (β ≥ 0) or β·min x, exact in f64; max / min propagate NaN
    let hi4 = f32x4.splat(-Infinity), lo4 = f32x4.splat(Infinity);
    let i = 0;
    for (; i < n4; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      hi4 = f32x4.max(hi4, v);
      lo4 = f32x4.min(lo4, v);
    }
    let hi = Mathf.max(Mathf.max(f32x4.extract_lane(hi4, 0), f32x4.extract_lane(hi4, 1)),
      Mathf.max(f32x4.extract_lane(hi4, 2), f32x4.extract_lane(hi4, 3)));
    let lo = Mathf.min(Mathf.min(f32x4.extract_lane(lo4, 0), f32x4.extract_lane(lo4, 1)),
      Mathf.min(f32x4.extract_lane(lo4, 2), f32x4.extract_lane(lo4, 3)));
    for (; i < len; i++) {
      const v = load<f32>(xr + (<usize>i << 2));
      hi = Mathf.max(hi, v);
      lo = Mathf.min(lo, v);
    }
    const m: f64 = beta >= 0 ? <f64>beta * <f64>hi : <f64>beta * <f64>lo;
    const m2 = f64x2.splat(m);
    // e into y, Σ in f64
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    i = 0;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      const e = exp4At(v128.load(xr + o), b2, m2);
      v128.store(yr + o, e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
    }
    let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    for (; i < len; i++) {
      const o = <usize>i << 2;
      const e = f32x4.extract_lane(exp4At(f32x4.splat(load<f32>(xr + o)), b2, m2), 0);
      store<f32>(yr + o, e);
      sum += <f64>e;
    }
    const ks = <f32>(1.0 / sum);
    const k = f32x4.splat(ks);
    i = 0;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(yr + o, f32x4.mul(v128.load(yr + o), k));
    }
    for (; i < len; i++) {
      const o = <usize>i << 2;
      store<f32>(yr + o, load<f32>(yr + o) * ks);
    }
  }
}
