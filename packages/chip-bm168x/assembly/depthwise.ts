// Depthwise tpu.Conv2D (group = IC, OC = mult·IC; output channel o reads input channel o / mult)
// on int8/uint8 codes held as f32, computed in f32 lanes: every product of two 8-bit codes and
// every partial sum of a window is an integer below 2^24 (the JS side checks Σ|w|·255 < 2^24 per
// channel), so f32 arithmetic is exact in any order and needs no conversion of the input.
//
// Each input channel is first copied into padded planes (padding = the input zero point), split
// by column phase at strides > 1: padded column u·sw + φ goes to phase φ, column u. Tap (ky, kx)
// of output column ox then sits at phase (kx·dw) % sw, column ox + (kx·dw) / sw, so consecutive
// outputs read consecutive floats whatever the stride. The padding is the same for every channel,
// so it is written once per call and each channel only overwrites the interior. 3×3 windows run
// in rows3x3 (weights in registers); others 16 outputs at a time (four chains of adds sharing
// each weight splat), then 8. A row's last step may write up to 7 junk codes past the row, which
// the next row (or channel) overwrites; the JS side leaves 8 spare floats after the output.
import { biasOf, halfOf, multOf, PARAM_BYTES, requant4, shiftOf, vhiOf, vloOf } from './requant';

/** Floats of scratch `depthwise` needs: every phase plane, then one i32 offset per tap. */
export function depthwiseScratch(oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  return sw * planeRows(oh, kh, sh, dh) * planeCols(ow, kw, sw, dw) + kh * kw;
}

@inline function planeRows(oh: i32, kh: i32, sh: i32, dh: i32): i32 {
  return (oh - 1) * sh + (kh - 1) * dh + 1;
}

@inline function planeCols(ow: i32, kw: i32, sw: i32, dw: i32): i32 {
  return ((ow + 7) & ~7) + (kw - 1) * dw / sw;
}

/** Every phase plane (sw · rows × cols floats at plane) filled with the input zero point. */
function padPlanes(sw: i32, rows: i32, cols: i32, zp: f32, plane: usize): void {
  const n = sw * rows * cols;
  const v = f32x4.splat(zp);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(plane + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(plane + (<usize>i << 2), zp);
}

/** n floats from src to dst, four at a time. */
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  let u = 0;
  for (; u + 4 <= n; u += 4) v128.store(dst + (<usize>u << 2), v128.load(src + (<usize>u << 2)));
  for (; u < n; u++) store<f32>(dst + (<usize>u << 2), load<f32>(src + (<usize>u << 2)));
}

/**
 * Channel xc (ih × iw f32) into the interior of the phase planes (rows × cols each); the padding
 * around it holds the zero point from padPlanes and is the same for every channel, so it is not
 * written again. Input row iy goes to plane row iy + pt; input column ix to padded column ix + pl,
 * i.e. phase (ix + pl) % sw, column (ix + pl) / sw.
 */
function fillPlanes(xc: usize, ih: i32, iw: i32, sw: i32, pt: i32, pl: i32, rows: i32, cols: i32, plane: usize): void {
  const phase = <usize>(rows * cols) << 2;
  // the input rows and columns that land inside the planes (the windows may not reach them all)
  const y1 = min(ih, rows - pt);
  const x1 = min(iw, cols * sw - pl);
  for (let iy = max(0, -pt); iy < y1; iy++) {
    const src = xc + (<usize>(iy * iw) << 2);
    const d = plane + (<usize>((iy + pt) * cols) << 2);
    let ix = max(0, -pl);
    if (sw == 1) {
      copyRow(d + (<usize>(ix + pl) << 2), src + (<usize>ix << 2), x1 - ix);
      continue;
    }
    if (sw == 2) {
      // eight inputs to four of each phase: even inputs to phase pl % 2, odd ones to the other
      const ev = d + <usize>(pl & 1) * phase, od = d + <usize>((pl + 1) & 1) * phase;
      for (; ix + 8 <= x1; ix += 8) {
        const a = v128.load(src + (<usize>ix << 2)), b = v128.load(src + (<usize>ix << 2), 16);
        v128.store(ev + (<usize>((ix + pl) >> 1) << 2), i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27));
        v128.store(od + (<usize>((ix + 1 + pl) >> 1) << 2), i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31));
      }
    }
    for (; ix < x1; ix++) {
      const pc = ix + pl;
      store<f32>(d + <usize>(pc % sw) * phase + (<usize>(pc / sw) << 2), load<f32>(src + (<usize>ix << 2)));
    }
  }
}

/** a + w·x for the vector at p: one term of a window sum. */
@inline function tap(a: v128, w: v128, p: usize): v128 {
  return f32x4.add(a, f32x4.mul(w, v128.load(p)));
}

/**
 * 3×3 windows (MobileNet's), 8 outputs of one row at a time: the nine weight splats and tap
 * offsets stay in registers, and each vector's sum is a tree (three row sums, then their sum)
 * rather than one chain of nine dependent adds. The order of the adds does not matter: every
 * partial sum is an exact integer in f32.
 */
function rows3x3(
  plane: usize, offs: usize, wo: usize, oh: i32, ow: i32, sh: i32, cols: i32, prm: usize,
  zp: v128, lo: v128, hi: v128, out: usize,
): void {
  const o0 = <usize>load<i32>(offs), o1 = <usize>load<i32>(offs, 4), o2 = <usize>load<i32>(offs, 8);
  const o3 = <usize>load<i32>(offs, 12), o4 = <usize>load<i32>(offs, 16), o5 = <usize>load<i32>(offs, 20);
  const o6 = <usize>load<i32>(offs, 24), o7 = <usize>load<i32>(offs, 28), o8 = <usize>load<i32>(offs, 32);
  const w0 = v128.load32_splat(wo), w1 = v128.load32_splat(wo, 4), w2 = v128.load32_splat(wo, 8);
  const w3 = v128.load32_splat(wo, 12), w4 = v128.load32_splat(wo, 16), w5 = v128.load32_splat(wo, 20);
  const w6 = v128.load32_splat(wo, 24), w7 = v128.load32_splat(wo, 28), w8 = v128.load32_splat(wo, 32);
  const r = shiftOf(prm);
  const bias = biasOf(prm), m = multOf(prm), half = halfOf(r), vlo = vloOf(prm), vhi = vhiOf(prm);
  for (let oy = 0; oy < oh; oy++) {
    const rowBase = plane + (<usize>(oy * sh * cols) << 2);
    for (let ox = 0; ox < ow; ox += 8) {
      const p = rowBase + (<usize>ox << 2);
      const z = f32x4.splat(0);
      let r0 = tap(tap(f32x4.mul(w0, v128.load(p + o0)), w1, p + o1), w2, p + o2);
      let r1 = tap(tap(f32x4.mul(w3, v128.load(p + o3)), w4, p + o4), w5, p + o5);
      let r2 = tap(tap(f32x4.mul(w6, v128.load(p + o6)), w7, p + o7), w8, p + o8);
      const a0 = f32x4.add(f32x4.add(r0, r1), r2);
      r0 = tap(tap(tap(z, w0, p + o0 + 16), w1, p + o1 + 16), w2, p + o2 + 16);
      r1 = tap(tap(tap(z, w3, p + o3 + 16), w4, p + o4 + 16), w5, p + o5 + 16);
      r2 = tap(tap(tap(z, w6, p + o6 + 16), w7, p + o7 + 16), w8, p + o8 + 16);
      const a1 = f32x4.add(f32x4.add(r0, r1), r2);
      const d = out + (<usize>ox << 2);
      v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a0), bias, m, half, r, vlo, vhi, zp, lo, hi));
      v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a1), bias, m, half, r, vlo, vhi, zp, lo, hi), 16);
    }
    out += <usize>ow << 2;
  }
}

/**
 * y (N, OC, oh, ow) from x (N, IC, ih, iw); w: OC × kh·kw f32 codes; params: one record per
 * output channel (requant.ts); results are f32 codes clamped to [lo, hi].
 */
export function depthwise(
  x: usize, n: i32, c: i32, mult: i32, ih: i32, iw: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, zpIn: f32,
  w: usize, params: usize, lo: i32, hi: i32, zp: i32, y: usize, scratch: usize,
): void {
  const rows = planeRows(oh, kh, sh, dh), cols = planeCols(ow, kw, sw, dw);
  const taps = kh * kw;
  // byte offset of each tap's first read, relative to the output row's plane row
  const offs = scratch + (<usize>(sw * rows * cols) << 2);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const t = kx * dw;
      store<i32>(offs + (<usize>(ky * kw + kx) << 2), (((t % sw) * rows + ky * dh) * cols + t / sw) << 2);
    }
  }
  const zpV = i32x4.splat(zp), loV = i32x4.splat(lo), hiV = i32x4.splat(hi);
  padPlanes(sw, rows, cols, zpIn, scratch);
  let out = y;
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < c; ci++) {
      fillPlanes(x + (<usize>((b * c + ci) * ih * iw) << 2), ih, iw, sw, pt, pl, rows, cols, scratch);
      for (let mo = 0; mo < mult; mo++) {
        const o = ci * mult + mo;
        const wo = w + (<usize>(o * taps) << 2);
        const prm = params + <usize>o * PARAM_BYTES;
        if (kh == 3 && kw == 3) {
          rows3x3(scratch, offs, wo, oh, ow, sh, cols, prm, zpV, loV, hiV, out);
          out += <usize>(oh * ow) << 2;
          continue;
        }
        const r = shiftOf(prm);
        const bias = biasOf(prm), m = multOf(prm), half = halfOf(r), vlo = vloOf(prm), vhi = vhiOf(prm);
        for (let oy = 0; oy < oh; oy++) {
          const rowBase = scratch + (<usize>(oy * sh * cols) << 2);
          let ox = 0;
          for (; ox + 16 <= ow; ox += 16) {
            const base = rowBase + (<usize>ox << 2);
            let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
            for (let t = 0; t < taps; t++) {
              const p = base + <usize>load<i32>(offs + (<usize>t << 2));
              const wv = v128.load32_splat(wo + (<usize>t << 2));
              a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(p)));
              a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(p, 16)));
              a2 = f32x4.add(a2, f32x4.mul(wv, v128.load(p, 32)));
              a3 = f32x4.add(a3, f32x4.mul(wv, v128.load(p, 48)));
            }
            const d = out + (<usize>ox << 2);
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a0), bias, m, half, r, vlo, vhi, zpV, loV, hiV));
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a1), bias, m, half, r, vlo, vhi, zpV, loV, hiV), 16);
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a2), bias, m, half, r, vlo, vhi, zpV, loV, hiV), 32);
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a3), bias, m, half, r, vlo, vhi, zpV, loV, hiV), 48);
          }
          for (; ox < ow; ox += 8) {
            const base = rowBase + (<usize>ox << 2);
            let a0 = f32x4.splat(0), a1 = a0;
            for (let t = 0; t < taps; t++) {
              const p = base + <usize>load<i32>(offs + (<usize>t << 2));
              const wv = v128.load32_splat(wo + (<usize>t << 2));
              a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(p)));
              a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(p, 16)));
            }
            const d = out + (<usize>ox << 2);
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a0), bias, m, half, r, vlo, vhi, zpV, loV, hiV));
            v128.store(d, requant4(i32x4.trunc_sat_f32x4_s(a1), bias, m, half, r, vlo, vhi, zpV, loV, hiV), 16);
          }
          out += <usize>ow << 2;
        }
      }
    }
  }
}
