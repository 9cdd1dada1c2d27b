// Quantizing tpu.Cast (float → int8 / uint8) in f64 lanes, the js kernels' double expression
// exactly: v = x / S (the f32 widened, divided in f64), t = trunc(v), f = v − t,
// q = t + (f ≥ 0.5) − (f ≤ −0.5) + ZP (the comparisons added as 1.0 / +0.0, so a −0 becomes +0),
// then q > hi ? hi : q ≥ lo ? q : lo (NaN → lo), stored as f32 (an exact code). (Multiplying by
// 1/S, with a division only for lanes near a half-integer, measured slower than dividing.)
import { highF64, joinF32, lowF64 } from './lanes';

/** One f64x2 pair of lanes quantized. */
@inline function quant2(d: v128, s: v128, zp: v128, lo: v128, hi: v128): v128 {
  const one = f64x2.splat(1.0);
  const v = f64x2.div(d, s);
  const t = f64x2.trunc(v);
  const f = f64x2.sub(v, t);
  const q = f64x2.add(f64x2.sub(f64x2.add(t, v128.and(f64x2.ge(f, f64x2.splat(0.5)), one)), v128.and(f64x2.le(f, f64x2.splat(-0.5)), one)), zp);
  // pmax(lo, q) = lo < q ? q : lo (NaN → lo), pmin(hi, r) = r < hi ? r : hi: the js clamp, as q is
  // never −0 here (t + 0 made it +0)
  return f64x2.pmin(hi, f64x2.pmax(lo, q));
}

/** y[i] = the code of x[i] for n floats (n a multiple of 4). */
export function quantize(x: usize, n: i32, scale: f64, zeroPoint: f64, lo: f64, hi: f64, y: usize): void {
  const s = f64x2.splat(scale), zp = f64x2.splat(zeroPoint), vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
  for (let i = 0; i < n; i += 4) {
    const p = <usize>i << 2;
    const a = v128.load(x + p);
    const q0 = quant2(lowF64(a), s, zp, vlo, vhi);
    const q1 = quant2(highF64(a), s, zp, vlo, vhi);
    v128.store(y + p, joinF32(q0, q1));
  }
}
