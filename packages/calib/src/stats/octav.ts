// The per-sample OCTAV threshold of use_mse (spec §4.3), with TPU-MLIR's quirks: u = 4 when
// min(x) is about 0, #(|x| <= s) counts the zeros, and the value before the converging step is
// kept. Each step needs the count and sum of |x| > s; rather than one pass over x per step, the
// values above the current s are kept in a scratch buffer that each step filters in place, so a
// step costs the size of the tail it looks at. The steps mostly rise (s moves towards the mean of
// the values above it); a step down rescans x.
//
// Exactness: counts are exact, and s is compared in float32 as numpy 1.24 does (the float64 s
// meets a float32 array). numpy sums in float32 (pairwise); we sum in float64, which differs only
// in rounding.

/** What the first pass over x found (the collector's). */
export interface OctavStart {
  /** Σ|x|, #(x != 0) and min(x). */
  readonly sumAbs: number;
  readonly nonZero: number;
  readonly min: number;
  /** The first step, when an earlier pass did it: count and sum of |x| > fround(s0), s0 = Σ|x| / #(x != 0). */
  readonly first?: StepResult;
}

export interface StepResult {
  readonly count: number;
  readonly sum: number;
}

/**
 * One step at s (a float32 value): count and sum of the |x| > s, which become the kept values.
 * `rescan`: s is below the last step's, so the kept values do not hold all of them: read x again.
 */
export type OctavStep = (s: number, rescan: boolean) => StepResult;

/** OCTAV's s for one sample of n values: `bits` = 8 (4 with int4). */
export function octavIterate(n: number, start: OctavStart, bits: number, step: OctavStep): number {
  if (start.nonZero === 0) return 0; // numpy: s0 = nan, then every step is 0
  const u = Math.abs(start.min) < 1e-6 ? 4 : 1;
  const c = 1 / 4 ** bits / 3 / u;
  let s = start.sumAbs / start.nonZero;
  let lower = NaN; // the s the kept values were filtered at
  for (let k = 0; k < 20; k++) {
    const sf = Math.fround(s);
    const { count, sum } = k === 0 && start.first ? start.first : step(sf, !(sf >= lower));
    lower = sf;
    const next = sum / (c * (n - count) + count);
    if (Math.abs(next - s) < 1e-6) break;
    s = next;
  }
  return s;
}

/** OCTAV's s for one sample (standalone: scratch must hold x.length values). */
export function octavThreshold(x: Float32Array, scratch: Float32Array, bits = 8, start: OctavStart = octavScan(x)): number {
  let len = 0;
  return octavIterate(x.length, start, bits, (s, rescan) => {
    const r = keepAbove(rescan ? x : scratch, rescan ? x.length : len, s, scratch);
    len = r.count;
    return r;
  });
}

/**
 * The |src[i]| > s of src[0..n) packed into dst (which may be src), their count and sum. Branch-
 * free: every value is written, the write position advances for those above s (an integer compare
 * of the bits, as non-negative floats order like their bit patterns).
 */
export function keepAbove(src: Float32Array, n: number, s: number, dst: Float32Array): StepResult {
  const bits = new Int32Array(src.buffer, src.byteOffset, n);
  const sBits = new Int32Array(new Float32Array([s]).buffer)[0]!;
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(src[i]!);
    const m = (sBits - (bits[i]! & 0x7fffffff)) >> 31; // -1 when |src[i]| > s
    dst[count] = a;
    count -= m;
    sum += a * (m & 1);
  }
  return { count, sum };
}

/** Σ|x|, #(x != 0) and min(x) of x (for a standalone octavThreshold). */
export function octavScan(x: Float32Array): OctavStart {
  let sumAbs = 0;
  let nonZero = 0;
  let min = Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sumAbs += Math.abs(v);
    if (v !== 0) nonZero++;
    if (v < min) min = v;
  }
  return { sumAbs, nonZero, min };
}
