// Activations over n contiguous floats. Exp-based ones use a SIMD expf (Cephes' polynomial, about
// 1 ulp, so ≤ 3e-7 relative after the sigmoid's division); Tanh runs scalar in f64 (its small-x
// form would lose relative accuracy through exp).

export const SIGMOID: i32 = 0; // p0·σ(x) + p1
export const SILU: i32 = 1; // x·σ(x)
export const HARD_SIGMOID: i32 = 2; // min(max(p0·x + p1, 0), 1)
export const HARD_SWISH: i32 = 3; // x·min(max(x/6 + 0.5, 0), 1)
export const LEAKY_RELU: i32 = 4; // x >= 0 ? x : p0·x
export const TANH: i32 = 5;
export const EXP: i32 = 6;

/**
 * eˣ for four lanes: x = n·ln2 + r, |r| ≤ ln2/2, eʳ by a degree-6 polynomial, 2ⁿ by exponent bits.
 * x is clamped to [-87.3, 88.37] (n within the normal exponents) with pmin/pmax, one instruction
 * each on x64 where NaN-aware min/max are six; NaN lanes are put back at the end. n is rounded by
 * adding 1.5·2²³, which leaves it in the low mantissa bits (cheaper than nearest + trunc_sat).
 */
@inline function exp4(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(f32x4.splat(-87.33654), x), f32x4.splat(88.37626));
  const t = f32x4.add(f32x4.mul(c, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912));
  const n = f32x4.sub(t, f32x4.splat(12582912));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // t's bits are 0x4B400000 + n: shifting left by 23 drops the 0x4B4 and puts n in the exponent
  const scale = i32x4.add(i32x4.shl(t, 23), i32x4.splat(127 << 23));
  return v128.bitselect(x, f32x4.mul(p, scale), f32x4.ne(x, x));
}

@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline function act4(K: i32, x: v128, p0: f32, p1: f32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (K == SIGMOID) return f32x4.add(f32x4.mul(f32x4.splat(p0), sigmoid4(x)), f32x4.splat(p1));
  if (K == SILU) return f32x4.mul(x, sigmoid4(x));
  if (K == HARD_SIGMOID) {
    const v = f32x4.add(f32x4.mul(f32x4.splat(p0), x), f32x4.splat(p1));
    return f32x4.min(f32x4.max(v, zero), one);
  }
  if (K == HARD_SWISH) {
    const v = f32x4.add(f32x4.div(x, f32x4.splat(6)), f32x4.splat(0.5));
    return f32x4.mul(x, f32x4.min(f32x4.max(v, zero), one));
  }
  if (K == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(f32x4.splat(p0), x), f32x4.ge(x, zero));
  return exp4(x);
}

@inline function run4(K: i32, x: usize, n: i32, p0: f32, p1: f32, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), act4(K, v128.load(x + (<usize>i << 2)), p0, p1));
  if (i < n) {
    // the tail through one vector in a zeroed temporary
    const t = memory.data(32, 16);
    v128.store(t, f32x4.splat(0));
    memory.copy(t, x + (<usize>i << 2), <usize>(n - i) << 2);
    v128.store(t, act4(K, v128.load(t), p0, p1), 16);
    memory.copy(y + (<usize>i << 2), t + 16, <usize>(n - i) << 2);
  }
}

export function activation(kind: i32, x: usize, n: i32, p0: f32, p1: f32, y: usize): void {
  switch (kind) {
    case SIGMOID: run4(SIGMOID, x, n, p0, p1, y); break;
    case SILU: run4(SILU, x, n, p0, p1, y); break;
    case HARD_SIGMOID: run4(HARD_SIGMOID, x, n, p0, p1, y); break;
    case HARD_SWISH: run4(HARD_SWISH, x, n, p0, p1, y); break;
    case LEAKY_RELU: run4(LEAKY_RELU, x, n, p0, p1, y); break;
    case EXP: run4(EXP, x, n, p0, p1, y); break;
    default:
      for (let i = 0; i < n; i++) {
        const o = <usize>i << 2;
        store<f32>(y + o, <f32>Math.tanh(<f64>load<f32>(x + o)));
      }
  }
}
