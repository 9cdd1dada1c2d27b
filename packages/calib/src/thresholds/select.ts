// From per-tensor statistics to calibration-table rows: the post-processing of spec §3.4 (method
// value, all-zero rule) and the combination rules of §4.2–4.7, as TPU-MLIR's
// `process_compute_threshold` and the end of `activation_collect_and_calc_th_new` apply them.
//
// Deliberate deviations (each also noted where it happens):
// * TPU-MLIR runs the KLD search for every method and then overrides it for all but `kl`; we run
//   it only for `kl` (same rows).
// * For `kl`, a tensor whose clipped KLD threshold is not positive (all-zero tensors: the histogram
//   is empty and its width 0, so KLD gives 0) gets the all-zero value 1e-5 instead of 0, which the
//   importer could not turn into a scale.
//
// Asymmetric ops (`--part_asymmetric`, §3.2, §3.4, §4.6, §4.8): their min/max are the percentile
// range and their threshold (and tuning bound) max(|v_min|, |v_max|), whatever the method; no
// all-zero rule (upstream applies it only to the others). In the MSE/ACIQ trailing walk such a
// tensor stops the walk (upstream has no last-five value for it and would raise a KeyError).

import { UserError } from '@tpu-quant/ir';
import type { CaliMethod, TensorSummary, ThresholdRow } from '../stats/types.js';
import { kldThreshold } from './kld.js';
import { TorchHistogramObserver, torchObserverRow } from './torch-observer.js';

export interface ThresholdResult {
  /** Table rows in tensor order. */
  rows: ThresholdRow[];
  /** The upper bound auto-tune may grow each threshold to (`thresholds_map_absmax`, §4.6). */
  tuneAbsmax: Map<string, number>;
  /** With `opts.int4`: the `#int4_th` rows (th, −th·8/7, th). */
  int4Rows?: ThresholdRow[];
  /** Lines TPU-MLIR prints, e.g. the all-zero warnings. */
  warnings: string[];
}

export interface ThresholdOptions {
  /** `int4` in debug_cmd: also the `#int4_th` rows. */
  readonly int4?: boolean;
  /** Tensors of the asymmetric ops (`--part_asymmetric`, `chooseAsymOps(...).ops`). */
  readonly asymOps?: Iterable<string>;
}

/** Below this the tensor counts as all zeros (and this becomes its range). */
const ALL_ZERO = 1e-5;
/** `thresholds_out` looks at this many trailing tensors. */
const LAST_TENSORS = 5;

/** (min, max, method value) of one tensor after §3.4, i.e. TPU-MLIR's `activations_statistics`. */
interface Stats {
  min: number;
  max: number;
  value: number;
}

const absmaxOf = (min: number, max: number): number => Math.max(Math.abs(min), Math.abs(max));
const isMseOrAciq = (m: CaliMethod): boolean => m === 'mse' || m === 'aciq_gauss' || m === 'aciq_laplace';

/** §3.4: the method value (clipped at absmax where the method says so), then the all-zero rule. */
function postProcess(s: TensorSummary, method: CaliMethod, warnings: string[]): Stats {
  let min = s.min;
  let max = s.max;
  let value: number;
  switch (method) {
    case 'percentile9999':
      min = s.pctMin;
      max = s.pctMax;
      value = absmaxOf(min, max);
      break;
    case 'mse':
      value = Math.min(s.octav, absmaxOf(min, max));
      break;
    case 'aciq_gauss':
      value = Math.min(s.aciqGauss, absmaxOf(min, max));
      break;
    case 'aciq_laplace':
      value = Math.min(s.aciqLaplace, absmaxOf(min, max));
      break;
    case 'max':
      value = s.maxAbs;
      break;
    default:
      value = absmaxOf(min, max);
  }
  // The test is on the method value, so e.g. a tiny Octav threshold also triggers it.
  if (value <= ALL_ZERO) {
    min = min < 0 ? -ALL_ZERO : 0;
    max = ALL_ZERO;
    value = ALL_ZERO;
    warnings.push(`WARNING: layer ${s.info.name} is all zeros. Please check the input data correctness.`);
  }
  return { min, max, value };
}

/** An asymmetric op's statistics: the percentile range, its absmax as the value (§3.4). */
function asymStats(s: TensorSummary): Stats {
  return { min: s.pctMin, max: s.pctMax, value: absmaxOf(s.pctMin, s.pctMax) };
}

/**
 * `thresholds_out` (MSE/ACIQ): walk the last five tensors from the end; stop at the first whose
 * percentile value `last5` differs from max(|min|,|max|), else take it, and stop after taking a
 * Conv or MatMul. A tensor without `last5` stops the walk (TPU-MLIR would raise a KeyError).
 */
function trailingMaxTensors(summaries: readonly TensorSummary[], stats: readonly Stats[], asym: ReadonlySet<string>): Set<number> {
  const out = new Set<number>();
  for (let k = summaries.length - 1; k >= Math.max(0, summaries.length - LAST_TENSORS); k--) {
    const last5 = asym.has(summaries[k].info.name) ? undefined : summaries[k].last5;
    if (last5 === undefined || last5 !== absmaxOf(stats[k].min, stats[k].max)) break;
    out.add(k);
    const type = summaries[k].info.opType;
    if (type === 'top.MatMul' || type === 'top.Conv') break;
  }
  return out;
}

/** The zero bins `find_threshold` pads a histogram with: up to a multiple of `dstBins`. */
function padTo(counts: Float64Array, dstBins: number): Float64Array {
  const n = Math.ceil(counts.length / dstBins) * dstBins;
  if (n === counts.length) return counts;
  const out = new Float64Array(n);
  out.set(counts);
  return out;
}

function int4Row(name: string, th: number): ThresholdRow {
  return { name, threshold: th, min: (-th * 8) / 7, max: th };
}

function torchObserverThresholds(summaries: readonly TensorSummary[], opts: { int4?: boolean }): ThresholdResult {
  if (opts.int4) {
    throw new UserError('E_CALI_METHOD', 'the torch observer method cannot give int4 thresholds', 'use another --cali_method for int4, or drop int4');
  }
  const rows = summaries.map((s) => {
    if (!s.torchObserver) throw new Error(`computeThresholds: no torch observer state for tensor "${s.info.name}"`);
    return torchObserverRow(s.info.name, TorchHistogramObserver.fromState(s.torchObserver).qparams());
  });
  return { rows, tuneAbsmax: new Map(rows.map((r) => [r.name, r.threshold])), warnings: [] };
}

/** Asymmetric ops have no int4 or torch-observer rows (TPU-MLIR fails there): a UserError. */
export function checkAsymmetricMethod(method: CaliMethod, int4 = false): void {
  if (method !== 'torch_observer' && !int4) return;
  throw new UserError(
    'E_CALI_METHOD',
    `--part_asymmetric cannot be combined with ${int4 ? 'int4' : 'the torch observer method'}`,
    'TPU-MLIR gives its asymmetric ops no rows there (it fails); drop --part_asymmetric or use another method',
  );
}

/**
 * Table rows for one method (spec §4.2–4.7):
 * * kl: KLD (B = 128), clipped at absmax;
 * * max: running max|x|; percentile9999: max(|v_min|,|v_max|) with v_min/v_max as min/max;
 * * mse, aciq_*: the method value clipped at absmax, except network inputs (absmax) and the
 *   trailing tensors of `thresholds_out` (their percentile value, ≈ absmax);
 * * torch_observer: the scale/zero-point row of §4.7.
 * min/max are the observed range except where the all-zero rule or percentile replaced it.
 */
export function computeThresholds(summaries: readonly TensorSummary[], method: CaliMethod, opts: ThresholdOptions = {}): ThresholdResult {
  const asym = new Set(opts.asymOps ?? []);
  if (asym.size > 0) checkAsymmetricMethod(method, opts.int4);
  if (method === 'torch_observer') return torchObserverThresholds(summaries, opts);

  const warnings: string[] = [];
  const stats = summaries.map((s) => (asym.has(s.info.name) ? asymStats(s) : postProcess(s, method, warnings)));
  const trailing = isMseOrAciq(method) ? trailingMaxTensors(summaries, stats, asym) : new Set<number>();

  const rows: ThresholdRow[] = [];
  const int4Rows: ThresholdRow[] = [];
  const tuneAbsmax = new Map<string, number>();
  summaries.forEach((s, k) => {
    const { min, max, value } = stats[k];
    const name = s.info.name;
    // ACIQ is tuned up to the true absmax; every other method up to its own value.
    tuneAbsmax.set(name, method === 'aciq_gauss' || method === 'aciq_laplace' ? absmaxOf(min, max) : value);

    let th: number;
    let th4: number;
    if (asym.has(name)) {
      th = th4 = value; // its tuning bound equals it: auto-tune leaves it as it is
    } else if (method === 'kl') {
      const kld = kldThreshold(s.hist.counts, s.hist.width, 128);
      th = kld > value ? value : kld;
      if (!(th > 0)) th = value; // deviation: see the file comment
      if (opts.int4) {
        // As TPU-MLIR does it: the int4 search runs on the histogram already padded for int8 (a
        // multiple of 128), and int4 is clipped only when the int8 value was — then to absmax.
        const kld4 = kldThreshold(padTo(s.hist.counts, 128), s.hist.width, 8);
        th4 = kld > value ? value : kld4;
        if (!(th4 > 0)) th4 = value;
      } else th4 = th;
    } else if (trailing.has(k)) {
      th = th4 = s.last5 as number;
    } else if (isMseOrAciq(method) && s.info.isInput) {
      th = th4 = absmaxOf(min, max);
    } else {
      th = th4 = value;
    }
    rows.push({ name, threshold: th, min, max });
    if (opts.int4) int4Rows.push(int4Row(name, th4));
  });
  return opts.int4 ? { rows, tuneAbsmax, int4Rows, warnings } : { rows, tuneAbsmax, warnings };
}
