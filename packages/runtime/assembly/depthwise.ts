// Depthwise 2-D convolution (group = C, OC = m·C: output channel o reads input channel o / m).
//
// Each input channel is first copied into a zero-padded plane, so the window loops need no bounds
// tests; the padding is the same for every channel, so the plane is zeroed once and each channel
// only overwrites its interior. At stride 2 the copy also splits each padded row into its even
// and odd columns (two phase rows): output column ox's tap d columns right of its window's left
// edge is then at index ox + d / 2 of phase d % 2, so four consecutive outputs read four
// consecutive floats at strides 1 and 2 alike (no shuffles in the inner loop). Larger strides run
// one output at a time.
//
// Output rows run as whole f32x4 vectors, 28 per step in seven accumulators that share each weight
// splat, then 16, 8, 4: one accumulator is a chain of kh·kw dependent FMAs, so a step is bound by
// FMA latency unless it has many independent chains. Seven is the most that fit: V8 gives wasm 15
// vector registers, and each chain holds its accumulator and its loaded tap (unrolling the taps
// instead makes V8 hoist every load, and spill). A row's last vector may write up to 3 junk floats
// past the row, which the next row (or channel) overwrites. Narrow rows at stride 1 run flat (see
// `isFlat`). Bias and relu / relu_limit are applied as each vector is stored.
import { CAP, madd, RELU } from './gemm';

/**
 * The stride (1 or 2) is a type parameter so that each instance is compiled with it as a
 * constant: `sizeof<S1>()` = 1, `sizeof<S2>()` = 2. (A value parameter, even of an inlined
 * function, may be merged back by the optimiser into a runtime test on every load.)
 */
type S1 = u8;
type S2 = u16;

@inline function clamp4(v: v128, flags: i32, hi: f32): v128 {
  if (flags & RELU) v = f32x4.pmax(f32x4.splat(0), v); // NaN → 0, as js
  if (flags & CAP) v = f32x4.pmin(v, f32x4.splat(hi));
  return v;
}

@inline function clamp1(v: f32, flags: i32, hi: f32): f32 {
  if (flags & RELU) v = v > 0 ? v : 0;
  if (flags & CAP) v = v < hi ? v : hi;
  return v;
}

/** Output columns a row computes: whole vectors at strides 1 and 2. */
@inline function rowCols(ow: i32, sw: i32): i32 {
  return sw <= 2 ? (ow + 3) & ~3 : ow;
}

/**
 * Narrow rows at stride 1 run flat: with the plane exactly as wide as the padded input (pw),
 * output (oy, ox) reads plane[(oy + ky·dh)·pw + ox + kx·dw], so a channel is one long row of
 * oh·pw outputs computed into scratch and then compacted. The pw - ow junk outputs per row cost
 * less than rows too short to fill the seven accumulators.
 */
@inline function isFlat(oh: i32, ow: i32, sh: i32, sw: i32): bool {
  return sw == 1 && sh == 1 && ow <= 32 && oh > 1;
}

/**
 * Floats per phase row (the whole padded row at strides other than 2): every column the windows
 * read, for whole vectors of outputs unless flat.
 */
@inline function phaseWidth(oh: i32, ow: i32, kw: i32, sh: i32, sw: i32, dw: i32): i32 {
  if (isFlat(oh, ow, sh, sw)) return ow + (kw - 1) * dw;
  if (sw == 2) return rowCols(ow, sw) + (((kw - 1) * dw) >> 1);
  return (rowCols(ow, sw) - 1) * sw + (kw - 1) * dw + 1;
}

/** Floats of the plane: its rows, and what the flat mode's last vector reads past them. */
@inline function planeFloats(oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const rows = (oh - 1) * sh + (kh - 1) * dh + 1;
  const phases = sw == 2 ? 2 : 1;
  return ((rows * phases * phaseWidth(oh, ow, kw, sh, sw, dw) + (kw - 1) * dw + 4) + 3) & ~3;
}

/** Floats the `plane` argument of `depthwise` needs: the plane, then the flat mode's output. */
export function depthwisePlane(oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const flat = isFlat(oh, ow, sh, sw) ? oh * phaseWidth(oh, ow, kw, sh, sw, dw) + 8 : 0;
  return planeFloats(oh, ow, kh, kw, sh, sw, dh, dw) + flat;
}

/** Copies n floats (vectors, then the tail). */
@inline function copyFloats(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
}

/**
 * One input row into a stride-2 plane row: padded column 2j + q (input column 2j + q - pl) goes
 * to index j of phase row q (`qw` floats each, even then odd). Columns outside the input stay.
 */
function splitRow(src: usize, iw: i32, pl: i32, qw: i32, dst: usize): void {
  const odd = dst + (<usize>qw << 2);
  // j ranges with the column inside the input (>> 1 floors negative numbers too)
  const e0 = (pl + 1) >> 1, e1 = min(qw, ((iw - 1 + pl) >> 1) + 1);
  const o0 = pl >> 1, o1 = min(qw, ((iw - 2 + pl) >> 1) + 1);
  if (o0 < e0 && o0 < o1) store<f32>(odd + (<usize>o0 << 2), load<f32>(src + (<usize>(2 * o0 + 1 - pl) << 2)));
  let j = e0;
  for (; j + 4 <= o1; j += 4) {
    const s = src + (<usize>(2 * j - pl) << 2);
    const a = v128.load(s), b = v128.load(s, 16);
    v128.store(dst + (<usize>j << 2), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
    v128.store(odd + (<usize>j << 2), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
  }
  for (; j < o1; j++) {
    store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>(2 * j - pl) << 2)));
    store<f32>(odd + (<usize>j << 2), load<f32>(src + (<usize>(2 * j + 1 - pl) << 2)));
  }
  for (; j < e1; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>(2 * j - pl) << 2)));
}

/** Where the tap d columns right of a window's left edge is, for the window at `r`. */
@inline function tapAt<S>(r: usize, d: i32, qwB: usize): usize {
  if (sizeof<S>() == 1) return r + (<usize>d << 2);
  return r + (<usize>(d >> 1) << 2) + (d & 1 ? qwB : 0);
}

/**
 * `cols` outputs (a multiple of 4) of one row at stride S: window row ky starts at top + ky·dhB
 * (the odd phase `qwB` bytes after the even one at stride 2). Steps of 28, 16, 8 and 4 outputs.
 */
function dwRow<S>(
  top: usize, kh: i32, kw: i32, dhB: usize, dw: i32, qwB: usize, cols: i32, wc: usize, bv: f32, flags: i32, hi: f32, yr: usize,
): void {
  const b = f32x4.splat(bv);
  let ox = 0;
  for (; ox + 28 <= cols; ox += 28) {
    let a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, wp = wc;
    let r = top + (<usize>ox << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0, d = 0; kx < kw; kx++, d += dw) {
        const p = tapAt<S>(r, d, qwB), w = v128.load32_splat(wp);
        a0 = madd(w, v128.load(p), a0);
        a1 = madd(w, v128.load(p, 16), a1);
        a2 = madd(w, v128.load(p, 32), a2);
        a3 = madd(w, v128.load(p, 48), a3);
        a4 = madd(w, v128.load(p, 64), a4);
        a5 = madd(w, v128.load(p, 80), a5);
        a6 = madd(w, v128.load(p, 96), a6);
        wp += 4;
      }
      r += dhB;
    }
    const y = yr + (<usize>ox << 2);
    v128.store(y, clamp4(a0, flags, hi));
    v128.store(y, clamp4(a1, flags, hi), 16);
    v128.store(y, clamp4(a2, flags, hi), 32);
    v128.store(y, clamp4(a3, flags, hi), 48);
    v128.store(y, clamp4(a4, flags, hi), 64);
    v128.store(y, clamp4(a5, flags, hi), 80);
    v128.store(y, clamp4(a6, flags, hi), 96);
  }
  if (ox + 16 <= cols) {
    let a0 = b, a1 = b, a2 = b, a3 = b, wp = wc;
    let r = top + (<usize>ox << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0, d = 0; kx < kw; kx++, d += dw) {
        const p = tapAt<S>(r, d, qwB), w = v128.load32_splat(wp);
        a0 = madd(w, v128.load(p), a0);
        a1 = madd(w, v128.load(p, 16), a1);
        a2 = madd(w, v128.load(p, 32), a2);
        a3 = madd(w, v128.load(p, 48), a3);
        wp += 4;
      }
      r += dhB;
    }
    const y = yr + (<usize>ox << 2);
    v128.store(y, clamp4(a0, flags, hi));
    v128.store(y, clamp4(a1, flags, hi), 16);
    v128.store(y, clamp4(a2, flags, hi), 32);
    v128.store(y, clamp4(a3, flags, hi), 48);
    ox += 16;
  }
  if (ox + 8 <= cols) {
    let a0 = b, a1 = b, wp = wc;
    let r = top + (<usize>ox << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0, d = 0; kx < kw; kx++, d += dw) {
        const p = tapAt<S>(r, d, qwB), w = v128.load32_splat(wp);
        a0 = madd(w, v128.load(p), a0);
        a1 = madd(w, v128.load(p, 16), a1);
        wp += 4;
      }
      r += dhB;
    }
    const y = yr + (<usize>ox << 2);
    v128.store(y, clamp4(a0, flags, hi));
    v128.store(y, clamp4(a1, flags, hi), 16);
    ox += 8;
  }
  if (ox < cols) {
    let a0 = b, wp = wc;
    let r = top + (<usize>ox << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0, d = 0; kx < kw; kx++, d += dw) {
        const p = tapAt<S>(r, d, qwB), w = v128.load32_splat(wp);
        a0 = madd(w, v128.load(p), a0);
        wp += 4;
      }
      r += dhB;
    }
    v128.store(yr + (<usize>ox << 2), clamp4(a0, flags, hi));
  }
}

/** One row at a stride above 2, one output at a time. */
function dwRowScalar(
  top: usize, kh: i32, kw: i32, sw: i32, dhB: usize, dw: i32, ow: i32, wc: usize, bv: f32, flags: i32, hi: f32, yr: usize,
): void {
  for (let ox = 0; ox < ow; ox++) {
    let acc = bv, wp = wc;
    let r = top + (<usize>(ox * sw) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        acc += load<f32>(wp) * load<f32>(r + (<usize>(kx * dw) << 2));
        wp += 4;
      }
      r += dhB;
    }
    store<f32>(yr + (<usize>ox << 2), clamp1(acc, flags, hi));
  }
}

/**
 * Depthwise conv of n NCHW images: x [n, c, ih, iw], w [c·m, 1, kh, kw], bias [c·m] or 0,
 * y [n, c·m, oh, ow] plus 4 spare floats (a last vector's junk). `plane` holds
 * `depthwisePlane(...)` floats; `fresh` zeroes it first: a caller running one op as several calls
 * (blocks of channels) on the same plane zeroes it on the first call only.
 */
export function depthwise(
  x: usize, n: i32, c: i32, m: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  w: usize, bias: usize, flags: i32, hi: f32, y: usize, plane: usize, fresh: bool,
): void {
  const rows = (oh - 1) * sh + (kh - 1) * dh + 1;
  const qw = phaseWidth(oh, ow, kw, sh, sw, dw);
  const qwB = <usize>qw << 2;
  const rowB: usize = sw == 2 ? qwB << 1 : qwB;
  const dhB = <usize>dh * rowB;
  const taps = kh * kw;
  const cols = rowCols(ow, sw);
  const flat = isFlat(oh, ow, sh, sw);
  const size = planeFloats(oh, ow, kh, kw, sh, sw, dh, dw);
  const flatOut = plane + (<usize>size << 2); // [oh, qw]
  if (fresh) memory.fill(plane, 0, <usize>size << 2);
  // the input rows, and at strides other than 2 the columns, that land inside the plane
  const y0 = max(0, -pt), y1 = min(ih, rows - pt);
  const x0 = max(0, -pl), x1 = min(iw, qw - pl);
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < c; ci++) {
      const xc = x + ((<usize>(b * c + ci) * ih * iw) << 2);
      for (let iy = y0; iy < y1; iy++) {
        const src = xc + ((<usize>iy * iw) << 2), dst = plane + <usize>(iy + pt) * rowB;
        if (sw == 2) splitRow(src, iw, pl, qw, dst);
        else copyFloats(dst + (<usize>(x0 + pl) << 2), src + (<usize>x0 << 2), x1 - x0);
      }
      for (let j = 0; j < m; j++) {
        const o = ci * m + j;
        const wc = w + ((<usize>o * taps) << 2);
        const bv: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
        let yr = y + ((<usize>(b * c * m + o) * oh * ow) << 2);
        if (flat) {
          dwRow<S1>(plane, kh, kw, dhB, dw, 0, (oh * qw + 3) & ~3, wc, bv, flags, hi, flatOut);
          // whole vectors per row: the junk past a row lands where the next row goes next
          for (let oy = 0; oy < oh; oy++) {
            const s = flatOut + <usize>oy * qwB;
            for (let i = 0; i < cols; i += 4) v128.store(yr + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
            yr += <usize>ow << 2;
          }
          continue;
        }
        let top = plane;
        const step = <usize>sh * rowB;
        for (let oy = 0; oy < oh; oy++) {
          if (sw == 1) dwRow<S1>(top, kh, kw, dhB, dw, qwB, cols, wc, bv, flags, hi, yr);
          else if (sw == 2) dwRow<S2>(top, kh, kw, dhB, dw, qwB, cols, wc, bv, flags, hi, yr);
          else dwRowScalar(top, kh, kw, sw, dhB, dw, ow, wc, bv, flags, hi, yr);
          top += step;
          yr += <usize>ow << 2;
        }
      }
    }
  }
}
