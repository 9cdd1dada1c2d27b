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
 * c + a·b: one fused multiply-add when the module is built with relaxed SIMD (the second build,
 * wasm/kernels-relaxed.wasm), else mul then add. The fused form rounds once, so it is at least
 * as accurate; hosts without FMA may compute either way (the spec allows both).
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

/**
 * The 4×8 register tile: 8 f32x4 accumulators + 2 B vectors + 1 A splat = 11 of the 16 vector
 * registers V8 has on x64, so nothing spills. Wasm SIMD has no FMA, hence mul + add.
 */
function micro(
  kc: i32, a: usize, b: usize, bstep: usize, c: usize, ldc: usize, accumulate: bool, last: bool,
  biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a += 16; b += bstep;
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

// row block: MC rows of A (MC·KC floats = 128 KiB) stay in L2 while every B panel of the chunk
// sweeps past them, so a large filter is not re-streamed from L3 once per 8 output columns
const MC: i32 = 128;

/**
 * C (ldc elements per row) = packed A · packed B (+ bias over rows or columns, padded to a
 * multiple of 8 with slack) (+ relu/cap). `n` columns of B are packed from column 0.
 */
export function gemm(
  m: i32, n: i32, k: i32, pa: usize, pb: usize, c: usize, ldc: i32,
  biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  if (n == 1) { gemvA(m, k, pa, pb, c, ldc, biasRow, biasCol, flags, hi); return; }
  if (m == 1) { gemvB(n, k, pa, pb, c, biasRow, biasCol, flags, hi); return; }
  const ldcB = <usize>ldc << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0, last = pc + kc >= k;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const i1 = min(m, i0 + MC);
      for (let j = 0; j < n; j += NR) {
        const bp = pb + ((<usize>j * k + <usize>pc * NR) << 2);
        const nr = min(NR, n - j);
        const bc = biasCol ? biasCol + (<usize>j << 2) : 0;
        for (let i = i0; i < i1; i += MR) {
          const ap = pa + ((<usize>i * k + <usize>pc * MR) << 2);
          const cp = c + <usize>i * ldcB + (<usize>j << 2);
          const br = biasRow ? biasRow + (<usize>i << 2) : 0;
          const mr = min(MR, m - i);
          if (mr == MR && nr == NR) {
            micro(kc, ap, bp, NR * 4, cp, ldcB, !first, last, br, bc, flags, hi);
          } else {
            if (!first) copyTile(cp, ldcB, TILE, NR * 4, mr, nr);
            micro(kc, ap, bp, NR * 4, TILE, NR * 4, !first, last, br, bc, flags, hi);
            copyTile(TILE, NR * 4, cp, ldcB, mr, nr);
          }
        }
      }
    }
  }
}

/**
 * n = 1 (a 1×1 conv on a 1×1 map, a matrix times a vector): each A panel times the vector, four
 * rows per vector; B's one column sits at every NR-th float of its panel.
 */
function gemvA(
  m: i32, k: i32, pa: usize, pb: usize, c: usize, ldc: i32, biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  const ldcB = <usize>ldc << 2;
  const h = f32x4.splat(hi);
  const bc: f32 = biasCol ? load<f32>(biasCol) : 0;
  let a = pa;
  for (let i = 0; i < m; i += MR) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let b = pb, p = 0;
    for (; p + 4 <= k; p += 4) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v128.load32_splat(b)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(a, 16), v128.load32_splat(b, NR * 4)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(a, 32), v128.load32_splat(b, NR * 8)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(a, 48), v128.load32_splat(b, NR * 12)));
      a += 64; b += NR * 16;
    }
    for (; p < k; p++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v128.load32_splat(b)));
      a += 16; b += NR * 4;
    }
    let v = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    if (biasRow) v = f32x4.add(v, v128.load(biasRow + (<usize>i << 2)));
    if (biasCol) v = f32x4.add(v, f32x4.splat(bc));
    v = clamp(v, flags, h);
    const rows = min(MR, m - i);
    const cp = c + <usize>i * ldcB;
    store<f32>(cp, f32x4.extract_lane(v, 0));
    if (rows > 1) store<f32>(cp + ldcB, f32x4.extract_lane(v, 1));
    if (rows > 2) store<f32>(cp + 2 * ldcB, f32x4.extract_lane(v, 2));
    if (rows > 3) store<f32>(cp + 3 * ldcB, f32x4.extract_lane(v, 3));
  }
}

/** m = 1 (one row times a matrix): the row's p-th element (every MR-th float of A) times B panels. */
function gemvB(
  n: i32, k: i32, pa: usize, pb: usize, c: usize, biasRow: usize, biasCol: usize, flags: i32, hi: f32,
): void {
  const h = f32x4.splat(hi);
  const br: f32 = biasRow ? load<f32>(biasRow) : 0;
  let b = pb;
  for (let j = 0; j < n; j += NR) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let a = pa, p = 0;
    for (; p + 2 <= k; p += 2) {
      let av = v128.load32_splat(a);
      s0 = f32x4.add(s0, f32x4.mul(av, v128.load(b))); s1 = f32x4.add(s1, f32x4.mul(av, v128.load(b, 16)));
      av = v128.load32_splat(a, MR * 4);
      s2 = f32x4.add(s2, f32x4.mul(av, v128.load(b, 32))); s3 = f32x4.add(s3, f32x4.mul(av, v128.load(b, 48)));
      a += MR * 8; b += 64;
    }
    if (p < k) {
      const av = v128.load32_splat(a);
      s0 = f32x4.add(s0, f32x4.mul(av, v128.load(b))); s1 = f32x4.add(s1, f32x4.mul(av, v128.load(b, 16)));
      b += 32;
    }
    let v0 = f32x4.add(s0, s2), v1 = f32x4.add(s1, s3);
    if (biasRow) { const bv = f32x4.splat(br); v0 = f32x4.add(v0, bv); v1 = f32x4.add(v1, bv); }
    if (biasCol) { v0 = f32x4.add(v0, v128.load(biasCol + (<usize>j << 2))); v1 = f32x4.add(v1, v128.load(biasCol + (<usize>j << 2), 16)); }
    v0 = clamp(v0, flags, h); v1 = clamp(v1, flags, h);
    const cols = min(NR, n - j);
    if (cols == NR) {
      v128.store(c + (<usize>j << 2), v0); v128.store(c + (<usize>j << 2), v1, 16);
    } else {
      v128.store(TILE, v0); v128.store(TILE, v1, 16);
      memory.copy(c + (<usize>j << 2), TILE, <usize>cols << 2);
    }
  }
}

// the last, partial column panel of an unpacked B, packed here (KC rows of NR floats)
const TAILB: usize = memory.data(KC * NR * 4, 16);

/**
 * C = packed A · B where B is a plain row-major [k, n] matrix (ldb floats per row), read in place:
 * the micro-kernel steps down B's rows, two vectors each, so a 1×1 conv's input or a row-major
 * im2col needs no panel packing. Columns past the last whole panel go through TAILB.
 */
export function gemmU(
  m: i32, n: i32, k: i32, pa: usize, b: usize, ldb: i32, c: usize, ldc: i32,
  biasRow: usize, flags: i32, hi: f32,
): void {
  const ldcB = <usize>ldc << 2, ldbB = <usize>ldb << 2;
  const nFull = n & ~(NR - 1), rem = n - nFull;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0, last = pc + kc >= k;
    const bk = b + <usize>pc * ldbB;
    if (rem) {
      // the tail panel: rem columns of these kc rows, zero-padded to NR
      let s = bk + (<usize>nFull << 2), d = TAILB;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.splat<f32>(0)); v128.store(d, v128.splat<f32>(0), 16);
        memory.copy(d, s, <usize>rem << 2);
        s += ldbB; d += NR * 4;
      }
    }
    for (let i0 = 0; i0 < m; i0 += MC) {
      const i1 = min(m, i0 + MC);
      for (let j = 0; j < n; j += NR) {
        const full = j < nFull;
        const bp = full ? bk + (<usize>j << 2) : TAILB;
        const bstep = full ? ldbB : NR * 4;
        const nr = min(NR, n - j);
        for (let i = i0; i < i1; i += MR) {
          const ap = pa + ((<usize>i * k + <usize>pc * MR) << 2);
          const cp = c + <usize>i * ldcB + (<usize>j << 2);
          const br = biasRow ? biasRow + (<usize>i << 2) : 0;
          const mr = min(MR, m - i);
          if (mr == MR && nr == NR) {
            micro(kc, ap, bp, bstep, cp, ldcB, !first, last, br, 0, flags, hi);
          } else {
            if (!first) copyTile(cp, ldcB, TILE, NR * 4, mr, nr);
            micro(kc, ap, bp, bstep, TILE, NR * 4, !first, last, br, 0, flags, hi);
            copyTile(TILE, NR * 4, cp, ldcB, mr, nr);
          }
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
