// Integer convolution as a grouped GEMM: out[o][p] = requant(Σ_k W[o][k] · X[k][p] + bias[o]) with
// W the group's int8 filter (rows = output channels, k = (c, ky, kx)) and X its im2col columns.
//
// Products are 8-bit × 8-bit codes widened to i16 and summed pairwise by i32x4.dot_i16x8_s: both
// operands are packed as (k, k+1) pairs of i16, so one dot is 8 multiply-adds into 4 int32 lanes
// (exact: the JS side only sends ops whose |Σ| stays below 2^31).
//   A (the filter, packed once per op by src/kernels/wasm-conv2d.ts): panels of MR rows; row i,
//     pair p at ((i / MR)·kp + p)·MR + i % MR, 4 bytes each; rows past the group's and the odd
//     k's partner are zero.
//   B (packed per column chunk here): panels of NR columns; pair p, column j at
//     ((j / NR)·kp + p)·NR + j % NR.
// The register tile is MR × NR = 4 × 8 outputs: 8 i32x4 accumulators, 2 B vectors and an A splat.
// Pointers are byte offsets into the memory; the JS side allocates.
import { biasOf, halfOf, multOf, PARAM_BYTES, requant4, shiftOf, vhiOf, vloOf } from './requant';

export const MR: i32 = 4;
export const NR: i32 = 8;
// edge tiles (fewer than MR rows or NR columns left) are computed here, then their valid part copied
const TILE: usize = memory.data(MR * NR * 4, 16);
// packed B of one column chunk: 32 Ki pairs (128 KiB) stay in L2 while every A panel sweeps it
const CHUNK_PAIRS: i32 = 32768;

/** Columns per chunk for k rows and p output positions (a multiple of NR). */
export function chunkCols(k: i32, p: i32): i32 {
  const kp = (k + 1) >> 1;
  const most = (p + NR - 1) & ~(NR - 1);
  return min(most, max(NR, (CHUNK_PAIRS / kp) & ~(NR - 1)));
}

/** ceil(a / b) for b > 0 and any a. */
@inline function cdiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -(-a / b);
}

@inline function fill(dst: usize, n: i32, v: f32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

/**
 * im2col of output positions [p0, p0 + nc) of one group: row k = (c, ky, kx) at col + k·ld floats,
 * the input code under each window tap, the input zero point where the tap falls in the padding.
 */
function im2col(
  xg: usize, icg: i32, ih: i32, iw: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, ow: i32, p0: i32, nc: i32, zp: f32, col: usize, ld: i32,
): void {
  let row = col;
  for (let c = 0; c < icg; c++) {
    const xc = xg + (<usize>(c * ih * iw) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const off = kx * dw - pl;
        // output columns whose tap lands inside the row: 0 <= ox·sw + off < iw
        const xa = max(0, cdiv(-off, sw));
        const xb = min(ow, cdiv(iw - off, sw));
        let oy = p0 / ow, ox = p0 % ow, o = 0;
        while (o < nc) {
          const seg = min(ow - ox, nc - o);
          const dst = row + (<usize>o << 2);
          const iy = oy * sh - pt + ky * dh;
          const a = max(ox, xa), b = min(ox + seg, xb);
          if (iy < 0 || iy >= ih || a >= b) {
            fill(dst, seg, zp);
          } else {
            fill(dst, a - ox, zp);
            const src = xc + (<usize>(iy * iw + off) << 2);
            const d = dst + (<usize>(a - ox) << 2);
            if (sw == 1) memory.copy(d, src + (<usize>a << 2), <usize>(b - a) << 2);
            else for (let t = a; t < b; t++) store<f32>(d + (<usize>(t - a) << 2), load<f32>(src + (<usize>(t * sw) << 2)));
            fill(dst + (<usize>(b - ox) << 2), ox + seg - b, zp);
          }
          o += seg;
          ox = 0;
          oy++;
        }
        row += <usize>ld << 2;
      }
    }
  }
}

/** Eight f32 codes at p as i16x8 (the codes are exact integers of 8-bit types). */
@inline function codes8(p: usize): v128 {
  return i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(v128.load(p)), i32x4.trunc_sat_f32x4_s(v128.load(p, 16)));
}

/**
 * Packs k rows of nc f32 codes (row r at src + r·rs bytes) into B's layout at dst; the columns
 * of the last panel past nc and the odd k's partner row are zero.
 */
function packB(src: usize, rs: usize, k: i32, nc: i32, dst: usize): void {
  const kp = (k + 1) >> 1;
  const step = <usize>kp * NR * 4;
  const full = nc & ~(NR - 1);
  for (let p = 0; p < kp; p++) {
    const r0 = src + <usize>(2 * p) * rs;
    const r1 = r0 + rs;
    const pair = 2 * p + 1 < k;
    let d = dst + <usize>p * NR * 4;
    for (let j = 0; j < full; j += NR) {
      const a = codes8(r0 + (<usize>j << 2));
      const b = pair ? codes8(r1 + (<usize>j << 2)) : i32x4.splat(0);
      v128.store(d, i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
      v128.store(d, i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
      d += step;
    }
    if (full < nc) {
      for (let t = 0; t < NR; t++) {
        const j = full + t;
        const v0: i32 = j < nc ? <i32>load<f32>(r0 + (<usize>j << 2)) : 0;
        const v1: i32 = j < nc && pair ? <i32>load<f32>(r1 + (<usize>j << 2)) : 0;
        store<i16>(d + (<usize>t << 2), <i16>v0);
        store<i16>(d + (<usize>t << 2), <i16>v1, 2);
      }
    }
  }
}

/** One output row of the tile: 8 accumulators requantized with the channel's record, stored. */
@inline function storeRow(c0: v128, c1: v128, prm: usize, zp: v128, lo: v128, hi: v128, dst: usize): void {
  const r = shiftOf(prm);
  const bias = biasOf(prm), m = multOf(prm), half = halfOf(r), vlo = vloOf(prm), vhi = vhiOf(prm);
  v128.store(dst, requant4(c0, bias, m, half, r, vlo, vhi, zp, lo, hi));
  v128.store(dst, requant4(c1, bias, m, half, r, vlo, vhi, zp, lo, hi), 16);
}

/** The 4 × 8 tile over kp pairs, requantized into c (ldc bytes per row). */
function micro(kp: i32, a: usize, b: usize, prm: usize, zp: v128, lo: v128, hi: v128, c: usize, ldc: usize): void {
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let p = 0; p < kp; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(av, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(av, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(av, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(av, b1));
    a += 16;
    b += 32;
  }
  storeRow(c00, c01, prm, zp, lo, hi, c);
  storeRow(c10, c11, prm + PARAM_BYTES, zp, lo, hi, c + ldc);
  storeRow(c20, c21, prm + 2 * PARAM_BYTES, zp, lo, hi, c + 2 * ldc);
  storeRow(c30, c31, prm + 3 * PARAM_BYTES, zp, lo, hi, c + 3 * ldc);
}

/**
 * tpu.Conv2D on int8/uint8 codes held as f32 (NCHW), any group count: per batch, group and
 * column chunk, the chunk's columns are packed (straight from the input for 1×1 stride-1 unpadded
 * convs, else through im2col into `col`, `nc`·k floats), then every A panel times every B panel.
 * `pa` holds each group's packed filter back to back (packFilterBytes each), `params` one record
 * per output channel (plus MR spare); results are f32 codes clamped to [lo, hi], at y.
 */
export function conv2d(
  x: usize, n: i32, ic: i32, ih: i32, iw: i32, oc: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, group: i32, zpIn: f32,
  pa: usize, params: usize, lo: i32, hi: i32, zp: i32, y: usize, col: usize, packed: usize, nc: i32,
): void {
  const icg = ic / group, ocg = oc / group;
  const k = icg * kh * kw, kp = (k + 1) >> 1;
  const P = oh * ow;
  const direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == ih && ow == iw;
  const groupBytes = <usize>((ocg + MR - 1) / MR) * kp * MR * 4;
  const zpV = i32x4.splat(zp), loV = i32x4.splat(lo), hiV = i32x4.splat(hi);
  const ldc = <usize>P << 2;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < group; g++) {
      const xg = x + (<usize>((b * ic + g * icg) * ih * iw) << 2);
      const ag = pa + <usize>g * groupBytes;
      for (let p0 = 0; p0 < P; p0 += nc) {
        const ncur = min(nc, P - p0);
        if (direct) packB(xg + (<usize>p0 << 2), ldc, k, ncur, packed);
        else {
          im2col(xg, icg, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, ow, p0, ncur, zpIn, col, nc);
          packB(col, <usize>nc << 2, k, ncur, packed);
        }
        for (let i = 0; i < ocg; i += MR) {
          const ap = ag + <usize>(i / MR) * kp * MR * 4;
          const o = g * ocg + i;
          const prm = params + <usize>o * PARAM_BYTES;
          const mr = min(MR, ocg - i);
          const yrow = y + (<usize>(b * oc + o) * P + p0 << 2);
          for (let j = 0; j < ncur; j += NR) {
            const bp = packed + <usize>(j / NR) * kp * NR * 4;
            const nr = min(NR, ncur - j);
            const cp = yrow + (<usize>j << 2);
            if (mr == MR && nr == NR) micro(kp, ap, bp, prm, zpV, loV, hiV, cp, ldc);
            else {
              micro(kp, ap, bp, prm, zpV, loV, hiV, TILE, NR * 4);
              for (let r = 0; r < mr; r++) memory.copy(cp + <usize>r * ldc, TILE + <usize>r * NR * 4, <usize>nr << 2);
            }
          }
        }
      }
    }
  }
}
