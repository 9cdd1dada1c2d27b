// The small formulas of the statistics pass: percentile levels and tails (spec §3.1, §3.4),
// ACIQ (§4.4) and kurtosis (§3.2). Arithmetic follows numpy 1.24 where it matters: a float32
// scalar meeting a Python float gives float64, two float32 scalars give float32.

/** The percentile level of op `opIndex` of `opCount`: 99.99 for the first op, rising to 99.999999. */
export function percentileLevel(opIndex: number, opCount: number): number {
  const step = (99.999999 - 99.99) / opCount;
  return 99.99 + opIndex * step;
}

/** Per-sample tail length k = int(inputNum * size * (1 - per/100)) + 1. */
export function tailLength(inputNum: number, size: number, per: number): number {
  return Math.trunc(inputNum * size * (1 - per / 100)) + 1;
}

/** The fractional position of the percentile among inputNum * size values (np.percentile, linear). */
export function percentileRatio(inputNum: number, size: number, per: number): number {
  const pos = (per / 100) * (inputNum * size - 1);
  return pos - Math.trunc(pos);
}

/**
 * TPU-MLIR's interpolation between the k-th (`r0`) and (k-1)-th (`r1`) most extreme values of
 * the pooled tails: r0 + ratio * (r1 - r0), the difference in float32; r0 alone when k = 1.
 */
export function interpolateTail(r0: number, r1: number, ratio: number, k: number): number {
  if (k === 1 || Number.isNaN(r1)) return r0;
  return r0 + ratio * Math.fround(r1 - r0);
}

/** ACIQ's clipping constants for 8 and 4 bits (spec §4.4). */
export const ACIQ_GAUSS_ALPHA = { 8: 3.92403337, 4: 2.55913642 } as const;
export const ACIQ_LAPLACE_BETA = { 8: 9.89675982, 4: 5.02864014 } as const;
const GAUSS_CONST = 0.5 * 0.35 * (1 + Math.sqrt(Math.PI * Math.log(4)));

/** ACIQ gauss for one sample: α · (max - min) · c / sqrt(2 ln N) (max - min in float32). */
export function aciqGauss(min: number, max: number, n: number, bits: 8 | 4 = 8): number {
  const std = (Math.fround(max - min) * GAUSS_CONST) / Math.sqrt(2 * Math.log(n));
  return ACIQ_GAUSS_ALPHA[bits] * std;
}

/** ACIQ laplace for one sample, from b = mean(|x - mean(x)|): β · b. */
export function aciqLaplace(meanAbsDev: number, bits: 8 | 4 = 8): number {
  return ACIQ_LAPLACE_BETA[bits] * meanAbsDev;
}

/** Kurtosis as TPU-MLIR computes it: mean(((x - m) / (std + 1e-8))^4), Infinity when std = 0. */
export function kurtosisOf(n: number, m2: number, m4: number): number {
  const std = Math.sqrt(m2 / n);
  if (std === 0) return Infinity;
  const d = std + 1e-8;
  return m4 / (d * d * d * d) / n;
}
