// What the sensitivity search asks of its samples, as steps: the float reference, the INT8 model
// and the baseline (cached), and cone-run scores of mixed models against a cache. Every answer
// holds PER-SAMPLE cos values: the search sums them in sample order itself, so splitting the
// samples over threads (../shards) gives bit-identical losses. SampleEngine runs the steps here,
// on one list of samples; a shard worker runs the same engine on its share of them.
import type { Module, NdArray } from '@tpu-quant/ir';
import { parseCompareLayers, type CompareLayers } from '../run-qtable/compare-layers.js';
import { lowerFresh, type LowerRequest, type TopSource } from '../run-qtable/lowering.js';
import { ModelCache, runAll } from '../run-qtable/model-state.js';
import { weightedCos } from '../run-qtable/similarity.js';
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
  | { readonly kind: 'drop'; readonly cache: CacheName };

export interface StepResult {
  /** Per sample, in sample order (reference/baseline/drop: empty). */
  readonly cos: number[];
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
  private readonly compare: CompareLayers | undefined;

  constructor(private readonly o: SampleEngineOptions) {
    this.compare = parseCompareLayers(o.globalCompareLayers);
  }

  async run(step: ScoreStep, onSamples?: (n: number) => void): Promise<StepResult> {
    const tick = onSamples ? () => onSamples(1) : undefined;
    const r = { cos: [] as number[], bytes: 0, lowerings: 0, lowerMs: 0, sessionMs: 0, coneMs: 0 };
    const lower = (req: LowerRequest): Module => {
      const t = performance.now();
      const m = lowerFresh(this.o.source, this.o.chip, req);
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
    }
    return r;
  }

  async close(): Promise<void> {
    this.reference = undefined;
    this.int8 = undefined;
    this.baseline = undefined;
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
