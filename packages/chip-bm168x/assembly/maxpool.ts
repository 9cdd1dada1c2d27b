// Max pooling of NCHW f32 planes (tpu.Pool2D Max, codes or floats), 4 outputs at a time with the
// IEEE maximum (f32x4.max: NaN wins, +0 above −0), the js kernels' Math.max in any order. Per
// output row: the maximum of the window's input rows (clipped to the input) into a padded row
// whose border holds −Inf (the identity of max, so clipped columns need no bounds tests), split
// by column phase at strides > 1 (padded column u·sw + φ to phase φ, column u), then the
// maximum over the kw taps, consecutive outputs reading consecutive floats.
// Also the plane sums of the INT8 global average pool (planeSums).
import { highF64, lowF64 } from './lanes';

/** Floats in a phase: the outputs rounded up to 4, plus the taps' reach. */
@inline function phaseLen(ow: i32, kw: i32, sw: i32): i32 {
  return ((ow + 3) & ~3) + (kw - 1) / sw;
}

/** Floats of the padded row (a multiple of 4). */
@inline function rowLen(iw: i32, ow: i32, kw: i32, sw: i32, pl: i32): i32 {
  return ((max(pl + iw, phaseLen(ow, kw, sw) * sw) + 3) & ~3) + 4;
}

/** Floats of scratch `maxPool` needs. */
export function maxPoolScratch(iw: i32, ow: i32, kw: i32, sw: i32, pl: i32): i32 {
  return rowLen(iw, ow, kw, sw, pl) + (sw > 1 ? sw * phaseLen(ow, kw, sw) : 0) + 4;
}

/**
 * y[p, oy, ox] = max over the window's input elements (−Inf when none) for `planes` planes of
 * ih × iw floats at x; rows of ow results are written 4 at a time, so up to 3 junk floats follow
 * the last row (the next row overwrites the others).
 */
export function maxPool(
  x: usize, planes: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  y: usize, scratch: usize,
): void {
  const ninf = f32x4.splat(-Infinity);
  const W = rowLen(iw, ow, kw, sw, pl);
  const L = phaseLen(ow, kw, sw);
  const row = scratch;
  const phases = scratch + (<usize>W << 2);
  for (let i = 0; i < W; i += 4) v128.store(row + (<usize>i << 2), ninf);
  const inner = row + (<usize>pl << 2);
  const iw4 = iw & ~3;
  const ow4 = (ow + 3) & ~3;
  for (let p = 0; p < planes; p++) {
    const xp = x + ((<usize>p * ih * iw) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const ya = max(y0, 0), yb = min(y0 + kh, ih);
      // the window rows' maximum, column by column, into the padded row's interior
      if (ya >= yb) {
        for (let c = 0; c < iw; c++) store<f32>(inner + (<usize>c << 2), -Infinity);
      } else {
        const r0 = xp + ((<usize>ya * iw) << 2);
        let c = 0;
        for (; c < iw4; c += 4) {
          let m = v128.load(r0 + (<usize>c << 2));
          for (let r = ya + 1; r < yb; r++) m = f32x4.max(m, v128.load(xp + ((<usize>(r * iw + c)) << 2)));
          v128.store(inner + (<usize>c << 2), m);
        }
        for (; c < iw; c++) {
          let m = load<f32>(r0 + (<usize>c << 2));
          for (let r = ya + 1; r < yb; r++) m = max<f32>(m, load<f32>(xp + ((<usize>(r * iw + c)) << 2)));
          store<f32>(inner + (<usize>c << 2), m);
        }
      }
      let src = row;
      let stride = 0; // floats between phases
      if (sw > 1) {
        for (let f = 0; f < sw; f++) {
          const ph = phases + ((<usize>f * L) << 2);
          for (let u = 0; u < L; u++) store<f32>(ph + (<usize>u << 2), load<f32>(row + ((<usize>(u * sw + f)) << 2)));
        }
        src = phases;
        stride = L;
      }
      const yr = y + ((<usize>(p * oh + oy) * ow) << 2);
      for (let ox = 0; ox < ow4; ox += 4) {
        let m = ninf;
        for (let k = 0; k < kw; k++) {
          const at = (k % sw) * stride + ox + k / sw;
          m = f32x4.max(m, v128.load(src + (<usize>at << 2)));
        }
        v128.store(yr + (<usize>ox << 2), m);
      }
    }
  }
}

/**
 * The sum of each of `planes` planes of `inner` floats at x, in f64 lanes, to sums (f64 each),
 * and the largest |x| to maxAbs (f32; NaN when one is NaN). Returns 0 when some element is no
 * integer (its sums would depend on the order), 1 otherwise; the caller checks that max |x| times
 * the plane size stays below 2^53, so every partial sum is exact and equals the js loop's.
 */
export function planeSums(x: usize, planes: i32, inner: i32, sums: usize, maxAbs: usize): i32 {
  let bad = i32x4.splat(0);
  let badTail = false;
  let big = f32x4.splat(load<f32>(maxAbs));
  let bigTail = load<f32>(maxAbs);
  const inner4 = inner & ~3;
  for (let p = 0; p < planes; p++) {
    const base = x + ((<usize>p * inner) << 2);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    for (let i = 0; i < inner4; i += 4) {
      const a = v128.load(base + (<usize>i << 2));
      bad = v128.or(bad, v128.not(f32x4.eq(f32x4.trunc(a), a)));
      big = f32x4.max(big, f32x4.abs(a));
      acc0 = f64x2.add(acc0, lowF64(a));
      acc1 = f64x2.add(acc1, highF64(a));
    }
    let s = (f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1)) + (f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1));
    for (let i = inner4; i < inner; i++) {
      const v = load<f32>(base + (<usize>i << 2));
      if (Mathf.trunc(v) != v) badTail = true;
      bigTail = max<f32>(bigTail, abs<f32>(v));
      s += <f64>v;
    }
    store<f64>(sums + (<usize>p << 3), s);
  }
  const m = max<f32>(max<f32>(f32x4.extract_lane(big, 0), f32x4.extract_lane(big, 1)), max<f32>(f32x4.extract_lane(big, 2), f32x4.extract_lane(big, 3)));
  store<f32>(maxAbs, max<f32>(m, bigTail));
  return v128.any_true(bad) || badTail ? 0 : 1;
}
