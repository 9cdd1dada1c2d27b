// The k largest values of a stream without sorting it: values are appended to a buffer of 2k
// and, when it fills, a quickselect keeps the k largest and raises `cut` to the k-th largest.
// Values <= cut can never be among the final k largest, so callers skip them with one compare
// (`if (v > top.cut) top.push(v)`); after the first sample almost every value is skipped.

export class TopK {
  /** Values at or below this cannot be among the k largest (-Infinity until k were kept). */
  cut = -Infinity;
  private buf: Float32Array;
  private len = 0;

  constructor(readonly k: number) {
    if (!(k >= 1)) throw new RangeError(`TopK: k must be >= 1, got ${k}`);
    this.buf = new Float32Array(2 * k);
  }

  push(v: number): void {
    this.buf[this.len++] = v;
    if (this.len === this.buf.length) this.compact();
  }

  /** Values kept (at most 2k; the k largest of all pushed are among them). */
  get size(): number {
    return this.len;
  }

  /**
   * The r-th and (r-1)-th largest of everything pushed, r = min(k, number pushed); [NaN, NaN]
   * when nothing was pushed, and the second is NaN when r = 1 (there is no 0-th).
   */
  ranks(): [number, number] {
    if (this.len === 0) return [NaN, NaN];
    this.compact();
    const r = Math.min(this.k, this.len);
    // after compact the r largest are buf[0..r): the smallest two of them
    let a = Infinity;
    let b = Infinity;
    for (let i = 0; i < r; i++) {
      const v = this.buf[i]!;
      if (v < a) {
        b = a;
        a = v;
      } else if (v < b) b = v;
    }
    return [a, r === 1 ? NaN : b];
  }

  /** Keeps only the k largest now, so that `cut` is as high as it can be (no-op below k values). */
  tighten(): void {
    this.compact();
  }

  private compact(): void {
    if (this.len < this.k) return;
    this.cut = selectLargest(this.buf, this.len, this.k);
    this.len = this.k;
  }
}

/**
 * Rearranges a[0..n) so that a[0..k) hold its k largest values, and returns the k-th largest
 * (1 <= k <= n). Hoare partitioning around a median of three, which copes with many equal values.
 */
export function selectLargest(a: Float32Array, n: number, k: number): number {
  const t = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const s = a[i]!;
        a[i] = a[j]!;
        a[j] = s;
        i++;
        j--;
      }
    }
    // a[lo..j] >= pivot, a[i..hi] <= pivot, anything between equals pivot
    if (t <= j) hi = j;
    else if (t >= i) lo = i;
    else break;
  }
  return a[t]!;
}
