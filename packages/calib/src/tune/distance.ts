// One op's threshold searches (the inner loop of auto-tune), shared by the tuner's own thread and
// its worker threads: given the op as a one-op session (already holding the weights the search
// runs with) and the fp32 references of its inputs and outputs, find each input's best threshold.
import type { NdArray, Value } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';
import type { Session } from '@tpu-quant/runtime';
import { fakeQuantActivationInto } from './fake-quant.js';

/** One threshold search's settings (TuneOptions resolved). */
export interface TuneSearch {
  readonly steps: number;
  readonly minDiff: number;
  readonly findLower: boolean;
}

/** One input tensor to tune at one op: its calibrated threshold and the search's upper end. */
export interface TuneJob {
  readonly name: string;
  readonly th0: number;
  readonly hi: number;
}

/** A search's outcome, with every candidate tried (for TuneOptions.onCandidate). */
export interface JobResult {
  readonly name: string;
  readonly best: number;
  readonly candidates: [threshold: number, distance: number][];
}

/** The op's references: per input (per output), one array per sample. */
export interface OpRefs {
  readonly inRefs: readonly NdArray[][];
  readonly outRefs: readonly NdArray[][];
  /** Which inputs are float (fake-quantised by a candidate); integer ones pass unchanged. */
  readonly quantised: readonly boolean[];
}

/** Runs every job's search at the op and returns their results in job order. */
export async function searchOp(session: Session, inputNames: readonly string[], refs: OpRefs, jobs: readonly TuneJob[], search: TuneSearch): Promise<JobResult[]> {
  const dist = distanceFn(session, inputNames, refs);
  const out: JobResult[] = [];
  for (const { name, th0, hi } of jobs) {
    const candidates: [number, number][] = [];
    const best = await findBetterThreshold(th0, hi, search, async (ths) => {
      const ds = await dist(ths);
      ths.forEach((th, j) => candidates.push([th, ds[j]!]));
      return ds;
    });
    out.push({ name, best, candidates });
  }
  return out;
}

/**
 * TPU-MLIR's find_better_threshold for one input: candidates lo + j·step (j = 0..steps), the first
 * one only sets the baseline distance, later ones win when strictly closer. `find_lower_th`
 * starts at th0/3 and adds a pass of steps/2 sub-steps within ±1 step of the best (its ends
 * excluded); the best starts as th0 even then. `distances` gets each pass's candidates at once
 * (so the tuner can loop over samples outside and candidates inside, keeping a sample's tensors
 * in cache) and returns their distances in order.
 */
export async function findBetterThreshold(
  th0: number, hi: number, s: TuneSearch, distances: (ths: readonly number[]) => Promise<readonly number[]>,
): Promise<number> {
  const lo = s.findLower ? th0 / 3 : th0;
  const step = (hi - lo) / s.steps;
  let best = th0;
  let prev: number | undefined;
  const pass = async (ths: readonly number[]): Promise<void> => {
    const ds = await distances(ths);
    ths.forEach((th, j) => {
      const d = ds[j]!;
      if (prev === undefined) prev = d;
      else if (d < prev) {
        prev = d;
        best = th;
      }
    });
  };
  await pass(Array.from({ length: s.steps + 1 }, (_, j) => lo + step * j));
  if (s.findLower) {
    const lo2 = best - step;
    const times = Math.floor(s.steps / 2);
    const step2 = (best + step - lo2) / times;
    await pass(Array.from({ length: times - 1 }, (_, j) => lo2 + step2 * (j + 1)));
  }
  return best;
}

/**
 * distances(ths)[j] = mean over samples of ‖ref − out‖₂ / ‖ref‖₁, where out is the op run on its
 * fp32 reference inputs, every float one fake-quantised with ths[j] (integer tensors pass
 * unchanged). A multi-result op is measured over all its results together. Samples are the outer
 * loop: a sample's reference tensors stay in cache across the candidates.
 */
function distanceFn(session: Session, inputNames: readonly string[], { inRefs, outRefs, quantised }: OpRefs): (ths: readonly number[]) => Promise<number[]> {
  const bufs = inRefs.map((r, k) => (quantised[k] ? new Float32Array(r[0]!.data.length) : undefined));
  const n = outRefs[0]?.length ?? 0;
  // ‖ref‖₁ per sample does not depend on the candidate
  const l1 = Array.from({ length: n }, (_, s) => {
    let sum = 0;
    for (const r of outRefs) {
      const d = r[s]!.data as Float32Array;
      for (let i = 0; i < d.length; i++) sum += Math.abs(d[i]!);
    }
    return sum;
  });
  return async (ths) => {
    const sums = ths.map(() => 0);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < ths.length; j++) {
        const feed = new Map<string, NdArray>();
        inputNames.forEach((name, k) => {
          const ref = inRefs[k]![s]!;
          const buf = bufs[k];
          feed.set(name, buf ? ndarray('f32', ref.shape, fakeQuantActivationInto(ref.data as Float32Array, ths[j]!, buf)) : ref);
        });
        const res = await session.run(feed);
        let l2 = 0;
        session.outputNames.forEach((name, k) => {
          l2 += squaredDiff(outRefs[k]![s]!.data as Float32Array, res.outputs.get(name)!.data as Float32Array);
        });
        sums[j] += Math.sqrt(l2) / l1[s]!;
      }
    }
    return sums.map((x) => x / n);
  };
}

/** Σ (a − b)² with float32 differences (numpy subtracts the float32 arrays); four sums keep the adds independent. */
function squaredDiff(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const d0 = Math.fround(a[i]! - b[i]!);
    const d1 = Math.fround(a[i + 1]! - b[i + 1]!);
    const d2 = Math.fround(a[i + 2]! - b[i + 2]!);
    const d3 = Math.fround(a[i + 3]! - b[i + 3]!);
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = Math.fround(a[i]! - b[i]!);
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

export function isFloatTensor(v: Value): boolean {
  const t = v.type;
  if (t.kind !== 'tensor') return false;
  const e = t.element;
  return e.kind === 'float' || e.kind === 'quant.calibrated';
}
