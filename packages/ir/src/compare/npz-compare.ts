// Two npz files tensor by tensor: TPU-MLIR's npz_compare.py (name selection, stats, summary).
import type { DType, NdArray } from '../core/dtype.js';
import { compareTensors, type CompareOptions, type TensorCompareResult } from './tensor-compare.js';

export interface NpzCompareOptions extends CompareOptions {
  /** npz_tool's `--tolerance cos,euc` (same as cosineTol, euclidTol) */
  readonly tolerance?: readonly [number, number] | readonly number[];
  /** names never compared */
  readonly excepts?: readonly string[];
  /** file names printed in the summary (`Target    x.npz`) */
  readonly targetFile?: string;
  readonly refFile?: string;
}

export interface NamedCompareResult extends TensorCompareResult {
  readonly name: string;
  /** the target tensor as stored: its shape and dtype are what -v prints */
  readonly targetShape: readonly number[];
  readonly targetDType: DType;
  /** int8 saturation counts of the target, printed for int8 targets */
  readonly int8Stats?: Int8Stats;
}

export interface Int8Stats {
  readonly pos: number;
  readonly neg: number;
  readonly zeros: number;
  readonly low: number;
  readonly total: number;
}

export interface NpzCompareReport {
  /** results in reference order, sampled names only */
  readonly results: readonly NamedCompareResult[];
  /** true when no tensor failed ("npz compare PASSED.") */
  readonly passed: boolean;
  readonly numPassed: number;
  readonly numFailed: number;
  readonly counts: Readonly<Record<'EQUAL' | 'CLOSE' | 'SIMILAR' | 'NOT_EQUAL' | 'NOT_SIMLIAR' | 'NOT_MATCH', number>>;
  /** minimum over SIMILAR / NOT_SIMLIAR tensors; 1, 1, inf when there are none */
  readonly minCosine: number;
  readonly minEuclid: number;
  readonly minSqnr: number;
  readonly perAxis: number;
  readonly targetFile: string;
  readonly refFile: string;
}

/**
 * Names of the reference, in its order, that the target also has and `excepts` does not name;
 * above 200 names only every (n // 200)-th is kept, plus the last (the outputs live at the end).
 */
export function selectCompareNames(targetNames: Iterable<string>, refNames: readonly string[], excepts: readonly string[] = []): string[] {
  const inTarget = new Set(targetNames);
  const skip = new Set(excepts);
  const names = refNames.filter((n) => inTarget.has(n) && !skip.has(n));
  if (names.length <= 200) return names;
  const step = Math.floor(names.length / 200);
  if (step <= 1) return names;
  const picked = new Set(names.filter((_, i) => i % step === 0));
  // Upstream appends names[-1] whenever one of the last nine was skipped.
  if (names.slice(-9).some((n) => !picked.has(n))) picked.add(names[names.length - 1]!);
  return names.filter((n) => picked.has(n));
}

export function compareNpz(target: ReadonlyMap<string, NdArray>, ref: ReadonlyMap<string, NdArray>, opts: NpzCompareOptions = {}): NpzCompareReport {
  const tensorOpts: CompareOptions = {
    ...opts,
    cosineTol: opts.cosineTol ?? opts.tolerance?.[0],
    euclidTol: opts.euclidTol ?? opts.tolerance?.[1],
  };
  const names = selectCompareNames(target.keys(), [...ref.keys()], opts.excepts);
  const counts = { EQUAL: 0, CLOSE: 0, SIMILAR: 0, NOT_EQUAL: 0, NOT_SIMLIAR: 0, NOT_MATCH: 0 };
  const results: NamedCompareResult[] = [];
  let numPassed = 0;
  let minCosine = 1.0;
  let minEuclid = 1.0;
  let minSqnr = Infinity;
  for (const name of names) {
    const t = target.get(name)!;
    const r = compareTensors(t, ref.get(name)!, { ...tensorOpts, name });
    results.push({ ...r, name, targetShape: t.shape, targetDType: t.dtype, int8Stats: t.dtype === 'i8' ? int8Stats(t.data as Int8Array) : undefined });
    counts[r.verdict]++;
    if (r.passed) numPassed++;
    if (r.verdict === 'SIMILAR' || r.verdict === 'NOT_SIMLIAR') {
      // Python's min keeps the first argument on ties and ignores NaN candidates.
      if (r.cosine! < minCosine) minCosine = r.cosine!;
      if (r.euclid! < minEuclid) minEuclid = r.euclid!;
      if (r.sqnr! < minSqnr) minSqnr = r.sqnr!;
    }
  }
  const numFailed = results.length - numPassed;
  return {
    results, passed: numFailed === 0, numPassed, numFailed, counts, minCosine, minEuclid, minSqnr,
    perAxis: opts.perAxis ?? -1, targetFile: opts.targetFile ?? 'target', refFile: opts.refFile ?? 'reference',
  };
}

/** Saturation of an int8 tensor; `low` counts |x| <= 8, and numpy's abs(-128) is -128, so it counts too. */
function int8Stats(d: Int8Array): Int8Stats {
  let pos = 0;
  let neg = 0;
  let zeros = 0;
  let low = 0;
  for (const v of d) {
    if (v === 127) pos++;
    if (v === -128) neg++;
    if (v === 0) zeros++;
    if (v === -128 || Math.abs(v) <= 8) low++;
  }
  return { pos, neg, zeros, low, total: d.length };
}
