// INT8 tpu.MatMul with a constant right operand: y[i][j] = requant_j(Σ_t x[i][t] · W[j][t] + bias_j).
// W is kept as rows of i16 (one per output column j, kpad = k rounded up to 8, zero tail), packed
// once per op by src/kernels/wasm-matmul.ts; each row of x is converted to i16 once, then four
// output columns share each load of it, 8 products per i32x4.dot_i16x8_s. Results are requantized
// one by one: each column may have its own multiplier and shift (requant.ts's record).
import { PARAM_BYTES, requant1 } from './requant';

@inline function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * x: rows × k f32 codes; w: n rows of kpad i16; params: one record per output column; xr: kpad
 * i16 of scratch; y: rows × n f32 codes clamped to [lo, hi].
 */
export function matmul(x: usize, rows: i32, k: i32, n: i32, w: usize, kpad: i32, params: usize, lo: i32, hi: i32, zp: i32, y: usize, xr: usize): void {
  const wrow = <usize>kpad << 1;
  for (let i = 0; i < rows; i++) {
    const xi = x + (<usize>(i * k) << 2);
    let t = 0;
    for (; t + 8 <= k; t += 8) {
      const p = xi + (<usize>t << 2);
      v128.store(xr + (<usize>t << 1), i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(v128.load(p)), i32x4.trunc_sat_f32x4_s(v128.load(p, 16))));
    }
    for (; t < kpad; t++) store<i16>(xr + (<usize>t << 1), t < k ? <i16><i32>load<f32>(xi + (<usize>t << 2)) : 0);
    const yi = y + (<usize>(i * n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const w0 = w + <usize>j * wrow;
      let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (let q: usize = 0; q < wrow; q += 16) {
        const xv = v128.load(xr + q);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xv, v128.load(w0 + q)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xv, v128.load(w0 + wrow + q)));
        s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xv, v128.load(w0 + 2 * wrow + q)));
        s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xv, v128.load(w0 + 3 * wrow + q)));
      }
      const prm = params + <usize>j * PARAM_BYTES;
      store<f32>(yi + (<usize>j << 2), requant1(hsum(s0), prm, zp, lo, hi));
      store<f32>(yi + (<usize>(j + 1) << 2), requant1(hsum(s1), prm + PARAM_BYTES, zp, lo, hi));
      store<f32>(yi + (<usize>(j + 2) << 2), requant1(hsum(s2), prm + 2 * PARAM_BYTES, zp, lo, hi));
      store<f32>(yi + (<usize>(j + 3) << 2), requant1(hsum(s3), prm + 3 * PARAM_BYTES, zp, lo, hi));
    }
    for (; j < n; j++) {
      const wj = w + <usize>j * wrow;
      let s = i32x4.splat(0);
      for (let q: usize = 0; q < wrow; q += 16) s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(xr + q), v128.load(wj + q)));
      store<f32>(yi + (<usize>j << 2), requant1(hsum(s), params + <usize>j * PARAM_BYTES, zp, lo, hi));
    }
  }
}
