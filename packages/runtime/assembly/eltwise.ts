// Element-wise kernels over n contiguous floats, four lanes at a time with a scalar tail.

/**
 * Relu semantics (`relu`): y = x > 0 ? x : 0, then capped at hi when `cap`; pmax(lo, x) / pmin(x, hi) keep js's
 * comparison order, so NaN becomes 0 as in the reference. Clip semantics (`!relu`): min(max(x, lo), hi)
 * with NaN propagating, as Math.min/Math.max do.
 */
export function clampRange(x: usize, n: i32, relu: bool, cap: bool, lo: f32, hi: f32, y: usize): void {
  const lv = f32x4.splat(lo), hv = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v = v128.load(x + o);
    if (relu) {
      v = f32x4.pmax(lv, v); // lv < v ? v : lv
      if (cap) v = f32x4.pmin(v, hv);
    } else {
      v = f32x4.min(f32x4.max(v, lv), hv);
    }
    v128.store(y + o, v);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = load<f32>(x + o);
    if (relu) {
      v = v > lo ? v : lo;
      if (cap) v = v > hi ? hi : v;
    } else {
      v = Mathf.min(Mathf.max(v, lo), hi);
    }
    store<f32>(y + o, v);
  }
}

/** y = ca·a + cb·b (op 0) or a·b (op 1), then relu (flags bit 0) and cap at hi (bit 1). */
export function binary(a: usize, b: usize, n: i32, op: i32, ca: f32, cb: f32, flags: i32, hi: f32, y: usize): void {
  const cav = f32x4.splat(ca), cbv = f32x4.splat(cb), hv = f32x4.splat(hi), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const av = v128.load(a + o), bv = v128.load(b + o);
    let v = op == 0 ? f32x4.add(f32x4.mul(av, cav), f32x4.mul(bv, cbv)) : f32x4.mul(av, bv);
    if (flags & 1) v = f32x4.pmax(zero, v);
    if (flags & 2) v = f32x4.pmin(v, hv);
    v128.store(y + o, v);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o), bv = load<f32>(b + o);
    let v: f32 = op == 0 ? av * ca + bv * cb : av * bv;
    if (flags & 1) v = v > 0 ? v : 0;
    if (flags & 2) v = v > hi ? hi : v;
    store<f32>(y + o, v);
  }
}
