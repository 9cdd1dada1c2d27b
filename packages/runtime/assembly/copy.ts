// Data movement without arithmetic: y (contiguous) gathered from x through up to six strided dims,
// y[i0..i5] = x[Σ ik·sk]. Slice (any steps), Permute and nearest Upsample (a repeat is a stride-0
// dim) are all this one loop nest; the JS side drops size-1 dims and merges contiguous neighbours
// first, so the innermost dim is as long as the layout allows.

/**
 * The innermost dim of length n and element stride s (in floats) into dst: a stride-1 run is one
 * memory.copy; stride 2 takes the even lanes of two loads; stride 0 repeats one value.
 */
@inline function row(src: usize, s: i32, n: i32, dst: usize): void {
  if (s == 1) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  let i = 0;
  if (s == 2) {
    for (; i + 4 < n; i += 4) {
      // reads 8 floats from src + 8i; the last lane read is src[2i + 7] ≤ src[2(n - 1)] when i + 4 < n
      const p = src + (<usize>i << 3);
      v128.store(dst + (<usize>i << 2), v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6));
    }
  } else if (s == 0) {
    const v = v128.load32_splat(src);
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  }
  const sb = <usize>s << 2;
  let p = src + <usize>i * sb;
  for (; i < n; i++) {
    store<f32>(dst + (<usize>i << 2), load<f32>(p));
    p += sb;
  }
}

/**
 * Innermost pair [n4 with stride 1, n5 = 2 with stride 0] (nearest upsampling by 2 along W):
 * each source float written twice, four sources per step.
 */
@inline function rowRepeat2(src: usize, n: i32, dst: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    const d = dst + (<usize>i << 3);
    v128.store(d, v128.shuffle<f32>(v, v, 0, 0, 1, 1));
    v128.store(d, v128.shuffle<f32>(v, v, 2, 2, 3, 3), 16);
  }
  for (; i < n; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    store<f32>(dst + (<usize>i << 3), v);
    store<f32>(dst + (<usize>i << 3), v, 4);
  }
}

export function gatherNd(
  x: usize, y: usize, d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32,
): void {
  const b0 = <usize>s0 << 2, b1 = <usize>s1 << 2, b2 = <usize>s2 << 2, b3 = <usize>s3 << 2, b4 = <usize>s4 << 2;
  const repeat2 = d5 == 2 && s5 == 0 && s4 == 1;
  const rowB = (<usize>d5 << 2);
  for (let i0 = 0; i0 < d0; i0++) {
    const x0 = x + <usize>i0 * b0;
    for (let i1 = 0; i1 < d1; i1++) {
      const x1 = x0 + <usize>i1 * b1;
      for (let i2 = 0; i2 < d2; i2++) {
        const x2 = x1 + <usize>i2 * b2;
        for (let i3 = 0; i3 < d3; i3++) {
          const x3 = x2 + <usize>i3 * b3;
          if (repeat2) {
            rowRepeat2(x3, d4, y);
            y += <usize>d4 << 3;
            continue;
          }
          for (let i4 = 0; i4 < d4; i4++) {
            row(x3 + <usize>i4 * b4, s5, d5, y);
            y += rowB;
          }
        }
      }
    }
  }
}
