// Element-wise INT8 arithmetic of the fast paths (src/kernels/fast-int8.ts) in SIMD lanes, the
// js expressions exactly: the residual tpu.Add's two shifted terms, tpu.Mul, RequantIntAxis and
// the float tpu.Scale in f64 lanes, and the dequantizing tpu.Cast's S·(q − ZP) in f32 lanes.
import { highF64, joinF32, lowF64 } from './lanes';

/** One f64x2 pair: floor((a·m + h)·s) (every product exact: the caller bounded |a·m|). */
@inline function shifted(a: v128, m: v128, h: v128, s: v128): v128 {
  return f64x2.floor(f64x2.mul(f64x2.add(f64x2.mul(a, m), h), s));
}

/**
 * clamp(v, lo, hi) as `v < lo ? lo : v > hi ? hi : v`, as pmin(hi, pmax(lo, v)) (lo < v ? v : lo,
 * then r < hi ? r : hi): the same for every v but NaN and a −0 against lo = 0; no result the callers
 * keep is NaN (their bound checks fail first), and none is −0 (addPair / mulPair's wrappers decline a
 * −0 zero point, requantLanes makes q +0 first; every sum then adds a zero point to +0 or a nonzero
 * integer, or +0 to a −0 zero point).
 */
@inline function clampLanes(v: v128, lo: v128, hi: v128): v128 {
  return f64x2.pmin(hi, f64x2.pmax(lo, v));
}

@inline function addLanes(a: v128, b: v128, m0: v128, h0: v128, s0: v128, m1: v128, h1: v128, s1: v128, zp: v128, lo: v128, hi: v128): v128 {
  return clampLanes(f64x2.add(f64x2.add(shifted(a, m0, h0, s0), shifted(b, m1, h1, s1)), zp), lo, hi);
}

/**
 * y[i] = clamp(floor((x0[i]·m0 + h0)·s0) + floor((x1[i]·m1 + h1)·s1) + zp, lo, hi) for n floats
 * (n a multiple of 4), in f64; the running max |x0| and max |x1| (NaN when one is NaN) go to
 * stats[0], stats[1] (f32), read and updated, so the caller can check its exactness bound over
 * all chunks of a call.
 */
export function addPair(
  x0: usize, x1: usize, n: i32, m0: f64, h0: f64, s0: f64, m1: f64, h1: f64, s1: f64, zp: f64, lo: f64, hi: f64,
  y: usize, stats: usize,
): void {
  const vm0 = f64x2.splat(m0), vh0 = f64x2.splat(h0), vs0 = f64x2.splat(s0);
  const vm1 = f64x2.splat(m1), vh1 = f64x2.splat(h1), vs1 = f64x2.splat(s1);
  const vzp = f64x2.splat(zp), vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
  let a0 = f32x4.splat(load<f32>(stats)), a1 = f32x4.splat(load<f32>(stats, 4));
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x0 + p), b = v128.load(x1 + p);
    a0 = f32x4.max(a0, f32x4.abs(a));
    a1 = f32x4.max(a1, f32x4.abs(b));
    const r0 = addLanes(lowF64(a), lowF64(b), vm0, vh0, vs0, vm1, vh1, vs1, vzp, vlo, vhi);
    const r1 = addLanes(highF64(a), highF64(b), vm0, vh0, vs0, vm1, vh1, vs1, vzp, vlo, vhi);
    v128.store(y + p, joinF32(r0, r1));
  }
  storeMaxAbs(a0, stats, 0);
  storeMaxAbs(a1, stats, 4);
}

/** The running max |x| over a (f32 lanes) into the f32 at stats + at. */
@inline function storeMaxAbs(acc: v128, stats: usize, at: usize): void {
  store<f32>(stats + at, max<f32>(max<f32>(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max<f32>(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3))));
}

@inline function mulLanes(a: v128, b: v128, m: v128, h: v128, s: v128, zp: v128, lo: v128, hi: v128, pos: bool): v128 {
  const p = f64x2.mul(f64x2.mul(a, b), m);
  const v = pos ? f64x2.add(f64x2.floor(f64x2.mul(f64x2.add(p, h), s)), zp) : f64x2.add(f64x2.mul(p, s), zp);
  return clampLanes(v, lo, hi);
}

/**
 * The INT8 tpu.Mul of two same-shape operands (fast-int8.ts mulInt8Fast): y[i] = clamp(
 * floor((x0·x1·m + h)·s) + zp) when `pos` (a positive shift: h = 2^(r−1), s = 2^−r), else
 * clamp(x0·x1·m·s + zp), in f64; running max |x0|, max |x1| in stats as addPair.
 */
export function mulPair(x0: usize, x1: usize, n: i32, m: f64, h: f64, s: f64, pos: bool, zp: f64, lo: f64, hi: f64, y: usize, stats: usize): void {
  const vm = f64x2.splat(m), vh = f64x2.splat(h), vs = f64x2.splat(s);
  const vzp = f64x2.splat(zp), vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
  let a0 = f32x4.splat(load<f32>(stats)), a1 = f32x4.splat(load<f32>(stats, 4));
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x0 + p), b = v128.load(x1 + p);
    a0 = f32x4.max(a0, f32x4.abs(a));
    a1 = f32x4.max(a1, f32x4.abs(b));
    const r0 = mulLanes(lowF64(a), lowF64(b), vm, vh, vs, vzp, vlo, vhi, pos);
    const r1 = mulLanes(highF64(a), highF64(b), vm, vh, vs, vzp, vlo, vhi, pos);
    v128.store(y + p, joinF32(r0, r1));
  }
  storeMaxAbs(a0, stats, 0);
  storeMaxAbs(a1, stats, 4);
}

@inline function requantLanes(a: v128, zx: v128, m: v128, h: v128, s: v128, away: bool, zp: v128, lo: v128, hi: v128): v128 {
  const p = f64x2.mul(f64x2.sub(a, zx), m);
  const up = f64x2.floor(f64x2.mul(f64x2.add(p, h), s));
  let q = away ? v128.bitselect(f64x2.neg(f64x2.floor(f64x2.mul(f64x2.sub(h, p), s))), up, f64x2.lt(p, f64x2.splat(0))) : up;
  q = f64x2.add(q, f64x2.splat(0)); // a −0 becomes +0, as the js `q === 0 ? 0 : q`
  return clampLanes(f64x2.add(zp, q), lo, hi);
}

/**
 * One channel of the INT8 tpu.RequantIntAxis (fast-int8.ts requantModeLoop, HalfUp or
 * HalfAwayFromZero with 0 < r ≤ 52): p = (x − zx)·m, q = floor((p + h)·s), or −floor((h − p)·s)
 * for p < 0 when `away` (the half of a negative value goes down), y = clamp(zp + q) in f64, for
 * n floats (n a multiple of 4); the caller bounded |p| below 2^52.
 */
export function requantAxis(x: usize, n: i32, zx: f64, m: f64, h: f64, s: f64, away: bool, zp: f64, lo: f64, hi: f64, y: usize): void {
  const vzx = f64x2.splat(zx), vm = f64x2.splat(m), vh = f64x2.splat(h), vs = f64x2.splat(s);
  const vzp = f64x2.splat(zp), vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x + p);
    const r0 = requantLanes(lowF64(a), vzx, vm, vh, vs, away, vzp, vlo, vhi);
    const r1 = requantLanes(highF64(a), vzx, vm, vh, vs, away, vzp, vlo, vhi);
    v128.store(y + p, joinF32(r0, r1));
  }
}

/**
 * y[i] = s·(x[i] − zp) in f32 for n floats (n a multiple of 4): for integers x with |x| ≤ 2^24 the
 * difference is exact and the one f32 product is the double product rounded, as the js kernel's.
 * Returns 0 when some x[i] is no such integer (y must then not be used), 1 otherwise.
 */
export function dequantize(x: usize, n: i32, s: f32, zp: f32, y: usize): i32 {
  const vs = f32x4.splat(s), vz = f32x4.splat(zp), lim = f32x4.splat(16777216.0);
  let bad = i32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x + p);
    bad = v128.or(bad, v128.not(v128.and(f32x4.eq(f32x4.trunc(a), a), f32x4.le(f32x4.abs(a), lim))));
    v128.store(y + p, f32x4.mul(vs, f32x4.sub(a, vz)));
  }
  return v128.any_true(bad) ? 0 : 1;
}

@inline function scaleLanes(a: v128, sc: v128, b: v128, relu: bool, limit: f64): v128 {
  let v = f64x2.add(f64x2.mul(a, sc), b);
  if (relu) {
    v = v128.bitselect(f64x2.splat(0), v, f64x2.lt(v, f64x2.splat(0)));
    if (limit > 0) v = v128.bitselect(f64x2.splat(limit), v, f64x2.gt(v, f64x2.splat(limit)));
  }
  return v;
}

/**
 * The float tpu.Scale over one channel's run (fast-movement.ts scaleFast): y[i] = x[i]·sc + b in
 * f64 (the f32 widened), with floatRelu's `v < 0 ? 0 : v`, then `limit > 0 && v > limit ? limit`
 * when `relu`, stored as f32, for n floats (n a multiple of 4).
 */
export function scaleRun(x: usize, n: i32, sc: f64, b: f64, relu: bool, limit: f64, y: usize): void {
  const vs = f64x2.splat(sc), vb = f64x2.splat(b);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x + p);
    const r0 = scaleLanes(lowF64(a), vs, vb, relu, limit);
    const r1 = scaleLanes(highF64(a), vs, vb, relu, limit);
    v128.store(y + p, joinF32(r0, r1));
  }
}
