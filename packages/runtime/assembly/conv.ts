// Convolution drivers over the GEMM: out[oc][oh·ow] = W[oc][ic·kh·kw] · cols[ic·kh·kw][oh·ow]
// per group and image. The filter is the A side, packed once by the caller; the input side is
// read unpacked (gemmU): a 1×1 stride-1 conv's input in place, anything else as a row-major
// im2col made per column chunk so the chunk stays in L2 while the GEMM sweeps it.
import { CAP, gemm, gemmU, MR, NR, RELU } from './gemm';

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

@inline function clamp1(v: f32, flags: i32, hi: f32): f32 {
  if (flags & RELU) v = v > 0 ? v : 0;
  if (flags & CAP) v = v < hi ? v : hi;
  return v;
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
