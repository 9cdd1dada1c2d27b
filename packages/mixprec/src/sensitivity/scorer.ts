// What the sample-heavy tools ask of their samples, as steps: the sensitivity searches (float
// reference, INT8 model and baseline cached, cone-run scores of mixed models), search_threshold
// (whole-model runs scored by cos or snr), run_qtable and bias correction (a float cache, layer
// cos against it, cone runs kept pending until adopted or discarded, bias updates). Every answer
// holds PER-SAMPLE values: the tool sums them in sample order itself, so splitting the samples
// over threads (../shards) gives bit-identical results. SampleEngine runs the steps here, on one
// list of samples; a shard worker runs the same engine on its share of them.
import type { Module, NdArray } from '@tpu-quant/ir';
import type { ProgressSink } from '@tpu-quant/calib';
import { createSession } from '@tpu-quant/runtime';
import { channelMeans } from '../bias-correction/channel-mean.js';
import { parseCompareLayers, type CompareLayers } from '../run-qtable/compare-layers.js';
import { lowerFresh, TopSource, type LowerRequest } from '../run-qtable/lowering.js';
import { changedOps, ModelCache, runAll, runCaptured, runPacked, typesOf } from '../run-qtable/model-state.js';
import { cos01, weightedCos } from '../run-qtable/similarity.js';
import { unpackTensor } from '../run-qtable/tensor-store.js';
import { compareTensors } from '../search-threshold/model-outputs.js';
import { sampleValue, type BenchmarkMethod } from '../search-threshold/scores.js';
import { comparedNames, coneScore, runCompared } from './cone-eval.js';

export type CacheName = 'int8' | 'baseline';

export type ScoreStep =
  /** The float reference: only the compared tensors are kept. */
  | { readonly kind: 'reference'; readonly mode: string }
  /** The INT8 model, every activation cached; cos: each sample's all-INT8 cos. */
  | { readonly kind: 'int8'; readonly req: LowerRequest }
  /** The INT8 cache again (same model) after a drop. */
  | { readonly kind: 'rebuild-int8' }
  /** The baseline (INT8 + every searched layer float), every activation cached. */
  | { readonly kind: 'baseline'; readonly req: LowerRequest }
  /** A mixed model's per-sample cos, by a cone run on a cache. */
  | { readonly kind: 'score'; readonly req: LowerRequest; readonly cache: CacheName }
  /** Frees a cache's activations (the INT8 model itself is kept for a rebuild). */
  | { readonly kind: 'drop'; readonly cache: CacheName }
  /**
   * run_qtable, bias correction: the float model with its activations cached (`keep`: only these
   * tensors and the compared ones, else all); its compared tensors become the reference the 'int8'
   * step scores against.
   */
  | { readonly kind: 'float-cache'; readonly mode: string; readonly keep?: readonly string[] }
  /** Per sample, cos01 of tensor `name` in the INT8 cache against the float cache; `channelDiff`: also float − INT8 channel means. */
  | { readonly kind: 'layer-cos'; readonly name: string; readonly channelDiff?: boolean }
  /**
   * A mixed model run as a cone on the INT8 cache (from `from`, else from the ops whose lowering
   * changed), its tensors kept pending for 'adopt' / 'discard'. cos: the outputs' per-sample cos,
   * of the mixed model's outputs (`outputs: 'mixed'`) or of the INT8 model's (`'int8'`); `layer`:
   * also that tensor's per-sample cos01 against the float cache. `bias`: the top module's weight
   * replaced first (bias correction; the source is kept on 'adopt').
   */
  | {
    readonly kind: 'cone'; readonly req: LowerRequest; readonly outputs: 'mixed' | 'int8'; readonly from?: readonly string[]; readonly layer?: string;
    readonly bias?: { readonly name: string; readonly value: NdArray };
  }
  /** The pending cone's model and tensors become the INT8 cache's (and its source, with a bias, the source). */
  | { readonly kind: 'adopt' }
  /** The pending cone is dropped. */
  | { readonly kind: 'discard' }
  /** search_threshold: the float reference's compared tensors, dequantized (no cache). */
  | { readonly kind: 'outputs-reference'; readonly mode: string }
  /** search_threshold: a whole run of a lowered model; cos: per sample, its cos01 or snr loss against 'outputs-reference'. */
  | { readonly kind: 'outputs-score'; readonly req: LowerRequest; readonly metric: BenchmarkMethod };

export interface StepResult {
  /** Per sample, in sample order (reference/baseline/drop: empty; an 'outputs-score' snr step: the snr losses). */
  readonly cos: number[];
  /** 'cone' with a layer: its per-sample cos01; 'layer-cos' with channelDiff: per sample, float − INT8 channel means. */
  readonly layerCos?: number[];
  readonly channelDiff?: Float64Array[];
  /** 'cone': the ops it ran from. */
  readonly roots?: number;
  /** Bytes of the cache the step built (int8, rebuild-int8, baseline). */
  readonly bytes: number;
  readonly lowerings: number;
  readonly lowerMs: number;
  readonly sessionMs: number;
  readonly coneMs: number;
}

/** Runs the search's steps on some samples: in process (SampleEngine), or split over worker threads. */
export interface SampleScorer {
  run(step: ScoreStep, onSamples?: (n: number) => void): Promise<StepResult>;
  /** The lowered INT8 model when this scorer holds it (in process), for the candidates. */
  readonly int8Model?: Module;
  close(): Promise<void>;
}

export interface SampleEngineOptions {
  readonly source: TopSource;
  readonly chip: string;
  readonly samples: readonly ReadonlyMap<string, NdArray>[];
  /** `--global_compare_layers` as given. */
  readonly globalCompareLayers?: string;
}

/** The steps on one list of samples, with its caches, in this thread. */
export class SampleEngine implements SampleScorer {
  int8Model: Module | undefined;
  private reference: NdArray[][] | undefined;
  private int8: ModelCache | undefined;
  private baseline: ModelCache | undefined;
  private float: ModelCache | undefined;
  private pending: { readonly model: Module; readonly cones: Map<string, NdArray>[]; readonly source?: TopSource } | undefined;
  private outputsReference: NdArray[][] | undefined;
  /** The INT8 model's compared tensors (bias correction keeps comparing those after a correction). */
  private int8Compared: string[] | undefined;
  private source: TopSource;
  private readonly compare: CompareLayers | undefined;

  constructor(private readonly o: SampleEngineOptions) {
    this.compare = parseCompareLayers(o.globalCompareLayers);
    this.source = o.source;
  }

  async run(step: ScoreStep, onSamples?: (n: number) => void): Promise<StepResult> {
    const tick = onSamples ? () => onSamples(1) : undefined;
    const r = { cos: [] as number[], bytes: 0, lowerings: 0, lowerMs: 0, sessionMs: 0, coneMs: 0 };
    const lower = (req: LowerRequest, source = this.source): Module => {
      const t = performance.now();
      const m = lowerFresh(source, this.o.chip, req);
      r.lowerings++;
      r.lowerMs += performance.now() - t;
      return m;
    };
    switch (step.kind) {
      case 'reference': {
        const m = lower({ mode: step.mode });
        this.reference = await runCompared(m, this.o.samples, comparedNames(m, this.compare), tick);
        break;
      }
      case 'int8':
      case 'rebuild-int8': {
        if (step.kind === 'int8') this.int8Model = lower(step.req);
        const m = this.int8Model;
        if (!m) throw new Error('sensitivity search: rebuild-int8 before int8');
        this.int8 = new ModelCache(m, await runAll(m, this.o.samples, tick));
        r.bytes = cacheBytes(this.int8);
        if (step.kind === 'int8') {
          // outputs pair by position: a lowering may name a model's outputs differently (an output cast)
          const names = comparedNames(m, this.compare);
          this.int8Compared = names;
          const ref = this.referenceTensors();
          for (let s = 0; s < this.o.samples.length; s++) r.cos.push(weightedCos(names.map((n) => this.int8!.f32(s, n)!), ref[s]!, this.compare?.rates));
        }
        break;
      }
      case 'baseline': {
        const m = lower(step.req);
        this.baseline = new ModelCache(m, await runAll(m, this.o.samples, tick));
        r.bytes = cacheBytes(this.baseline);
        break;
      }
      case 'score': {
        const cache = step.cache === 'int8' ? this.int8 : this.baseline;
        if (!cache || cache.acts.length === 0) throw new Error(`sensitivity search: no ${step.cache} cache to score on`);
        const m = lower(step.req);
        const c = await coneScore(m, cache, this.referenceTensors(), { compare: this.compare });
        r.cos = c.perSample;
        r.sessionMs = c.sessionMs;
        r.coneMs = c.runMs;
        break;
      }
      case 'drop':
        if (step.cache === 'int8') this.int8 = undefined;
        else if (this.baseline) this.baseline.acts.length = 0;
        break;
      case 'float-cache': {
        const m = lower({ mode: step.mode });
        const names = comparedNames(m, this.compare);
        const acts = step.keep ? await runCaptured(m, this.o.samples, [...new Set([...step.keep, ...names])], tick) : await runAll(m, this.o.samples, tick);
        const f = (this.float = new ModelCache(m, acts));
        this.reference = this.o.samples.map((_, s) => names.map((n) => f.f32(s, n)!));
        r.bytes = cacheBytes(f);
        break;
      }
      case 'layer-cos': {
        const [cur, ref] = this.caches();
        const diffs: Float64Array[] = [];
        for (let s = 0; s < this.o.samples.length; s++) {
          const a = cur.f32(s, step.name);
          const b = ref.f32(s, step.name);
          if (!a || !b) throw new Error(`tensor ${step.name} is missing from the ${a ? 'float' : 'INT8'} model's activations`);
          r.cos.push(cos01(a.data as ArrayLike<number>, b.data as ArrayLike<number>));
          if (step.channelDiff) {
            const [ma, mb] = [channelMeans(a), channelMeans(b)];
            diffs.push(Float64Array.from(mb, (v, c) => v - ma[c]!));
          }
        }
        return { ...r, ...(step.channelDiff ? { channelDiff: diffs } : {}) };
      }
      case 'cone': {
        const c = await this.cone(step, lower, r); // before the spread: it adds to r's counts
        return { ...r, ...c };
      }
      case 'adopt': {
        const p = this.pendingCone();
        this.caches()[0].adopt(p.model, p.cones);
        if (p.source) this.source = p.source;
        this.pending = undefined;
        break;
      }
      case 'discard':
        this.pending = undefined;
        break;
      case 'outputs-reference':
        this.outputsReference = await compareTensors(lower({ mode: step.mode }), this.o.samples, this.compare?.names, tick);
        break;
      case 'outputs-score': {
        const ref = this.outputsReference;
        if (!ref) throw new Error('search_threshold: no float reference yet');
        const outputs = await compareTensors(lower(step.req), this.o.samples, this.compare?.names, tick);
        r.cos = outputs.map((o, s) => sampleValue(step.metric, o, ref[s]!, this.compare?.rates));
        break;
      }
    }
    return r;
  }

  /** A mixed model's cone on the INT8 cache, kept pending; per-sample outputs (and layer) cos. */
  private async cone(
    step: Extract<ScoreStep, { kind: 'cone' }>, lower: (req: LowerRequest, source?: TopSource) => Module, r: { sessionMs: number; coneMs: number },
  ): Promise<{ cos: number[]; layerCos?: number[]; roots: number }> {
    const [cur, ref] = this.caches();
    let source: TopSource | undefined;
    if (step.bias) {
      const m = this.source.fresh();
      m.weights.set(step.bias.name, step.bias.value);
      source = new TopSource(m);
    }
    const mixed = lower(step.req, source);
    const t0 = performance.now();
    const roots = step.from ? [...step.from] : changedOps(mixed, cur.sigs);
    const types = typesOf(mixed);
    const session = await createSession(mixed);
    const t1 = performance.now();
    const reference = this.referenceTensors();
    const names = step.outputs === 'mixed' ? comparedNames(mixed, this.compare) : this.int8Compared;
    if (!names) throw new Error('a cone run before the INT8 model');
    const cones: Map<string, NdArray>[] = [];
    const cos: number[] = [];
    const layerCos: number[] = [];
    try {
      for (let s = 0; s < this.o.samples.length; s++) {
        const cone = roots.length > 0 ? await runPacked(session, types, { roots, cached: cur.acts[s]! }) : new Map<string, NdArray>();
        cones.push(cone);
        const read = (name: string): NdArray => {
          const a = cone.get(name) ?? cur.acts[s]!.get(name);
          if (!a) throw new Error(`no tensor ${name} in sample ${s}`);
          return unpackTensor(a, types.get(name) ?? cur.types.get(name));
        };
        if (step.layer !== undefined) layerCos.push(cos01(read(step.layer).data as ArrayLike<number>, ref.f32(s, step.layer)!.data as ArrayLike<number>));
        cos.push(weightedCos(names.map(read), reference[s]!, this.compare?.rates));
      }
    } finally {
      await session.dispose();
    }
    this.pending = { model: mixed, cones, ...(source ? { source } : {}) };
    r.sessionMs += t1 - t0;
    r.coneMs += performance.now() - t1;
    return { cos, roots: roots.length, ...(step.layer !== undefined ? { layerCos } : {}) };
  }

  private caches(): [ModelCache, ModelCache] {
    if (!this.int8 || !this.float) throw new Error('no INT8 or float cache yet');
    return [this.int8, this.float];
  }

  private pendingCone(): NonNullable<SampleEngine['pending']> {
    if (!this.pending) throw new Error('no pending cone run to adopt');
    return this.pending;
  }

  async close(): Promise<void> {
    this.reference = undefined;
    this.int8 = undefined;
    this.baseline = undefined;
    this.float = undefined;
    this.pending = undefined;
    this.outputsReference = undefined;
  }

  private referenceTensors(): NdArray[][] {
    if (!this.reference) throw new Error('sensitivity search: no float reference yet');
    return this.reference;
  }
}

/** The per-sample values' mean, summed in sample order (as the single-thread search always did). */
export function meanInOrder(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function cacheBytes(c: ModelCache): number {
  let b = 0;
  for (const m of c.acts) for (const a of m.values()) b += (a.data as { byteLength: number }).byteLength;
  return b;
}

/** The tools' bookkeeping of a step's lowerings (count and time) into their stats; returns the step. */
export function bookLowerings(stats: { lowerings: number; lowerMs: number }): (r: StepResult) => StepResult {
  return (r) => {
    stats.lowerings += r.lowerings;
    stats.lowerMs += r.lowerMs;
    return r;
  };
}

/** A step over every sample with a progress bar counting them; `book` adds its counts to the tool's stats. */
export async function samplesStep(
  scorer: SampleScorer, progress: ProgressSink, n: number, label: string, step: ScoreStep, book: (r: StepResult) => StepResult,
): Promise<StepResult> {
  progress.start(label, n, 'samples');
  try {
    return book(await scorer.run(step, (k) => progress.tick(k)));
  } finally {
    progress.end();
  }
}

/**
 * The INT8 model for the main thread's own use (op lists, candidates): the scorer's, when it
 * lowered it in this thread, else one more lowering, booked in `stats`.
 */
export function int8ModelHere(
  scorer: SampleScorer, source: TopSource, chip: string, req: LowerRequest, stats: { lowerings: number; lowerMs: number },
): Module {
  if (scorer.int8Model) return scorer.int8Model;
  const t = performance.now();
  const m = lowerFresh(source, chip, req);
  stats.lowerings++;
  stats.lowerMs += performance.now() - t;
  return m;
}
