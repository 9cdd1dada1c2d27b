// Convolution drivers over the GEMM: out[oc][oh·ow] = W[oc][ic·kh·kw] · cols[ic·kh·kw][oh·ow]
// per group and image. The filter is the A side, packed once by the caller; the input side is
// read unpacked (gemmU): a 1×1 stride-1 conv's input in place, anything else as a row-major
// im2col made per column chunk so the chunk stays in L2 while the GEMM sweeps it.
import { CAP, gemm, gemmU, madd, MR, NR, RELU } from './gemm';

/**
 * Row-major im2col for output positions [j0, j1): row p = (ci, ky, kx) holds the input under that
 * tap for each position, j1 - j0 floats per row. Each output row's run is a zero-filled border
 * around one contiguous copy when the column stride is 1, else a bounds-tested gather.
 */
export function im2colRows(
  x: usize, c: i32, ih: i32, iw: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, ow: i32, j0: i32, j1: i32, dst: usize,
): void {
  const nc = j1 - j0;
  let d = dst;
  for (let ci = 0; ci < c; ci++) {
    const plane = x + ((<usize>ci * ih * iw) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let t = 0, oy = j0 / ow, ox = j0 % ow;
        const xoff = kx * dw - pl;
        while (t < nc) {
          const run = min(ow - ox, nc - t);
          const iy = oy * sh - pt + ky * dh;
          if (<u32>iy >= <u32>ih) {
            memory.fill(d, 0, <usize>run << 2);
          } else {
            const row = plane + ((<usize>iy * iw) << 2);
            if (sw == 1) {
              // ix = ox + r + xoff inside [0, iw) for r in [lo, hi)
              const lo = min(run, max(0, -(ox + xoff)));
              const hi = max(lo, min(run, iw - (ox + xoff)));
              if (lo > 0) memory.fill(d, 0, <usize>lo << 2);
              if (hi > lo) memory.copy(d + (<usize>lo << 2), row + (<usize>(ox + xoff + lo) << 2), <usize>(hi - lo) << 2);
              if (run > hi) memory.fill(d + (<usize>hi << 2), 0, <usize>(run - hi) << 2);
            } else {
              let ix = ox * sw + xoff;
              for (let r = 0; r < run; r++) {
                store<f32>(d + (<usize>r << 2), <u32>ix < <u32>iw ? load<f32>(row + (<usize>ix << 2)) : 0);
                ix += sw;
              }
            }
          }
          d += <usize>run << 2;
          t += run; ox = 0; oy++;
        }
      }
    }
  }
}

/**
 * Columns per chunk: a direct 1×1 conv reads its input in place, so its chunk only bounds the B
 * block the row blocks re-read (about 128 KiB); an im2col chunk is materialised, so it is about
 * 512 KiB (L2) but at least 64 columns, so its rows are long runs. A multiple of NR.
 */
export function chunkCols(k: i32, n: i32): i32 {
  const c = max(64, ((131072 / k) / NR) * NR);
  return min(c, ((n + NR - 1) / NR) * NR);
}

/**
 * Grouped 2-D convolution of n NCHW images. `pa` holds each group's filter packed by packA
 * (groups back to back, ceil(ocg/MR)·MR·K floats each); `direct` marks a 1×1, stride-1, unpadded
 * conv whose input already is the (row-major) B matrix and is read in place. `scratch` holds one
 * im2col chunk (chunkCols(K, OH·OW)·K floats).
 */
export function conv2d(
  x: usize, n: i32, ic: i32, ih: i32, iw: i32, oc: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, group: i32, direct: bool,
  pa: usize, bias: usize, flags: i32, hi: f32, y: usize, scratch: usize,
): void {
  const icg = ic / group, ocg = oc / group, k = icg * kh * kw, ohw = oh * ow;
  const panelsA = (<usize>((ocg + MR - 1) / MR) * MR * k) << 2;
  const chunk = chunkCols(k, ohw);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < group; g++) {
      const xg = x + ((<usize>(b * ic + g * icg) * ih * iw) << 2);
      const yg = y + ((<usize>(b * oc + g * ocg) * ohw) << 2);
      const bg = bias ? bias + (<usize>(g * ocg) << 2) : 0;
      const ag = pa + <usize>g * panelsA;
      if (ohw == 1) {
        // one output position: the filter panels times the one im2col column (gemm's GEMV)
        // (written at float 7K, then spread to every NR-th float: each write lands on a read source)
        im2colRows(xg, icg, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, ow, 0, 1, scratch + (<usize>(7 * k) << 2));
        for (let p = 0; p < k; p++) store<f32>(scratch + (<usize>p * NR << 2), load<f32>(scratch + (<usize>(7 * k + p) << 2)));
        gemm(ocg, 1, k, ag, scratch, yg, 1, bg, 0, flags, hi);
        continue;
      }
      for (let j0 = 0; j0 < ohw; j0 += chunk) {
        const j1 = min(ohw, j0 + chunk);
        if (direct) {
          gemmU(ocg, j1 - j0, k, ag, xg + (<usize>j0 << 2), ohw, yg + (<usize>j0 << 2), ohw, bg, flags, hi);
        } else {
          im2colRows(xg, icg, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, ow, j0, j1, scratch);
          gemmU(ocg, j1 - j0, k, ag, scratch, j1 - j0, yg + (<usize>j0 << 2), ohw, bg, flags, hi);
        }
      }
    }
  }
}

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

/** Output columns a depthwise row computes: strides 1 and 2 run whole vectors (the tail is junk). */
@inline function dwCols(ow: i32, sw: i32): i32 {
  return sw <= 2 ? (ow + 3) & ~3 : ow;
}

/** Floats per row of the zero-padded plane: room for the vectors' reads past the last output. */
function dwPlaneWidth(ow: i32, kw: i32, sw: i32, dw: i32): i32 {
  const pw = (ow - 1) * sw + (kw - 1) * dw + 1;
  return sw <= 2 ? max(pw, sw * dwCols(ow, sw) + (kw - 1) * dw + 8) : pw;
}

/** Floats the `plane` argument of `depthwise` needs. */
export function depthwisePlane(oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  return ((oh - 1) * sh + (kh - 1) * dh + 1) * dwPlaneWidth(ow, kw, sw, dw) + 16;
}

@inline function tap(S: i32, s: usize, o: usize): v128 {
  return S == 1 ? v128.load(s + o) : v128.shuffle<f32>(v128.load(s + o), v128.load(s + o, 16), 0, 2, 4, 6);
}

/**
 * One output row of a depthwise channel, `S` = stride 1 or 2, a constant once inlined: eight
 * outputs per step in two accumulators (each weight splat feeds both), then four; the last vector
 * may run past `ow` (the caller leaves room). Stride 2 takes the even lanes of two loads.
 */
@inline function dwRow(
  S: i32, top: usize, wc: usize, kh: i32, kw: i32, dhB: usize, dwB: usize, ow: i32, bv: f32, flags: i32, hi: f32, yc: usize,
): void {
  let ox = 0;
  for (; ox + 8 <= ow; ox += 8) {
    let a0 = f32x4.splat(bv), a1 = a0;
    let row = top + (<usize>(ox * S) << 2), wp = wc;
    for (let ky = 0; ky < kh; ky++) {
      let s = row;
      for (let kx = 0; kx < kw; kx++) {
        const wv = v128.load32_splat(wp);
        a0 = madd(wv, tap(S, s, 0), a0);
        a1 = madd(wv, tap(S, s, 16 * S), a1);
        s += dwB; wp += 4;
      }
      row += dhB;
    }
    v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
    v128.store(yc + (<usize>ox << 2), clamp4(a1, flags, hi), 16);
  }
  for (; ox < ow; ox += 4) {
    let a0 = f32x4.splat(bv);
    let row = top + (<usize>(ox * S) << 2), wp = wc;
    for (let ky = 0; ky < kh; ky++) {
      let s = row;
      for (let kx = 0; kx < kw; kx++) {
        a0 = madd(v128.load32_splat(wp), tap(S, s, 0), a0);
        s += dwB; wp += 4;
      }
      row += dhB;
    }
    v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
  }
}

/**
 * 3×3 undilated rows: the nine weight splats stay in registers across the channel's rows, eight
 * outputs per step, then four (the last may run past `ow`).
 */
@inline function dw3x3(
  S: i32, plane: usize, pwB: usize, oh: i32, ow: i32, ovec: i32, wc: usize, bv: f32, flags: i32, hi: f32, yc: usize,
): void {
  const w0 = v128.load32_splat(wc), w1 = v128.load32_splat(wc, 4), w2 = v128.load32_splat(wc, 8);
  const w3 = v128.load32_splat(wc, 12), w4 = v128.load32_splat(wc, 16), w5 = v128.load32_splat(wc, 20);
  const w6 = v128.load32_splat(wc, 24), w7 = v128.load32_splat(wc, 28), w8 = v128.load32_splat(wc, 32);
  const b = f32x4.splat(bv);
  const rowStep = <usize>S * pwB;
  let top = plane;
  for (let oy = 0; oy < oh; oy++) {
    const r1 = top + pwB, r2 = r1 + pwB;
    let ox = 0;
    for (; ox + 8 <= ovec; ox += 8) {
      const o = <usize>(ox * S) << 2;
      let a0 = madd(w0, tap(S, top, o), b);
      let a1 = madd(w0, tap(S, top, o + 16 * S), b);
      a0 = madd(w1, tap(S, top, o + 4), a0); a1 = madd(w1, tap(S, top, o + 4 + 16 * S), a1);
      a0 = madd(w2, tap(S, top, o + 8), a0); a1 = madd(w2, tap(S, top, o + 8 + 16 * S), a1);
      a0 = madd(w3, tap(S, r1, o), a0); a1 = madd(w3, tap(S, r1, o + 16 * S), a1);
      a0 = madd(w4, tap(S, r1, o + 4), a0); a1 = madd(w4, tap(S, r1, o + 4 + 16 * S), a1);
      a0 = madd(w5, tap(S, r1, o + 8), a0); a1 = madd(w5, tap(S, r1, o + 8 + 16 * S), a1);
      a0 = madd(w6, tap(S, r2, o), a0); a1 = madd(w6, tap(S, r2, o + 16 * S), a1);
      a0 = madd(w7, tap(S, r2, o + 4), a0); a1 = madd(w7, tap(S, r2, o + 4 + 16 * S), a1);
      a0 = madd(w8, tap(S, r2, o + 8), a0); a1 = madd(w8, tap(S, r2, o + 8 + 16 * S), a1);
      v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
      v128.store(yc + (<usize>ox << 2), clamp4(a1, flags, hi), 16);
    }
    for (; ox < ovec; ox += 4) {
      const o = <usize>(ox * S) << 2;
      let a0 = madd(w0, tap(S, top, o), b);
      a0 = madd(w1, tap(S, top, o + 4), a0);
      a0 = madd(w2, tap(S, top, o + 8), a0);
      a0 = madd(w3, tap(S, r1, o), a0);
      a0 = madd(w4, tap(S, r1, o + 4), a0);
      a0 = madd(w5, tap(S, r1, o + 8), a0);
      a0 = madd(w6, tap(S, r2, o), a0);
      a0 = madd(w7, tap(S, r2, o + 4), a0);
      a0 = madd(w8, tap(S, r2, o + 8), a0);
      v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
    }
    top += rowStep;
    yc += <usize>ow << 2;
  }
}

/**
 * Depthwise conv (group = C = OC): each channel is copied into a zero-padded plane so the window
 * loops need no bounds tests. The padding is the same for every channel, so the plane is zeroed
 * once per call and each channel only overwrites its interior. Strides 1 and 2 run as whole
 * vectors (3×3 undilated with the weights in registers): a row's last vector may write up to 3
 * junk floats past its end, which the next row (or channel) overwrites, so `y` needs 3 spare
 * floats; other strides are scalar. `plane` needs `depthwisePlane(...)` floats.
 */
export function depthwise(
  x: usize, n: i32, c: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  w: usize, bias: usize, flags: i32, hi: f32, y: usize, plane: usize,
): void {
  const ph = (oh - 1) * sh + (kh - 1) * dh + 1;
  const pw = dwPlaneWidth(ow, kw, sw, dw);
  const pwB = <usize>pw << 2;
  const dhB = <usize>dh * pwB, dwB = <usize>dw << 2;
  const taps = kh * kw;
  const ovec = dwCols(ow, sw);
  const k3 = kh == 3 && kw == 3 && dh == 1 && dw == 1;
  memory.fill(plane, 0, (<usize>(ph * pw + 16)) << 2);
  // the interior: input rows and columns that land inside the plane
  const y0 = max(0, -pt), y1 = min(ih, ph - pt);
  const x0 = max(0, -pl), x1 = min(iw, pw - pl);
  const cols = x1 - x0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xc = x + ((<usize>(b * c + ch) * ih * iw) << 2);
      if (cols > 0) {
        for (let iy = y0; iy < y1; iy++) {
          memory.copy(plane + <usize>(iy + pt) * pwB + (<usize>(x0 + pl) << 2), xc + ((<usize>iy * iw + x0) << 2), <usize>cols << 2);
        }
      }
      const wc = w + ((<usize>ch * taps) << 2);
      const bv: f32 = bias ? load<f32>(bias + (<usize>ch << 2)) : 0;
      let yc = y + ((<usize>(b * c + ch) * oh * ow) << 2);
      if (k3 && sh == sw && sw <= 2) {
        if (sw == 1) dw3x3(1, plane, pwB, oh, ow, ovec, wc, bv, flags, hi, yc);
        else dw3x3(2, plane, pwB, oh, ow, ovec, wc, bv, flags, hi, yc);
        continue;
      }
      for (let oy = 0; oy < oh; oy++) {
        const top = plane + <usize>(oy * sh) * pwB;
        if (sw == 1) dwRow(1, top, wc, kh, kw, dhB, dwB, ovec, bv, flags, hi, yc);
        else if (sw == 2) dwRow(2, top, wc, kh, kw, dhB, dwB, ovec, bv, flags, hi, yc);
        else {
          for (let ox = 0; ox < ow; ox++) {
            let acc = bv;
            for (let ky = 0; ky < kh; ky++) {
              const row = top + <usize>(ky * dh) * pwB + (<usize>(ox * sw) << 2);
              for (let kx = 0; kx < kw; kx++) {
                acc += load<f32>(wc + (<usize>(ky * kw + kx) << 2)) * load<f32>(row + (<usize>(kx * dw) << 2));
              }
            }
            store<f32>(yc + (<usize>ox << 2), clamp1(acc, flags, hi));
          }
        }
        yc += <usize>ow << 2;
      }
    }
  }
}

/**
 * Deconv's second half: the GEMM gave cols[(o·kh + ky)·kw + kx][iy·iw + ix] = Σc W·x; each is added
 * at output (iy·sh - pt + ky·dh, ix·sw - pl + kx·dw) when inside, over bias, then relu / cap.
 */
export function col2im(
  cols: usize, oc: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  dh: i32, dw: i32, pt: i32, pl: i32, bias: usize, flags: i32, hi: f32, y: usize,
): void {
  const plane = <usize>(oh * ow);
  for (let o = 0; o < oc; o++) {
    const yo = y + ((<usize>o * plane) << 2);
    const bv: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
    for (let i: usize = 0; i < plane; i++) store<f32>(yo + (i << 2), bv);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let src = cols + ((<usize>((o * kh + ky) * kw + kx) * ih * iw) << 2);
        for (let iy = 0; iy < ih; iy++) {
          const oy = iy * sh - pt + ky * dh;
          if (<u32>oy < <u32>oh) {
            const row = yo + ((<usize>oy * ow) << 2);
            let ox = kx * dw - pl;
            for (let ix = 0; ix < iw; ix++) {
              if (<u32>ox < <u32>ow) {
                const d = row + (<usize>ox << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ix << 2)));
              }
              ox += sw;
            }
          }
          src += <usize>iw << 2;
        }
      }
    }
    if (flags) {
      for (let i: usize = 0; i < plane; i++) store<f32>(yo + (i << 2), clamp1(load<f32>(yo + (i << 2)), flags, hi));
    }
  }
}
