// Convolution drivers over the packed GEMM: out[oc][oh·ow] = W[oc][ic·kh·kw] · cols[ic·kh·kw][oh·ow]
// per group and image. The filter is the A side, packed once by the caller; the input side is
// packed per call in column chunks so a chunk's panels stay in L2 while the GEMM sweeps them.
import { CAP, gemm, MR, NR, packB, RELU } from './gemm';

/**
 * im2col straight into packed-B panels for output positions [j0, j1), channels at x. Walks one
 * output row at a time so the bounds test is one unsigned compare per element.
 */
export function packIm2col(
  x: usize, c: i32, ih: i32, iw: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, ow: i32, j0: i32, j1: i32, dst: usize,
): void {
  const k = c * kh * kw, nc = j1 - j0;
  const jump = (<usize>(k * NR - (NR - 1))) << 2; // from column 8t+7 of one panel to 8t+8 of the next
  let p = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let d = dst + (<usize>p * NR << 2);
        let t = 0, oy = j0 / ow, ox = j0 % ow;
        while (t < nc) {
          const run = min(ow - ox, nc - t);
          const iy = oy * sh - pt + ky * dh;
          const rowOk = <u32>iy < <u32>ih;
          const row = x + ((<usize>ci * ih + iy) * iw << 2);
          let ix = ox * sw - pl + kx * dw;
          for (let r = 0; r < run; r++) {
            store<f32>(d, rowOk && <u32>ix < <u32>iw ? load<f32>(row + (<usize>ix << 2)) : 0);
            ix += sw;
            d += (t & (NR - 1)) == NR - 1 ? jump : 4;
            t++;
          }
          ox = 0; oy++;
        }
        // zero the unused columns of a partial last panel
        while (t & (NR - 1)) { store<f32>(d, 0); d += 4; t++; }
        p++;
      }
    }
  }
}

/** Columns per chunk: about 128 KiB of packed panels, at least one panel. */
export function chunkCols(k: i32, n: i32): i32 {
  const c = max(NR, ((32768 / k) / NR) * NR);
  return min(c, ((n + NR - 1) / NR) * NR);
}

/**
 * Grouped 2-D convolution of n NCHW images. `pa` holds each group's filter packed by packA
 * (groups back to back, ceil(ocg/MR)·MR·K floats each); `direct` marks a 1×1, stride-1, unpadded
 * conv whose input already is the B matrix. `scratch` holds one packed chunk.
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
      for (let j0 = 0; j0 < ohw; j0 += chunk) {
        const j1 = min(ohw, j0 + chunk);
        if (direct) packB(xg, ih * iw, 1, k, j0, j1, scratch);
        else packIm2col(xg, icg, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, ow, j0, j1, scratch);
        gemm(ocg, j1 - j0, k, pa + <usize>g * panelsA, scratch, yg + (<usize>j0 << 2), ohw, bg, 0, flags, hi);
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

/**
 * One output row of a depthwise channel, `S` = stride 1 or 2, a constant once inlined: eight
 * outputs per step in two accumulators (each weight splat feeds both), then four. Stride 2 takes
 * the even lanes of two loads. Returns how many outputs it wrote; the caller does the rest.
 */
@inline function dwRow(
  S: i32, top: usize, wc: usize, kh: i32, kw: i32, dhB: usize, dwB: usize, ow: i32, bv: f32, flags: i32, hi: f32, yc: usize,
): i32 {
  let ox = 0;
  for (; ox + 8 <= ow; ox += 8) {
    let a0 = f32x4.splat(bv), a1 = a0;
    let row = top + (<usize>(ox * S) << 2), wp = wc;
    for (let ky = 0; ky < kh; ky++) {
      let s = row;
      for (let kx = 0; kx < kw; kx++) {
        const wv = v128.load32_splat(wp);
        if (S == 1) {
          a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(s)));
          a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(s, 16)));
        } else {
          a0 = f32x4.add(a0, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6)));
          a1 = f32x4.add(a1, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6)));
        }
        s += dwB; wp += 4;
      }
      row += dhB;
    }
    v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
    v128.store(yc + (<usize>ox << 2), clamp4(a1, flags, hi), 16);
  }
  for (; ox + 4 <= ow; ox += 4) {
    let a0 = f32x4.splat(bv);
    let row = top + (<usize>(ox * S) << 2), wp = wc;
    for (let ky = 0; ky < kh; ky++) {
      let s = row;
      for (let kx = 0; kx < kw; kx++) {
        const xv = S == 1 ? v128.load(s) : v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), xv));
        s += dwB; wp += 4;
      }
      row += dhB;
    }
    v128.store(yc + (<usize>ox << 2), clamp4(a0, flags, hi));
  }
  return ox;
}

/**
 * Depthwise conv (group = C = OC): each channel is first copied into a zero-padded plane so the
 * window loops need no bounds tests; strides 1 and 2 run as vectors (dwRow), other strides and
 * row tails scalar. `plane` needs (PH·PW + 16) floats; the spare floats absorb vector over-reads.
 */
export function depthwise(
  x: usize, n: i32, c: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  w: usize, bias: usize, flags: i32, hi: f32, y: usize, plane: usize,
): void {
  const ph = (oh - 1) * sh + (kh - 1) * dh + 1;
  const pw = (ow - 1) * sw + (kw - 1) * dw + 1;
  const pwB = <usize>pw << 2;
  const dhB = <usize>dh * pwB, dwB = <usize>dw << 2;
  const taps = kh * kw;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xc = x + ((<usize>(b * c + ch) * ih * iw) << 2);
      memory.fill(plane, 0, (<usize>(ph * pw + 16)) << 2);
      const cols = min(iw, pw - pl);
      for (let iy = 0; iy < ih && iy + pt < ph; iy++) {
        if (cols > 0) memory.copy(plane + <usize>(iy + pt) * pwB + (<usize>pl << 2), xc + ((<usize>iy * iw) << 2), <usize>cols << 2);
      }
      const wc = w + ((<usize>ch * taps) << 2);
      const bv: f32 = bias ? load<f32>(bias + (<usize>ch << 2)) : 0;
      let yc = y + ((<usize>(b * c + ch) * oh * ow) << 2);
      for (let oy = 0; oy < oh; oy++) {
        const top = plane + <usize>(oy * sh) * pwB;
        let ox = sw == 1 ? dwRow(1, top, wc, kh, kw, dhB, dwB, ow, bv, flags, hi, yc)
          : sw == 2 ? dwRow(2, top, wc, kh, kw, dhB, dwB, ow, bv, flags, hi, yc) : 0;
        for (; ox < ow; ox++) {
          let acc = bv;
          for (let ky = 0; ky < kh; ky++) {
            const row = top + <usize>(ky * dh) * pwB + (<usize>(ox * sw) << 2);
            for (let kx = 0; kx < kw; kx++) {
              acc += load<f32>(wc + (<usize>(ky * kw + kx) << 2)) * load<f32>(row + (<usize>(kx * dw) << 2));
            }
          }
          store<f32>(yc + (<usize>ox << 2), clamp1(acc, flags, hi));
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
