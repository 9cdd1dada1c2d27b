// Rounding f32 values in place to f16 or bf16 (round to nearest, ties to even), kept as f32: the
// exact bits of the runtime's roundF16InPlace / roundBF16InPlace (src/overrides.ts), four lanes at
// a time. Float kernels of lowered models round every result this way before it leaves wasm memory.

/** f16: NaN / ±Inf kept; from 65520 up ±Inf; normals by adding half an f16 step (ties to even) to
 * the bits and clearing the 13 low mantissa bits; below 2^-14 to a multiple of 2^-24 via
 * (|x| + 0.5) − 0.5 in f32, whose step there is 2^-24 (0.5 is an even multiple, so ties go even). */
export function roundF16(p: usize, n: i32): void {
  const absMask = i32x4.splat(0x7fffffff);
  const signMask = i32x4.splat(0x80000000);
  const inf = i32x4.splat(0x7f800000);
  const toInf = i32x4.splat(0x477ff000);
  const minNormal = i32x4.splat(0x38800000);
  const low = i32x4.splat(0x0fff);
  const one = i32x4.splat(1);
  const keep = i32x4.splat(~0x1fff);
  const half = f32x4.splat(0.5);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = p + (<usize>i << 2);
    const bits = v128.load(at);
    const a = v128.and(bits, absMask);
    const sign = v128.and(bits, signMask);
    const normal = v128.and(i32x4.add(i32x4.add(a, low), v128.and(i32x4.shr_u(a, 13), one)), keep);
    const sub = f32x4.sub(f32x4.add(a, half), half);
    // a is non-negative, so signed compares order it
    let r = v128.bitselect(normal, sub, i32x4.ge_s(a, minNormal));
    r = v128.bitselect(inf, r, i32x4.ge_s(a, toInf));
    r = v128.or(r, sign);
    v128.store(at, v128.bitselect(bits, r, i32x4.ge_s(a, inf)));
  }
  for (; i < n; i++) {
    const at = p + (<usize>i << 2);
    const bits = load<u32>(at);
    const a = bits & 0x7fffffff;
    if (a >= 0x7f800000) continue;
    const sign = bits & 0x80000000;
    let r: u32;
    if (a >= 0x477ff000) r = 0x7f800000;
    else if (a >= 0x38800000) r = (a + 0x0fff + ((a >>> 13) & 1)) & ~0x1fff;
    else r = reinterpret<u32>((reinterpret<f32>(a) + 0.5) - 0.5);
    store<u32>(at, r | sign);
  }
}

/** bf16: NaN made quiet and truncated; else add 0x7fff plus the kept lowest bit and truncate. */
export function roundBF16(p: usize, n: i32): void {
  const absMask = i32x4.splat(0x7fffffff);
  const inf = i32x4.splat(0x7f800000);
  const quiet = i32x4.splat(0x400000);
  const low = i32x4.splat(0x7fff);
  const one = i32x4.splat(1);
  const keep = i32x4.splat(0xffff0000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = p + (<usize>i << 2);
    const b = v128.load(at);
    const rounded = v128.and(i32x4.add(i32x4.add(b, low), v128.and(i32x4.shr_u(b, 16), one)), keep);
    const nan = v128.and(v128.or(b, quiet), keep);
    v128.store(at, v128.bitselect(nan, rounded, i32x4.gt_s(v128.and(b, absMask), inf)));
  }
  for (; i < n; i++) {
    const at = p + (<usize>i << 2);
    const b = load<u32>(at);
    store<u32>(at, (b & 0x7fffffff) > 0x7f800000 ? (b | 0x400000) & 0xffff0000 : (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000);
  }
}
