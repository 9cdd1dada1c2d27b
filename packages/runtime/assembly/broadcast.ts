// Binary arithmetic with numpy broadcasting, after the JS side collapsed the shapes to at most four
// dims whose innermost one reads each operand contiguously (step 1) or as one repeated value
// (step 0). The *Const ops are the same rows with b a one-float operand of step 0.
import { CAP, RELU } from './gemm';

export const ADD: i32 = 0; // ca·a + cb·b
export const MUL: i32 = 1;
export const DIV: i32 = 2;
export const MAX: i32 = 3; // NaN propagates (Max / Min ops)
export const MIN: i32 = 4;
export const MAXC: i32 = 5; // v >= c ? v : c (MaxConst / MinConst: NaN → c)
export const MINC: i32 = 6;

@inline function op4(OP: i32, a: v128, b: v128, ca: v128, cb: v128): v128 {
  if (OP == ADD) return f32x4.add(f32x4.mul(a, ca), f32x4.mul(b, cb));
  if (OP == MUL) return f32x4.mul(a, b);
  if (OP == DIV) return f32x4.div(a, b);
  if (OP == MAX) return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
  if (OP == MIN) return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
  if (OP == MAXC) return v128.bitselect(a, b, f32x4.ge(a, b));
  return v128.bitselect(a, b, f32x4.le(a, b));
}

@inline function op1(OP: i32, a: f32, b: f32, ca: f32, cb: f32): f32 {
  if (OP == ADD) return a * ca + b * cb;
  if (OP == MUL) return a * b;
  if (OP == DIV) return a / b;
  if (OP == MAX) return a >= b || a != a ? a : b;
  if (OP == MIN) return a <= b || a != a ? a : b;
  if (OP == MAXC) return a >= b ? a : b;
  return a <= b ? a : b;
}

/** One row of n outputs; SA / SB (0 or 1) are the operands' steps, constants once inlined. */
@inline function row(OP: i32, SA: i32, SB: i32, a: usize, b: usize, y: usize, n: i32, ca: f32, cb: f32, flags: i32, hi: f32): void {
  const cav = f32x4.splat(ca), cbv = f32x4.splat(cb), hv = f32x4.splat(hi), zero = f32x4.splat(0);
  const a0 = v128.load32_splat(a), b0 = v128.load32_splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v = op4(OP, SA ? v128.load(a + o) : a0, SB ? v128.load(b + o) : b0, cav, cbv);
    if (flags & RELU) v = f32x4.pmax(zero, v);
    if (flags & CAP) v = f32x4.pmin(v, hv);
    v128.store(y + o, v);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = op1(OP, load<f32>(a + (SA ? o : 0)), load<f32>(b + (SB ? o : 0)), ca, cb);
    if (flags & RELU) v = v > 0 ? v : 0;
    if (flags & CAP) v = v > hi ? hi : v;
    store<f32>(y + o, v);
  }
}

@inline function rows(OP: i32, a: usize, b: usize, y: usize, n: i32, sa: i32, sb: i32, ca: f32, cb: f32, flags: i32, hi: f32): void {
  if (sa && sb) row(OP, 1, 1, a, b, y, n, ca, cb, flags, hi);
  else if (sa) row(OP, 1, 0, a, b, y, n, ca, cb, flags, hi);
  else if (sb) row(OP, 0, 1, a, b, y, n, ca, cb, flags, hi);
  else row(OP, 0, 0, a, b, y, n, ca, cb, flags, hi);
}

function inner(op: i32, a: usize, b: usize, y: usize, n: i32, sa: i32, sb: i32, ca: f32, cb: f32, flags: i32, hi: f32): void {
  switch (op) {
    case ADD: rows(ADD, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    case MUL: rows(MUL, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    case DIV: rows(DIV, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    case MAX: rows(MAX, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    case MIN: rows(MIN, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    case MAXC: rows(MAXC, a, b, y, n, sa, sb, ca, cb, flags, hi); break;
    default: rows(MINC, a, b, y, n, sa, sb, ca, cb, flags, hi);
  }
}

/**
 * y[i0,i1,i2,i3] = op(a[·], b[·]) over dims d0..d3 (y contiguous); `sa*` / `sb*` are element strides
 * (0 where broadcast), sa3 and sb3 are 0 or 1.
 */
export function binaryNd(
  op: i32, a: usize, b: usize, y: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  sa0: i32, sa1: i32, sa2: i32, sa3: i32, sb0: i32, sb1: i32, sb2: i32, sb3: i32,
  ca: f32, cb: f32, flags: i32, hi: f32,
): void {
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const ao = a + ((<usize>(i0 * sa0 + i1 * sa1 + i2 * sa2)) << 2);
        const bo = b + ((<usize>(i0 * sb0 + i1 * sb1 + i2 * sb2)) << 2);
        inner(op, ao, bo, y, d3, sa3, sb3, ca, cb, flags, hi);
        y += <usize>d3 << 2;
      }
    }
  }
}

/** y = x·k[c] + b[c] over `planes` planes of `hw` floats, channel c = plane % ch (BatchNorm, Scale). */
export function channelAffine(x: usize, planes: i32, ch: i32, hw: i32, k: usize, b: usize, flags: i32, hi: f32, y: usize): void {
  for (let p = 0; p < planes; p++) {
    const c = p % ch;
    const o = (<usize>p * hw) << 2;
    // a·ka + b·kb with a = x, ka = k[c], b = bias (step 0), kb = 1
    row(ADD, 1, 0, x + o, b + (<usize>c << 2), y + o, hw, load<f32>(k + (<usize>c << 2)), 1, flags, hi);
  }
}
