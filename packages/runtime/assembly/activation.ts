// Activations over n contiguous floats. Exp-based ones use a SIMD expf (degree-5 polynomial,
// ≤ 2e-7 relative, ≤ 4e-7 after the sigmoid's division); Tanh runs scalar in f64 (its small-x
// form would lose relative accuracy through exp).

export const SIGMOID: i32 = 0; // p0·σ(x) + p1
export const SILU: i32 = 1; // x·σ(x)
export const HARD_SIGMOID: i32 = 2; // min(max(p0·x + p1, 0), 1)
export const HARD_SWISH: i32 = 3; // x·min(max(x/6 + 0.5, 0), 1)
export const LEAKY_RELU: i32 = 4; // x >= 0 ? x : p0·x
export const TANH: i32 = 5;
export const EXP: i32 = 6;

// The constants of exp4, one f32 each, read with load32_splat. Why from memory: V8 (11.x) builds
// every v128.const anew at each use, two or three instructions apiece and never hoisted out of the
// loop; a splat load is one instruction. Binaryen cannot fold loads, so they stay loads.
const EXPK: usize = memory.data<f32>([
  -87.33654, 88.37626, 1.44269504088896341, 12582912, 0.693359375, -2.12194440e-4,
  // e^r ≈ 1 + r·(c1 + r·(c2 + r·(c3 + r·(c4 + r·c5)))) on |r| ≤ ln2/2: c5 … c1, a minimax fit
  // of the relative error (9e-8; 1.6e-7 with f32 rounding)
  0.008290315046906471, 0.04189793020486832, 0.1666763573884964, 0.4999915063381195, 0.9999997019767761,
  1, 0, 6, 0.5,
], 16);
@inline function k4(i: i32): v128 {
  return v128.load32_splat(EXPK + (<usize>i << 2));
}
const ONE = 11, ZERO = 12, SIX = 13, HALF = 14;

/**
 * eˣ for four lanes: x = n·ln2 + r, |r| ≤ ln2/2, eʳ by a degree-5 polynomial (≤ 2e-7 relative), 2ⁿ
 * by exponent bits. x is clamped to [-87.3, 88.37] (n within the normal exponents) with
 * pmax(x, lo) / pmin(x, hi), one instruction each on x64, in the operand order that lets NaN
 * through (it then poisons every later step, so NaN in gives NaN out). n is rounded by adding
 * 1.5·2²³, which leaves it in the low mantissa bits (cheaper than nearest + trunc_sat).
 */
@inline function exp4(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(x, k4(0)), k4(1));
  const t = f32x4.add(f32x4.mul(c, k4(2)), k4(3));
  const n = f32x4.sub(t, k4(3));
  let r = f32x4.sub(c, f32x4.mul(n, k4(4)));
  r = f32x4.sub(r, f32x4.mul(n, k4(5)));
  let p = f32x4.add(f32x4.mul(k4(6), r), k4(7));
  p = f32x4.add(f32x4.mul(p, r), k4(8));
  p = f32x4.add(f32x4.mul(p, r), k4(9));
  p = f32x4.add(f32x4.mul(p, r), k4(10));
  p = f32x4.add(f32x4.mul(p, r), k4(ONE));
  // t's bits are 0x4B400000 + n: shifting left by 23 drops the 0x4B4 and puts n in the exponent
  const scale = i32x4.add(i32x4.shl(t, 23), v128.load32_splat(EXPI));
  return f32x4.mul(p, scale);
}
const EXPI: usize = memory.data<i32>([127 << 23], 16);

@inline function sigmoid4(x: v128): v128 {
  const one = k4(ONE);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline function act4(K: i32, x: v128, p0: f32, p1: f32): v128 {
  const zero = k4(ZERO), one = k4(ONE);
  if (K == SIGMOID) return f32x4.add(f32x4.mul(f32x4.splat(p0), sigmoid4(x)), f32x4.splat(p1));
  if (K == SILU) return f32x4.mul(x, sigmoid4(x));
  if (K == HARD_SIGMOID) {
    const v = f32x4.add(f32x4.mul(f32x4.splat(p0), x), f32x4.splat(p1));
    return f32x4.min(f32x4.max(v, zero), one);
  }
  if (K == HARD_SWISH) {
    const v = f32x4.add(f32x4.div(x, k4(SIX)), k4(HALF));
    return f32x4.mul(x, f32x4.min(f32x4.max(v, zero), one));
  }
  if (K == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(f32x4.splat(p0), x), f32x4.ge(x, zero));
  return exp4(x);
}

@inline function run4(K: i32, x: usize, n: i32, p0: f32, p1: f32, y: usize): void {
  let i = 0;
  // two vectors per step: their dependency chains interleave
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = act4(K, v128.load(x + o), p0, p1), b = act4(K, v128.load(x + o, 16), p0, p1);
    v128.store(y + o, a);
    v128.store(y + o, b, 16);
  }
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
