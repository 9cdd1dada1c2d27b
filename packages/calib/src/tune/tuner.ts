// Auto-tune (spec §4.10; TPU-MLIR's SimpleTuner): walk the ops in order and, for the inputs of each
// op, try thresholds between the calibrated one and the tensor's absmax; keep the one whose
// fake-quantised inputs, run through the op with fake-quantised weights, come closest to the fp32
// output. Thresholds only grow.
//
// Speed: each op becomes a one-op module and session once (not per candidate). The fp32 reference
// of an op's outputs is computed by that same session before its weights are swapped for their
// fake-quantised versions (setOverride), so the whole walk costs about (candidates + 1) × samples
// forward passes of the tuned ops, and references live only until their last consumer has been
// tuned (ref-counted, as TPU-MLIR's cache): memory holds only the tensors still awaiting a reader.
import type { Module, NdArray, Op, Value } from '@tpu-quant/ir';
import { bf16BitsToNumber, f16BitsToNumber, ndarray, UserError } from '@tpu-quant/ir';
import type { Session } from '@tpu-quant/runtime';
import { createSession } from '@tpu-quant/runtime';
import { fakeQuantActivationInto, fakeQuantWeightsForTune } from './fake-quant.js';
import { isActivation, singleOpModule } from './single-op.js';
import type { SingleOpModule } from './single-op.js';

export interface TuneOptions {
  /** Candidate steps between the threshold and the absmax (TPU-MLIR `tune_steps`, default 21). */
  readonly steps?: number;
  /** Tune only when absmax − threshold exceeds this (default 0.01). */
  readonly minTunedDiff?: number;
  /** debug_cmd `find_lower_th`: start at threshold/3 and add a finer second pass around the best. */
  readonly findLowerTh?: boolean;
  readonly backend?: 'wasm' | 'js';
  /** After each op of the walk. */
  readonly onProgress?: (done: number, total: number, op: string) => void;
  /** Every candidate tried: the evaluated op (by name), the tuned input tensor, the threshold and its distance. */
  readonly onCandidate?: (op: string, tensor: string, threshold: number, distance: number) => void;
  /**
   * Run the ops with fake-quantised weights (default true, as the spec describes). TPU-MLIR's
   * ModuleInterpreter::fake_quant_weight quantises a copy of each weight (`auto mem = *...`), so
   * upstream actually tunes with fp32 weights: false reproduces that.
   */
  readonly fakeQuantWeights?: boolean;
}

export const DEFAULT_TUNE_STEPS = 21;
export const DEFAULT_MIN_TUNED_DIFF = 0.01;
/** Tuned thresholds at or below this (or NaN) become this. */
export const MIN_THRESHOLD = 1e-5;

const NOT_RUN = new Set(['top.Weight', 'top.None', 'func.return']);

/**
 * Tunes `thresholds` (tensor name → threshold) on `samples` (model input name → data), with
 * `tuneAbsmax` (tensor name → absmax_for_tuning, spec §4.6) as each search's upper end. Returns
 * the threshold of every tensor of `thresholds`, tuned or not.
 */
export async function tuneThresholds(
  module: Module,
  thresholds: ReadonlyMap<string, number>,
  tuneAbsmax: ReadonlyMap<string, number>,
  samples: readonly Map<string, NdArray>[],
  opts: TuneOptions = {},
): Promise<Map<string, number>> {
  if (samples.length === 0) {
    throw new UserError('E_NO_TUNE_SAMPLES', 'auto-tune needs at least one tune sample', 'give --tune_num > 0 and a dataset with that many samples');
  }
  const steps = opts.steps ?? DEFAULT_TUNE_STEPS;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new UserError('E_TUNE_STEPS', `tune steps must be a positive integer, got ${steps}`, `TPU-MLIR's default is ${DEFAULT_TUNE_STEPS}`);
  }
  const search: TuneSearch = {
    steps,
    minDiff: opts.minTunedDiff ?? DEFAULT_MIN_TUNED_DIFF,
    findLower: opts.findLowerTh ?? false,
  };
  const fqWeights = opts.fakeQuantWeights === false ? module.weights : fakeQuantWeightsForTune(module);
  const ops = module.main.ops.filter((o) => !NOT_RUN.has(o.type));
  const foreign = ops.find((o) => o.dialect !== 'top');
  if (foreign) {
    throw new UserError('E_UNSUPPORTED_OP', `auto-tune walks top-dialect ops; found ${foreign.type} "${foreign.name ?? '?'}"`, 'tune the top mlir (before lowering, with calls inlined)');
  }
  const table = new Map(thresholds);
  const tuned = new Set<string>();
  const refs = new RefCache(ops);

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.type === 'top.Input') {
      refs.put(op.result(), samples.map((s) => sampleInput(s, op)));
    } else {
      await tuneOp(op);
    }
    opts.onProgress?.(i + 1, ops.length, op.name ?? op.type);
  }
  for (const [name, th] of table) if (!(th > MIN_THRESHOLD)) table.set(name, MIN_THRESHOLD);
  return table;

  async function tuneOp(op: Op): Promise<void> {
    const one = singleOpModule(module, op);
    const session = await createSession(one.module, { backend: opts.backend ?? 'wasm' });
    try {
      const inRefs = one.inputs.map((v) => refs.get(v));
      const outRefs = await runRefs(session, one, inRefs, samples.length);

      // all inputs tuned before: re-tune only the first for this consumer; else every untuned one
      const names = one.inputs.map((v) => v.name);
      const pick = names.every((n) => n !== undefined && tuned.has(n)) ? names.slice(0, 1) : names.filter((n) => n === undefined || !tuned.has(n));
      const jobs = pick.flatMap((name) => {
        if (name === undefined) return [];
        tuned.add(name);
        const th0 = thresholds.get(name);
        const hi = tuneAbsmax.get(name);
        return th0 === undefined || hi === undefined || !worthTuning(th0, hi, search) ? [] : [{ name, th0, hi }];
      });
      if (jobs.length > 0) {
        useWeights(session, one, fqWeights, module.weights);
        const dist = distanceFn(session, one, inRefs, outRefs);
        const opName = op.name ?? op.type;
        for (const { name, th0, hi } of jobs) {
          const best = await findBetterThreshold(th0, hi, search, async (ths) => {
            const ds = await dist(ths);
            ths.forEach((th, j) => opts.onCandidate?.(opName, name, th, ds[j]!));
            return ds;
          });
          if (best > table.get(name)!) table.set(name, best);
        }
      }
      one.outputs.forEach((v, k) => refs.put(v, outRefs[k]!));
      for (const v of one.inputs) refs.release(v);
    } finally {
      await session.dispose();
    }
  }
}

/** One threshold search's settings (TuneOptions resolved). */
export interface TuneSearch {
  readonly steps: number;
  readonly minDiff: number;
  readonly findLower: boolean;
}

function worthTuning(th0: number, hi: number, s: TuneSearch): boolean {
  const lo = s.findLower ? th0 / 3 : th0;
  return (hi - lo) / s.steps > 0 && Math.abs(hi - lo) > s.minDiff;
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

/** fp32 outputs of the op for every sample (fresh arrays the session does not reuse). */
async function runRefs(session: Session, one: SingleOpModule, inRefs: readonly NdArray[][], n: number): Promise<NdArray[][]> {
  const out: NdArray[][] = one.outputs.map(() => []);
  for (let s = 0; s < n; s++) {
    const feed = new Map<string, NdArray>();
    one.inputNames.forEach((name, k) => feed.set(name, inRefs[k]![s]!));
    const res = await session.run(feed);
    session.outputNames.forEach((name, k) => out[k]!.push(res.outputs.get(name)!));
  }
  return out;
}

/** Swaps the op's weights for their fake-quantised versions (kept in the shape the session made). */
function useWeights(session: Session, one: SingleOpModule, fq: ReadonlyMap<string, NdArray>, fp: ReadonlyMap<string, NdArray>): void {
  for (const name of one.weights) {
    const q = fq.get(name);
    if (!q || q === fp.get(name)) continue;
    const data = q.data as Float32Array;
    session.setOverride(name, (v) => ndarray('f32', v.shape, data));
  }
}

/**
 * distances(ths)[j] = mean over samples of ‖ref − out‖₂ / ‖ref‖₁, where out is the op run on its
 * fp32 reference inputs, every float one fake-quantised with ths[j] (integer tensors pass
 * unchanged). A multi-result op is measured over all its results together. Samples are the outer
 * loop: a sample's reference tensors stay in cache across the candidates.
 */
function distanceFn(session: Session, one: SingleOpModule, inRefs: readonly NdArray[][], outRefs: readonly NdArray[][]): (ths: readonly number[]) => Promise<number[]> {
  const quantised = one.inputs.map(isFloatTensor);
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
        one.inputNames.forEach((name, k) => {
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

function isFloatTensor(v: Value): boolean {
  const t = v.type;
  if (t.kind !== 'tensor') return false;
  const e = t.element;
  return e.kind === 'float' || e.kind === 'quant.calibrated';
}

/**
 * fp32 references per tensor and sample, kept until every op reading the tensor has been
 * handled (TPU-MLIR's ref-counted ref_activations).
 */
class RefCache {
  private readonly left = new Map<Value, number>();
  private readonly data = new Map<Value, NdArray[]>();

  constructor(ops: readonly Op[]) {
    for (const op of ops) for (const v of new Set(op.operands)) if (isActivation(v)) this.left.set(v, (this.left.get(v) ?? 0) + 1);
  }

  put(v: Value, perSample: NdArray[]): void {
    if ((this.left.get(v) ?? 0) > 0) this.data.set(v, perSample);
  }

  get(v: Value): NdArray[] {
    const d = this.data.get(v);
    if (!d) {
      const what = v.producer ? `${v.producer.type} "${v.name ?? '?'}"` : `function argument "${v.name ?? v.index}"`;
      throw new Error(`auto-tune: no fp32 reference for ${what} (only values made by earlier ops or top.Input are known)`);
    }
    return d;
  }

  /** One reader is done with `v`. */
  release(v: Value): void {
    const n = (this.left.get(v) ?? 0) - 1;
    this.left.set(v, n);
    if (n <= 0) this.data.delete(v);
  }
}

function sampleInput(sample: ReadonlyMap<string, NdArray>, op: Op): NdArray {
  const name = op.name ?? '';
  const x = sample.get(name);
  if (!x) {
    throw new UserError('E_MISSING_INPUT', `tune sample lacks input "${name}"`, `the inputs are: ${[...sample.keys()].join(', ')}`);
  }
  return toF32(x);
}

function toF32(x: NdArray): NdArray<'f32'> {
  if (x.dtype === 'f32') return x as NdArray<'f32'>;
  const d = x.dtype === 'f16' ? Float32Array.from(x.data as Uint16Array, f16BitsToNumber)
    : x.dtype === 'bf16' ? Float32Array.from(x.data as Uint16Array, bf16BitsToNumber)
      : Float32Array.from(x.data as ArrayLike<number | bigint>, Number);
  return ndarray('f32', x.shape, d);
}
