// The auto-tuner's per-candidate loops (src/tune/distance.ts) as WebAssembly SIMD kernels: the
// fake quantisation of an op's input with a candidate threshold and the squared distance of the
// op's output to its fp32 reference. src/tune/fake-quant.ts (fakeQuantActivationInto) and
// distance.ts (squaredDiff) stay the reference; tune.wasm-matches-js.test.ts holds these to
// bit-equal results:
// - fake quant: f32 v·scale, f32x4.nearest (round half to even), clip to [−128, 127] (min/max
//   keep NaN), q + 0 (a −0 becomes +0, as the js table lookup gives), then f32 q/scale: f32
//   division is correctly rounded, as is the js f64 division rounded to f32.
// - squared diff: f32 differences, squared and summed in f64 in four lane sums (element i goes to
//   sum i mod 4, the tail to sum 0), added as ((s0 + s1) + s2) + s3: the js loop's order exactly.
//
// Memory: src/tune/wasm-tune.ts lays out its regions from heapBase(); pointers are byte offsets
// (16-byte aligned), n counts f32 elements.

/** Where the JS side may start its regions: the end of the static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Lanes 2, 3 moved to 0, 1 (for f64x2.promote_low_f32x4). */
@inline function high(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** out[i] = clip(round_half_even(f32(x[i]·scale)), −128, 127) / scale, in float32. */
export function fakeQuant(x: usize, n: i32, scale: f32, out: usize): void {
  const S = f32x4.splat(scale);
  const HI = f32x4.splat(127);
  const LO = f32x4.splat(-128);
  const Z = f32x4.splat(0);
  const end = x + (<usize>(n & ~3) << 2);
  let p = x;
  let o = out;
  if (p < end) {
    do {
      const y = f32x4.mul(v128.load(p), S);
      const q = f32x4.add(f32x4.max(f32x4.min(f32x4.nearest(y), HI), LO), Z);
      v128.store(o, f32x4.div(q, S));
      p += 16;
      o += 16;
    } while (p < end);
  }
  const last = x + (<usize>n << 2);
  while (p < last) {
    const y = load<f32>(p) * scale;
    const q = max<f32>(min<f32>(nearest<f32>(y), 127), -128) + 0;
    store<f32>(o, q / scale);
    p += 4;
    o += 4;
  }
}

/** Σ (a[i] − b[i])², f32 differences summed in f64 (see the header for the order). */
export function squaredDiff(a: usize, b: usize, n: i32): f64 {
  let s01 = f64x2.splat(0);
  let s23 = f64x2.splat(0);
  const end = a + (<usize>(n & ~3) << 2);
  let p = a;
  let q = b;
  if (p < end) {
    do {
      const d = f32x4.sub(v128.load(p), v128.load(q));
      const lo = f64x2.promote_low_f32x4(d);
      const hi = f64x2.promote_low_f32x4(high(d));
      s01 = f64x2.add(s01, f64x2.mul(lo, lo));
      s23 = f64x2.add(s23, f64x2.mul(hi, hi));
      p += 16;
      q += 16;
    } while (p < end);
  }
  let s0 = f64x2.extract_lane(s01, 0);
  const last = a + (<usize>n << 2);
  while (p < last) {
    const d = <f64>(load<f32>(p) - load<f32>(q));
    s0 += d * d;
    p += 4;
    q += 4;
  }
  return s0 + f64x2.extract_lane(s01, 1) + f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1);
}

/**
 * The weights' fake quantisation (fake-quant.ts, fakeQuantWeight): out[i] =
 * f32(f32(round_half_away(f32(f32(x[i]·127)/m))·m)/127). Half away from zero: f32x4.nearest, except
 * where y − trunc(y) is ±0.5 (exact in f32 for these magnitudes), which goes to trunc(y) ± 1.
 */
export function fakeQuantWeight(x: usize, n: i32, m: f32, out: usize): void {
  const M = f32x4.splat(m);
  const K = f32x4.splat(127);
  const HALF = f32x4.splat(0.5);
  const end = x + (<usize>(n & ~3) << 2);
  let p = x;
  let o = out;
  if (p < end) {
    do {
      const y = f32x4.div(f32x4.mul(v128.load(p), K), M);
      const t = f32x4.trunc(y);
      const d = f32x4.sub(y, t);
      const q = v128.bitselect(f32x4.add(t, f32x4.add(d, d)), f32x4.nearest(y), f32x4.eq(f32x4.abs(d), HALF));
      v128.store(o, f32x4.div(f32x4.mul(q, M), K));
      p += 16;
      o += 16;
    } while (p < end);
  }
  const last = x + (<usize>n << 2);
  while (p < last) {
    const y = load<f32>(p) * 127 / m;
    const t = trunc<f32>(y);
    const d = y - t;
    const q = abs<f32>(d) == 0.5 ? t + (d + d) : nearest<f32>(y);
    store<f32>(o, q * m / 127);
    p += 4;
    o += 4;
  }
}
