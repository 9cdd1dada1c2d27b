// Resize of NCHW planes (top.Interp) through precomputed source maps, one per axis: for output
// row oy the source rows hi0[oy] and hi1[oy] and the weight hty[oy] of the second, likewise
// wi0 / wi1 / wtx per output column (the JS side computes them with the js kernel's coordinate
// rules). Nearest reads (hi0, wi0) and copies a row it has already produced instead of gathering
// it again; linear is separable: each source row it needs is interpolated along W once into one
// of two row buffers, then each output row is a SIMD blend of the two.

/**
 * `planes` planes [ih, iw] at x into [oh, ow] at y. `maps` holds hi0, hi1 (i32) and hty (f32) of
 * oh entries each, then wi0, wi1, wtx of ow each; `rows` holds 2·ow floats (linear only).
 */
export function interp(
  x: usize, planes: i32, ih: i32, iw: i32, oh: i32, ow: i32, linear: bool, maps: usize, y: usize, rows: usize,
): void {
  const hi0 = maps, hi1 = hi0 + (<usize>oh << 2), hty = hi1 + (<usize>oh << 2);
  const wi0 = hty + (<usize>oh << 2), wi1 = wi0 + (<usize>ow << 2), wtx = wi1 + (<usize>ow << 2);
  const owB = <usize>ow << 2, iwB = <usize>iw << 2;
  const ow4 = ow & ~3;
  for (let p = 0; p < planes; p++) {
    const xp = x + <usize>p * <usize>ih * iwB;
    let yr = y + <usize>p * <usize>oh * owB;
    if (!linear) {
      let last = -1;
      for (let oy = 0; oy < oh; oy++) {
        const sy = load<i32>(hi0 + (<usize>oy << 2));
        if (sy == last) {
          memory.copy(yr, yr - owB, owB);
        } else {
          const src = xp + <usize>sy * iwB;
          for (let ox = 0; ox < ow; ox++) {
            const o = <usize>ox << 2;
            store<f32>(yr + o, load<f32>(src + (<usize>load<i32>(wi0 + o) << 2)));
          }
        }
        last = sy;
        yr += owB;
      }
      continue;
    }
    // a holds source row ra interpolated along W, b row rb
    let a = rows, b = rows + owB, ra = -1, rb = -1;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = load<i32>(hi0 + (<usize>oy << 2)), y1 = load<i32>(hi1 + (<usize>oy << 2));
      if (ra != y0) {
        if (rb == y0) {
          const t = a; a = b; b = t;
          rb = ra; ra = y0;
        } else {
          lerpRow(xp + <usize>y0 * iwB, ow, wi0, wi1, wtx, a);
          ra = y0;
        }
      }
      if (rb != y1) {
        lerpRow(xp + <usize>y1 * iwB, ow, wi0, wi1, wtx, b);
        rb = y1;
      }
      const t = load<f32>(hty + (<usize>oy << 2));
      const t4 = f32x4.splat(t), u4 = f32x4.splat(1 - t);
      let ox = 0;
      for (; ox < ow4; ox += 4) {
        const o = <usize>ox << 2;
        v128.store(yr + o, f32x4.add(f32x4.mul(v128.load(a + o), u4), f32x4.mul(v128.load(b + o), t4)));
      }
      for (; ox < ow; ox++) {
        const o = <usize>ox << 2;
        store<f32>(yr + o, load<f32>(a + o) * (1 - t) + load<f32>(b + o) * t);
      }
      yr += owB;
    }
  }
}

/** One source row interpolated along W into dst (ow floats). */
function lerpRow(src: usize, ow: i32, wi0: usize, wi1: usize, wtx: usize, dst: usize): void {
  for (let ox = 0; ox < ow; ox++) {
    const o = <usize>ox << 2;
    const t = load<f32>(wtx + o);
    const v0 = load<f32>(src + (<usize>load<i32>(wi0 + o) << 2));
    const v1 = load<f32>(src + (<usize>load<i32>(wi1 + o) << 2));
    store<f32>(dst + o, v0 * (1 - t) + v1 * t);
  }
}
