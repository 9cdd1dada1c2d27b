// Packed f32 GEMM: C[m×n] (+)= A[m×k]·B[k×n], then bias / relu clamp on the last k-block.
// Pointers are byte offsets into the one linear memory; the JS side owns allocation.
//
// Packed layouts (why: the micro-kernel then reads both operands strictly sequentially):
//   A: panels of MR rows, element (i, p) at ((i / MR)·k + p)·MR + i % MR, rows past m are zero.
//   B: panels of NR columns, element (p, j) at ((j / NR)·k + p)·NR + j % NR, columns past n zero.

export const MR: i32 = 4;
export const NR: i32 = 8;
// k-block: one A panel (4 KiB) and one B panel (8 KiB) stay in L1 across the inner loop
const KC: i32 = 256;
// edge tiles are computed here, then their valid part copied to C
const TILE: usize = memory.data(4 * 8 * 4, 16);

/** Epilogue flags, shared by every kernel: bit 0 = relu (max 0), bit 1 = cap at `hi`. */
export const RELU: i32 = 1;
export const CAP: i32 = 2;

@inline function clamp(v: v128, flags: i32, hi: v128): v128 {
  if (flags & RELU) v = f32x4.pmax(f32x4.splat(0), v); // NaN → 0, as js
  if (flags & CAP) v = f32x4.pmin(v, hi);
  return v;
}

/**
 * The 4×8 register tile: 8 f32x4 accumulators + 2 B vectors + 1 A splat = 11 of the 16 vector
 * registers V8 has on x64, so nothing spills. Wasm SIMD has no FMA, hence mul + add.
 */
function micro(
  kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool, last: bool,
  biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16; b += 32;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  if (last) {
    if (biasRow) {
      let v = v128.load32_splat(biasRow); c00 = f32x4.add(c00, v); c01 = f32x4.add(c01, v);
      v = v128.load32_splat(biasRow, 4); c10 = f32x4.add(c10, v); c11 = f32x4.add(c11, v);
      v = v128.load32_splat(biasRow, 8); c20 = f32x4.add(c20, v); c21 = f32x4.add(c21, v);
      v = v128.load32_splat(biasRow, 12); c30 = f32x4.add(c30, v); c31 = f32x4.add(c31, v);
    }
    if (biasCol) {
      const v0 = v128.load(biasCol), v1 = v128.load(biasCol, 16);
      c00 = f32x4.add(c00, v0); c01 = f32x4.add(c01, v1); c10 = f32x4.add(c10, v0); c11 = f32x4.add(c11, v1);
      c20 = f32x4.add(c20, v0); c21 = f32x4.add(c21, v1); c30 = f32x4.add(c30, v0); c31 = f32x4.add(c31, v1);
    }
    if (flags) {
      const h = f32x4.splat(hi);
      c00 = clamp(c00, flags, h); c01 = clamp(c01, flags, h); c10 = clamp(c10, flags, h); c11 = clamp(c11, flags, h);
      c20 = clamp(c20, flags, h); c21 = clamp(c21, flags, h); c30 = clamp(c30, flags, h); c31 = clamp(c31, flags, h);
    }
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

function copyTile(src: usize, sld: usize, dst: usize, dld: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * dld, src + <usize>r * sld, <usize>cols << 2);
}

/**
 * C (ldc elements per row) = packed A · packed B (+ bias over rows or columns, padded to a
 * multiple of 8 with slack) (+ relu/cap). `n` columns of B are packed from column 0.
 */
export function gemm(
  m: i32, n: i32, k: i32, pa: usize, pb: usize, c: usize, ldc: i32,
  biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  const ldcB = <usize>ldc << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0, last = pc + kc >= k;
    for (let j = 0; j < n; j += NR) {
      const bp = pb + ((<usize>j * k + <usize>pc * NR) << 2);
      const nr = min(NR, n - j);
      const bc = biasCol ? biasCol + (<usize>j << 2) : 0;
      for (let i = 0; i < m; i += MR) {
        const ap = pa + ((<usize>i * k + <usize>pc * MR) << 2);
        const cp = c + <usize>i * ldcB + (<usize>j << 2);
        const br = biasRow ? biasRow + (<usize>i << 2) : 0;
        const mr = min(MR, m - i);
        if (mr == MR && nr == NR) {
          micro(kc, ap, bp, cp, ldcB, !first, last, br, bc, flags, hi);
        } else {
          if (!first) copyTile(cp, ldcB, TILE, NR * 4, mr, nr);
          micro(kc, ap, bp, TILE, NR * 4, !first, last, br, bc, flags, hi);
          copyTile(TILE, NR * 4, cp, ldcB, mr, nr);
        }
      }
    }
  }
}

/** Packs A (element (i, p) at src + (i·rs + p·cs)·4) into MR-row panels. */
export function packA(src: usize, rs: i32, cs: i32, m: i32, k: i32, dst: usize): void {
  for (let i0 = 0; i0 < m; i0 += MR) {
    const rows = min(MR, m - i0);
    for (let p = 0; p < k; p++) {
      for (let r = 0; r < MR; r++) {
        const v: f32 = r < rows ? load<f32>(src + ((<usize>(i0 + r) * rs + <usize>p * cs) << 2)) : 0;
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

/**
 * Packs columns [j0, j1) of B (element (p, j) at src + (p·rs + j·cs)·4) into NR-column panels
 * at dst, panel 0 holding column j0. Unit column stride copies two vectors per row.
 */
export function packB(src: usize, rs: i32, cs: i32, k: i32, j0: i32, j1: i32, dst: usize): void {
  for (let j = j0; j < j1; j += NR) {
    const cols = min(NR, j1 - j);
    if (cs == 1 && cols == NR) {
      let s = src + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        v128.store(dst, v128.load(s)); v128.store(dst, v128.load(s, 16), 16);
        s += <usize>rs << 2; dst += 32;
      }
    } else {
      for (let p = 0; p < k; p++) {
        for (let t = 0; t < NR; t++) {
          const v: f32 = t < cols ? load<f32>(src + ((<usize>p * rs + <usize>(j + t) * cs) << 2)) : 0;
          store<f32>(dst, v);
          dst += 4;
        }
      }
    }
  }
}
