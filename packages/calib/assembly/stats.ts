// The per-sample passes of src/stats/scan.ts and histogram.ts as WebAssembly SIMD kernels, 3-4x
// faster than V8's code for the same loops (four lanes at a time, float32 arithmetic without
// conversions). scan.ts and addHistogram stay the readable reference; stats.wasm-matches-js.test.ts
// holds the two to the same results (bit-equal where numpy's arithmetic is replicated; sums, which
// are float64 in both, may differ in their last bits because the lanes add in another order).
//
// Layout of the module's memory (src/stats/wasm/wasm-scan.ts allocates it): [0, 256) the
// compaction table, [256, 320) results, then from heapBase() the loaded tensor x, a scratch of |x|
// (OCTAV), the two tail candidate lists and the bin counts. asconfig.json's memoryBase keeps
// anything of ours out of [0, 1024). Pointers are byte offsets; n counts f32 elements.

// Most vector loops are written `if (p < end) do { ... } while (p < end)`: V8 (11.3) compiles that
// bottom-tested loop better than the `loop { if (p < end) { ... br } }` binaryen makes of a for
// loop (filter 20% faster, tails 10%, moments and histogram a few %). Not central's: with its
// eight accumulators the do-while runs 30% slower (more spills, it seems), the for loop as fast.

/** Where the JS side may start its regions: the end of the static data. */
export function heapBase(): usize {
  return __heap_base;
}

const ABS: v128 = i32x4(0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff);

/** Lanes 2, 3 moved to 0, 1 (for f64x2.promote_low_f32x4). */
@inline function high(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** Address of element i of the f32/i32 array at base. */
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

@inline function bits(x: f32): i32 {
  return reinterpret<i32>(x);
}

/** The sum of a vector's two f64 lanes. */
@inline function lanes2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// Tail candidates: an element goes to the list at hi when > hc, to the one at lo when < lc.
// Branch-free: it is written at the end of both lists, and a list's end advances when it belongs
// there. A vector is looked at element by element only when one of its lanes is beyond a cut;
// those four are written out (an inner loop over them made tails 15-25% slower).

/** Writes x at `end`; returns the list's new end (past x when `keep`). */
@inline function push(end: usize, x: f32, keep: bool): usize {
  store<f32>(end, x);
  return end + (<usize>keep << 2);
}

@inline function beyond(v: v128, H: v128, L: v128): bool {
  return v128.any_true(v128.or(f32x4.gt(v, H), f32x4.lt(v, L)));
}

/**
 * min, max, Σx, Σ|x|, #(x != 0) and the tail candidates beyond hc / lc (see tails) -> out: f32 min,
 * f32 max, f64 sum, f64 sumAbs, i32 nonZero, i32 count hi, i32 count lo.
 */
export function moments(p: usize, n: i32, out: usize, hc: f32, lc: f32, hiOut: usize, loOut: usize): void {
  momentsOf(p, n, out, hc, lc, hiOut, loOut, 0, 0, 0, 0, false);
}

/**
 * moments and, in the same pass, histogram(p, n, w, counts, bins, stride): the collector's guess
 * that this sample's histogram keeps the range of the last one (it does unless |x| grows past
 * it), which saves a pass over x.
 */
export function momentsHistogram(p: usize, n: i32, out: usize, hc: f32, lc: f32, hiOut: usize, loOut: usize, w: f32, counts: usize, bins: i32, stride: i32): void {
  momentsOf(p, n, out, hc, lc, hiOut, loOut, w, counts, bins, stride, true);
}

@inline function momentsOf(p: usize, n: i32, out: usize, hc: f32, lc: f32, hiOut: usize, loOut: usize, w: f32, counts: usize, bins: i32, stride: i32, binning: bool): void {
  const H = f32x4.splat(hc), L = f32x4.splat(lc);
  const W = f32x4.splat(w), BF = f32x4.splat(<f32>bins), bases = tableBases(counts, stride);
  const end = at(p, n & -4), last = at(p, n);
  let mn = f32x4.splat(Infinity), mx = f32x4.splat(-Infinity);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), t0 = f64x2.splat(0), t1 = f64x2.splat(0), nz = i32x4.splat(0);
  let hi = hiOut, lo = loOut;
  if (p < end) do {
    const v = v128.load(p);
    if (beyond(v, H, L)) {
      let x = load<f32>(p);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 4);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 8);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 12);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
    }
    // pmin/pmax: (v < mn ? v : mn), so NaN is skipped as in the js loop
    mn = f32x4.pmin(mn, v);
    mx = f32x4.pmax(mx, v);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(high(v)));
    const a = v128.and(v, ABS);
    t0 = f64x2.add(t0, f64x2.promote_low_f32x4(a));
    t1 = f64x2.add(t1, f64x2.promote_low_f32x4(high(a)));
    nz = i32x4.sub(nz, i32x4.ne(a, i32x4.splat(0)));
    if (binning) binVector(a, W, BF, bases);
    p += 16;
  } while (p < end);
  const m0 = f32x4.extract_lane(mn, 0), m1 = f32x4.extract_lane(mn, 1), m2 = f32x4.extract_lane(mn, 2), m3 = f32x4.extract_lane(mn, 3);
  const a01 = select(m0, m1, m0 < m1), a23 = select(m2, m3, m2 < m3);
  let min = select(a01, a23, a01 < a23);
  const x0 = f32x4.extract_lane(mx, 0), x1 = f32x4.extract_lane(mx, 1), x2 = f32x4.extract_lane(mx, 2), x3 = f32x4.extract_lane(mx, 3);
  const b01 = select(x0, x1, x0 > x1), b23 = select(x2, x3, x2 > x3);
  let max = select(b01, b23, b01 > b23);
  let sum = lanes2(f64x2.add(s0, s1));
  let sumAbs = lanes2(f64x2.add(t0, t1));
  let nonZero = (i32x4.extract_lane(nz, 0) + i32x4.extract_lane(nz, 1)) + (i32x4.extract_lane(nz, 2) + i32x4.extract_lane(nz, 3));
  for (; p < last; p += 4) {
    const x = load<f32>(p);
    min = select(x, min, x < min);
    max = select(x, max, x > max);
    sum += <f64>x;
    sumAbs += <f64>Mathf.abs(x);
    nonZero += <i32>((bits(x) & 0x7fffffff) != 0);
    hi = push(hi, x, x > hc);
    lo = push(lo, x, x < lc);
    if (binning) binScalar(x, w, counts, bins);
  }
  store<i32>(out, <i32>(hi - hiOut) >> 2, 28);
  store<i32>(out, <i32>(lo - loOut) >> 2, 32);
  store<f32>(out, min, 0);
  store<f32>(out, max, 4);
  store<f64>(out, sum, 8);
  store<f64>(out, sumAbs, 16);
  store<i32>(out, nonZero, 24);
}

/** Tail candidates alone (see push; `hiOut` and `loOut` must hold n values) -> out: i32 count hi, i32 count lo. */
export function tails(p: usize, n: i32, out: usize, hc: f32, lc: f32, hiOut: usize, loOut: usize): void {
  const H = f32x4.splat(hc), L = f32x4.splat(lc);
  const end = at(p, n & -4), last = at(p, n);
  let hi = hiOut, lo = loOut;
  if (p < end) do {
    if (beyond(v128.load(p), H, L)) {
      let x = load<f32>(p);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 4);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 8);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
      x = load<f32>(p, 12);
      hi = push(hi, x, x > hc);
      lo = push(lo, x, x < lc);
    }
    p += 16;
  } while (p < end);
  for (; p < last; p += 4) {
    const x = load<f32>(p);
    hi = push(hi, x, x > hc);
    lo = push(lo, x, x < lc);
  }
  store<i32>(out, <i32>(hi - hiOut) >> 2, 0);
  store<i32>(out, <i32>(lo - loOut) >> 2, 4);
}

@inline function bump(counts: usize, bin: i32): void {
  bumpAt(at(counts, bin));
}

@inline function bumpAt(addr: usize): void {
  store<i32>(addr, load<i32>(addr) + 1);
}

/**
 * Adds the bins of |x| to the i32 `counts` (bins + 1 slots; the last collects what falls
 * outside): bin = floor(|x| / w + 0.5) in float32, numpy's arithmetic exactly. Zeros land in bin 0.
 * Lane k of each vector counts into its own table at counts + k * stride slots (stride >= bins + 1;
 * the caller sums the four): increments of one bin by neighbouring values (ReLU zeros, small
 * values) then do not wait on each other's store. stride 0: one table.
 * The vector loop turns bins into addresses without i32x4.trunc_sat (which V8 expands to a
 * NaN/overflow-fixing sequence): y = floor(q + 0.5) is an integer below 2^23 when y < bins
 * (false for NaN), and then y + 2^23 holds y in its low mantissa bits, exactly (2x bumps 20% faster).
 */
export function histogram(p: usize, n: i32, w: f32, counts: usize, bins: i32, stride: i32): void {
  const W = f32x4.splat(w), BF = f32x4.splat(<f32>bins), bases = tableBases(counts, stride);
  const end = at(p, n & -4), last = at(p, n);
  if (p < end) do {
    binVector(v128.and(v128.load(p), ABS), W, BF, bases);
    p += 16;
  } while (p < end);
  for (; p < last; p += 4) binScalar(load<f32>(p), w, counts, bins);
}

/** Each lane's table (see histogram), less the exponent bits of y + 2^23, shifted as the addresses are. */
@inline function tableBases(counts: usize, stride: i32): v128 {
  return i32x4.sub(i32x4(<i32>counts, <i32>at(counts, stride), <i32>at(counts, 2 * stride), <i32>at(counts, 3 * stride)), i32x4.splat(0x4b000000 << 2));
}

/** Counts the four |x| of `a` (W: the bin width, BF: the bin number, as f32 vectors). */
@inline function binVector(a: v128, W: v128, BF: v128, bases: v128): void {
  const MAGIC = f32x4.splat(8388608.0);
  const y = f32x4.floor(f32x4.add(f32x4.div(a, W), f32x4.splat(0.5)));
  // past the last bin, or NaN: the overflow slot (bin = bins)
  const yb = v128.bitselect(f32x4.add(y, MAGIC), f32x4.add(BF, MAGIC), f32x4.lt(y, BF));
  const addr = i32x4.add(i32x4.shl(yb, 2), bases);
  bumpAt(<usize>i32x4.extract_lane(addr, 0));
  bumpAt(<usize>i32x4.extract_lane(addr, 1));
  bumpAt(<usize>i32x4.extract_lane(addr, 2));
  bumpAt(<usize>i32x4.extract_lane(addr, 3));
}

/** Counts |x| in table 0. */
@inline function binScalar(x: f32, w: f32, counts: usize, bins: i32): void {
  const q = Mathf.abs(x) / w;
  const b = <i32>Mathf.floor(q + 0.5); // i32.trunc_sat_f32_s
  bump(counts, select(b, bins, (<u32>b < <u32>bins) & (q == q)));
}

/**
 * OCTAV's stream compaction of one vector: the lanes of a set in m are stored packed at `end` (16
 * bytes written; the table at 0 holds the byte shuffle for each 4-bit lane mask); returns the
 * list's new end, past them.
 */
@inline function pack(end: usize, a: v128, m: v128): usize {
  const bm = i32x4.bitmask(m);
  v128.store(end, i8x16.swizzle(a, v128.load(<usize>(bm << 4))));
  return end + (<usize>popcnt(bm) << 2);
}

/**
 * The central sums around `mean` and OCTAV's first step at s (its float32 bits `sBits`) ->
 * out: f64 Σ|x-m|, f64 Σ(x-m)², f64 Σ(x-m)⁴, f64 Σ{|x| > s}, i32 #{|x| > s}; the |x| > s packed
 * into `scr` (n + 4 slots).
 */
export function central(p: usize, n: i32, mean: f64, sBits: i32, scr: usize, out: usize): void {
  const S = i32x4.splat(sBits), M = f64x2.splat(mean);
  const end = at(p, n & -4), last = at(p, n);
  let ad0 = f64x2.splat(0), ad1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let r0 = f64x2.splat(0), r1 = f64x2.splat(0), ab0 = f64x2.splat(0), ab1 = f64x2.splat(0);
  let kept = scr;
  for (; p < end; p += 16) {
    const v = v128.load(p);
    const a = v128.and(v, ABS);
    // non-negative floats order as their bits
    const m = i32x4.gt_s(a, S);
    kept = pack(kept, a, m);
    const above4 = v128.and(a, m);
    ab0 = f64x2.add(ab0, f64x2.promote_low_f32x4(above4));
    ab1 = f64x2.add(ab1, f64x2.promote_low_f32x4(high(above4)));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), M);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(high(v)), M);
    ad0 = f64x2.add(ad0, f64x2.abs(d0));
    ad1 = f64x2.add(ad1, f64x2.abs(d1));
    const e0 = f64x2.mul(d0, d0), e1 = f64x2.mul(d1, d1);
    q0 = f64x2.add(q0, e0);
    q1 = f64x2.add(q1, e1);
    r0 = f64x2.add(r0, f64x2.mul(e0, e0));
    r1 = f64x2.add(r1, f64x2.mul(e1, e1));
  }
  let absDev = lanes2(ad0) + lanes2(ad1);
  let m2 = lanes2(q0) + lanes2(q1);
  let m4 = lanes2(r0) + lanes2(r1);
  let above = lanes2(ab0) + lanes2(ab1);
  for (; p < last; p += 4) {
    const x = load<f32>(p);
    const ax = Mathf.abs(x);
    const c = bits(ax) > sBits;
    kept = push(kept, ax, c);
    above += select<f64>(<f64>ax, 0, c);
    const d = <f64>x - mean;
    absDev += Math.abs(d);
    const e = d * d;
    m2 += e;
    m4 += e * e;
  }
  store<f64>(out, absDev, 0);
  store<f64>(out, m2, 8);
  store<f64>(out, m4, 16);
  store<f64>(out, above, 24);
  store<i32>(out, <i32>(kept - scr) >> 2, 32);
}

/**
 * An OCTAV step: the |v| > s (bits `sBits`) of src[0..n) packed into `dst` (which may be src:
 * the write position never passes the read position) -> out: f64 their sum, i32 their count.
 */
export function filter(p: usize, n: i32, sBits: i32, dst: usize, out: usize): void {
  const S = i32x4.splat(sBits);
  const end = at(p, n & -4), last = at(p, n);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let kept = dst;
  if (p < end) do {
    const a = v128.and(v128.load(p), ABS);
    const m = i32x4.gt_s(a, S);
    kept = pack(kept, a, m);
    const above4 = v128.and(a, m);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(above4));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(high(above4)));
    p += 16;
  } while (p < end);
  let sum = lanes2(f64x2.add(s0, s1));
  for (; p < last; p += 4) {
    const ax = Mathf.abs(load<f32>(p));
    const c = bits(ax) > sBits;
    kept = push(kept, ax, c);
    sum += select<f64>(<f64>ax, 0, c);
  }
  store<f64>(out, sum, 0);
  store<i32>(out, <i32>(kept - dst) >> 2, 8);
}
