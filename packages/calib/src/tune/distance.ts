// One op's threshold searches (the inner loop of auto-tune), shared by the tuner's own thread and
// its worker threads: given the op as a one-op session (already holding the weights the search
// runs with) and the fp32 references of its inputs and outputs, find each input's best threshold.
import type { NdArray, Value } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';
import type { RunOptions, Session } from '@tpu-quant/runtime';
import { fakeQuantActivationInto } from './fake-quant.js';
import { acquireTuneKernels, releaseTuneKernels, type TuneKernels } from './wasm-tune.js';

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
  const { distances, release } = distanceFn(session, inputNames, refs);
  try {
    const out: JobResult[] = [];
    for (const { name, th0, hi } of jobs) {
      const candidates: [number, number][] = [];
      const best = await findBetterThreshold(th0, hi, search, async (ths) => {
        const ds = await distances(ths);
        ths.forEach((th, j) => candidates.push([th, ds[j]!]));
        return ds;
      });
      out.push({ name, best, candidates });
    }
    return out;
  } finally {
    release();
  }
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
 * loop: a sample's reference tensors stay in cache across the candidates. The fake quantisation
 * and the squared differences run on the WebAssembly SIMD kernels (wasm-tune.ts, bit-equal to
 * the js loops here) when they load and the op's tensors fit; `release` frees them.
 */
function distanceFn(session: Session, inputNames: readonly string[], refs: OpRefs): { distances: (ths: readonly number[]) => Promise<number[]>; release: () => void } {
  const { outRefs } = refs;
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
  const k = acquireTuneKernels();
  const wasm = k ? wasmDistances(k, session, inputNames, refs, l1) : undefined;
  if (k && !wasm) releaseTuneKernels(k);
  return {
    distances: wasm ?? jsDistances(session, inputNames, refs, l1),
    release: () => {
      if (k && wasm) releaseTuneKernels(k);
    },
  };
}

/** The reference loops: fake quantisation and squared differences in js. */
function jsDistances(session: Session, inputNames: readonly string[], { inRefs, outRefs, quantised }: OpRefs, l1: readonly number[]): (ths: readonly number[]) => Promise<number[]> {
  const bufs = inRefs.map((r, k) => (quantised[k] ? new Float32Array(r[0]!.data.length) : undefined));
  const n = l1.length;
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

/**
 * jsDistances on the kernels: every sample's float inputs and output references are copied into
 * the kernels' memory once; per candidate, each input is fake-quantised there into the buffer
 * the session is fed (a view of that memory), and each output is copied there to be compared.
 * Undefined when the tensors do not fit (or differ in size between samples): the js loops run.
 */
function wasmDistances(k: TuneKernels, session: Session, inputNames: readonly string[], { inRefs, outRefs, quantised }: OpRefs, l1: readonly number[]): ((ths: readonly number[]) => Promise<number[]>) | undefined {
  const n = l1.length;
  const sizeOf = (r: readonly NdArray[]): number | undefined => {
    const m = r[0]?.data.length ?? 0;
    return r.every((a) => a.data.length === m && a.data instanceof Float32Array) ? m : undefined;
  };
  const inN = inRefs.map((r, q) => (quantised[q] ? sizeOf(r) : 0));
  const outN = outRefs.map(sizeOf);
  if (inN.some((m) => m === undefined) || outN.some((m) => m === undefined)) return undefined;
  const counts = [...inN.flatMap((m, q) => (quantised[q] ? Array<number>(n + 1).fill(m!) : [])), ...outN.flatMap((m) => Array<number>(n + 1).fill(m!))];
  if (!k.fits(counts)) return undefined;
  // every region first (allocating may grow the memory, which detaches earlier views)
  const inP = inN.map((m, q) => (quantised[q] ? inRefs[q]!.map(() => k.alloc(m!)) : []));
  const fqP = inN.map((m, q) => (quantised[q] ? k.alloc(m!) : -1));
  const refP = outN.map((m, o) => outRefs[o]!.map(() => k.alloc(m!)));
  const outP = outN.map((m) => k.alloc(m!));
  inP.forEach((ps, q) => ps.forEach((p, s) => k.put(p, inRefs[q]![s]!.data as Float32Array)));
  refP.forEach((ps, o) => ps.forEach((p, s) => k.put(p, outRefs[o]![s]!.data as Float32Array)));
  const outView = outN.map((m, o) => k.view(outP[o]!, m!));
  // one feed per sample, reused by every candidate: the quantised inputs' buffers live in the kernels' memory
  const feeds = Array.from({ length: n }, (_, s) => new Map(inputNames.map((name, q) => {
    const ref = inRefs[q]![s]!;
    return [name, quantised[q] ? ndarray('f32', ref.shape, k.view(fqP[q]!, inN[q]!)) : ref] as [string, NdArray];
  })));
  const outNames = session.outputNames;
  // the session writes each output straight into its region when it can (no array per run)
  const offered = new Map(outNames.map((name, o) => [name, outView[o]!]));
  const opts: RunOptions = { outputMemory: (name, elements) => (offered.get(name)?.length === elements ? offered.get(name) : undefined) };
  return async (ths) => {
    const sums = ths.map(() => 0);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < ths.length; j++) {
        for (let q = 0; q < inN.length; q++) if (quantised[q]) k.fakeQuant(inP[q]![s]!, inN[q]!, ths[j]!, fqP[q]!);
        const res = await session.run(feeds[s]!, opts);
        let l2 = 0;
        for (let o = 0; o < outNames.length; o++) {
          const got = res.outputs.get(outNames[o]!)!.data as Float32Array;
          if (got.length !== outN[o]) throw new Error(`auto-tune: output ${outNames[o]} has ${got.length} elements, its reference ${outN[o]}`);
          const view = outView[o]!;
          if (got.buffer !== view.buffer || got.byteOffset !== view.byteOffset) view.set(got);
          l2 += k.squaredDiff(refP[o]![s]!, outP[o]!, outN[o]!);
        }
        sums[j] += Math.sqrt(l2) / l1[s]!;
      }
    }
    return sums.map((x) => x / n);
  };
}

/** Σ (a − b)² with float32 differences (numpy subtracts the float32 arrays); four sums keep the adds independent. */
export function squaredDiff(a: Float32Array, b: Float32Array): number {
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
