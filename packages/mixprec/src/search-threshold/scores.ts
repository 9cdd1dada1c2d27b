// How search_threshold scores one method's INT8 model against the float reference (calibration
// spec §5 step 4, §12): `cos` = the mean over samples of the rate-weighted cos01 of the outputs;
// `snr` = 1 − the mean over samples of the SNR loss Σ(test − ref)² / (Σ ref² + 1e-7).
import { UserError, type NdArray } from '@tpu-quant/ir';
import { weightedCos } from '../run-qtable/similarity.js';

export type BenchmarkMethod = 'cos' | 'snr';

export function parseBenchmarkMethod(v: string | undefined): BenchmarkMethod {
  const m = (v ?? 'cos').trim();
  if (m === 'cos' || m === 'snr') return m;
  throw new UserError('E_BAD_FLAG', `--benchmark_method ${m} is not a benchmark method`, 'use cos (mean cos01 of the outputs) or snr (1 - noise/signal power)');
}

/**
 * `_snr_loss` of one sample: Σ_i rate_i·Σ(test_i − ref_i)²/(Σref_i² + 1e-7) / Σ rate_i, tensors
 * paired by position, in f64. Upstream's loop assigns instead of adding, so only the last tensor
 * counts (divided by all the rates); we sum over the tensors (README "search_threshold"). With one
 * output both agree.
 */
export function snrLoss(test: readonly NdArray[], ref: readonly NdArray[], rates?: readonly number[]): number {
  if (test.length !== ref.length) throw new RangeError(`snrLoss: ${test.length} tensors against ${ref.length}`);
  let sum = 0;
  let total = 0;
  test.forEach((t, i) => {
    const a = ref[i]!.data as ArrayLike<number>;
    const b = t.data as ArrayLike<number>;
    if (a.length !== b.length) throw new RangeError(`snrLoss: ${b.length} values against ${a.length}`);
    let noise = 0;
    let signal = 0;
    for (let k = 0; k < a.length; k++) {
      const d = b[k]! - a[k]!;
      noise += d * d;
      signal += a[k]! * a[k]!;
    }
    const r = rates?.[i] ?? 1;
    sum += (r * noise) / (signal + 1e-7);
    total += r;
  });
  return sum / total;
}

/** One model's score over the samples (`outputs[s]` against `reference[s]`). */
export function benchmarkScore(method: BenchmarkMethod, outputs: readonly (readonly NdArray[])[], reference: readonly (readonly NdArray[])[], rates?: readonly number[]): number {
  if (outputs.length === 0) throw new RangeError('benchmarkScore: no samples');
  return scoreOfSamples(method, outputs.map((o, s) => sampleValue(method, o, reference[s]!, rates)));
}

/** One sample's value: its rate-weighted cos01 (cos) or its SNR loss (snr). */
export function sampleValue(method: BenchmarkMethod, outputs: readonly NdArray[], reference: readonly NdArray[], rates?: readonly number[]): number {
  return method === 'cos' ? weightedCos(outputs, reference, rates) : snrLoss(outputs, reference, rates);
}

/** The score from the per-sample values, summed in sample order: the mean (cos), 1 − the mean (snr). */
export function scoreOfSamples(method: BenchmarkMethod, values: readonly number[]): number {
  let acc = 0;
  for (const v of values) acc += v;
  const mean = acc / values.length;
  return method === 'cos' ? mean : 1 - mean;
}

/** The best-scoring entry; the first on ties (Python's max over a dict in insertion order). NaN never wins. */
export function pickBest<T extends { readonly score: number }>(entries: readonly T[]): T {
  let best: T | undefined;
  for (const e of entries) if (best === undefined || e.score > best.score || (Number.isNaN(best.score) && !Number.isNaN(e.score))) best = e;
  if (!best) throw new RangeError('pickBest: nothing to pick from');
  return best;
}
