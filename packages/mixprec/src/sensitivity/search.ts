// The per-layer sensitivity searches of TPU-MLIR: `run_calibration --search search_qtable`
// (calibration spec §6.1 steps 4-10) and `run_sensitive_layer` (§8), one engine.
//
// 4. The float reference (FLOAT_MAP type) keeps only the compared tensors; the INT8 model (base
//    table) keeps every activation. all_int8_cos above expected_cos: nothing to do.
// 5. Candidates (candidates.ts).
// 6. For each searched layer L in op order: every other searched layer float, L in INT8 with each
//    method's threshold in turn (earlier layers' committed thresholds kept), loss = 1 − cos; the
//    first strict minimum is committed. Every such trial differs from one baseline (INT8 + every
//    searched layer float, lowered and run once, all activations cached) only around L, so a trial
//    lowers the mixed model and runs the cone downstream of the ops whose lowering changed.
// 7-9. Selection and the budget increase (selection.ts); each evaluation is a cone run on the
//    INT8 model's cache.
// Every score is a mean over samples of a per-sample cos: with `threads` > 1 the samples are split
// over worker threads (../shards), each owning its shard's caches; the per-sample values come back
// and are summed here in sample order, so the result is the single-thread one bit for bit.
import { pyFloatRepr, resolveMixFloatType, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { NO_PROGRESS, type ProgressSink } from '@tpu-quant/calib';
import { checkCompareLayers, parseCompareLayers } from '../run-qtable/compare-layers.js';
import { checkLowering, TopSource, type Calibration, type LowerRequest } from '../run-qtable/lowering.js';
import { consumerNames } from '../run-qtable/model-state.js';
import { openScorer, shardThreads, type SampleThreadOptions } from '../shards/index.js';
import { selectCandidates } from './candidates.js';
import { bookLowerings, int8ModelHere, meanInOrder, samplesStep as runSamplesStep, type SampleScorer, type ScoreStep, type StepResult } from './scorer.js';
import { budgetSearch, pyList, selectFloatLayers, type Evaluation, type LayerLoss, type TopGraph } from './selection.js';

/** One method's thresholds (its tuned table), by tensor name. */
export interface MethodThresholds {
  /** As TPU-MLIR names it: KL, MSE, MAX, Percentile9999. */
  readonly name: string;
  readonly thresholds: ReadonlyMap<string, number>;
}

export interface SensitivitySearchOptions extends SampleThreadOptions {
  /** The top module (TOP_F32) with its weights; not modified. */
  readonly module: Module;
  readonly chip: string;
  /** The base table: search_qtable's `<table>_MSE_tune` copy, run_sensitive_layer's input table. */
  readonly calibration: Calibration;
  readonly methods: readonly MethodThresholds[];
  /** The inference samples (network inputs by name). */
  readonly samples: readonly ReadonlyMap<string, NdArray>[];
  readonly expectedCos?: number;
  readonly maxFloatLayers?: number;
  readonly fpType?: string;
  readonly globalCompareLayers?: string;
  readonly transformer?: boolean;
  /** search_qtable: drop float_ops, budget increase + binary search. run_sensitive_layer: neither. */
  readonly kind: 'search_qtable' | 'sensitive_layer';
  readonly log?: (line: string) => void;
  readonly progress?: ProgressSink;
  /** Activation-cache bound (default 3e9 bytes, all threads together): above it the INT8 cache is rebuilt instead of kept. */
  readonly cacheBytes?: number;
}

export interface LayerResult extends LayerLoss {
  readonly bestMethod: string;
  readonly bestThreshold: number;
}

/** Times of work done on worker threads are summed over the threads. */
export interface SearchStats {
  /** Worker threads the samples were split over (1: none, all in this thread). */
  threads: number;
  lowerings: number;
  lowerMs: number;
  trials: number;
  /** Trials whose threshold equalled an earlier method's for the same layer: same model, loss reused. */
  reusedTrials: number;
  sessionMs: number;
  coneMs: number;
  referenceMs: number;
  int8Ms: number;
  baselineMs: number;
  trialsMs: number;
  evaluationMs: number;
  evaluations: number;
  /** Bytes of the baseline's and the INT8 model's activation caches. */
  baselineCacheBytes: number;
  int8CacheBytes: number;
}

export interface SensitivitySearchResult {
  readonly outcome: 'no-need' | 'searched';
  readonly mixMode: string;
  readonly referenceMode: string;
  readonly sampleNumber: number;
  readonly allInt8Cos: number;
  /** cos of the model the qtable describes. */
  readonly mixCos: number;
  readonly floatLayers: string[];
  /** Per searched layer, in op order. */
  readonly layers: LayerResult[];
  /** The base table's rows with every searched layer's best threshold (new_cali_table.txt). */
  readonly rows: Calibration['rows'];
  readonly candidates: { readonly all: number; readonly quant: number; readonly search: number };
  readonly evaluations: Evaluation[];
  /** Upstream's pick after the binary search (the last evaluated set), for the record. */
  readonly lastEvaluated?: Evaluation;
  readonly stats: SearchStats;
}

const CACHE_WARN_BYTES = 3e9;

export async function runSensitivitySearch(o: SensitivitySearchOptions): Promise<SensitivitySearchResult> {
  const log = o.log ?? (() => {});
  const progress = o.progress ?? NO_PROGRESS;
  const chip = checkLowering(o.chip).name;
  const mixMode = resolveMixFloatType(chip, o.fpType);
  const referenceMode = resolveMixFloatType(chip, 'auto');
  if (o.methods.length === 0) throw new UserError('E_BAD_FLAG', 'the search has no quantize method', 'give --quantize_method_list, e.g. MSE or KL,MSE');
  const n = o.samples.length;
  if (n === 0) throw new UserError('E_DATA', 'the search has no inference samples', 'give --dataset or --data_list and --inference_num > 0');
  const compare = parseCompareLayers(o.globalCompareLayers);
  if (compare) checkCompareLayers(o.module, compare);
  const threads = shardThreads(o.threads, o.workerSetup, n);
  const stats: SearchStats = {
    threads, lowerings: 0, lowerMs: 0, trials: 0, reusedTrials: 0, sessionMs: 0, coneMs: 0, referenceMs: 0, int8Ms: 0, baselineMs: 0, trialsMs: 0, evaluationMs: 0, evaluations: 0,
    baselineCacheBytes: 0, int8CacheBytes: 0,
  };
  const source = new TopSource(o.module);
  const scorer = openScorer({
    module: o.module, source, chip, samples: o.samples, threads, setup: o.workerSetup ?? [], label: 'a sensitivity search thread',
    ...(o.globalCompareLayers !== undefined ? { globalCompareLayers: o.globalCompareLayers } : {}),
  });
  try {
    return await search(o, { scorer, source, chip, mixMode, referenceMode, compare, stats, log, progress });
  } finally {
    await scorer.close();
  }
}

interface SearchContext {
  readonly scorer: SampleScorer;
  readonly source: TopSource;
  readonly chip: string;
  readonly mixMode: string;
  readonly referenceMode: string;
  readonly compare: ReturnType<typeof parseCompareLayers>;
  readonly stats: SearchStats;
  readonly log: (line: string) => void;
  readonly progress: ProgressSink;
}


async function search(o: SensitivitySearchOptions, c: SearchContext): Promise<SensitivitySearchResult> {
  const { scorer, source, chip, mixMode, referenceMode, compare, stats, log, progress } = c;
  const expectedCos = o.expectedCos ?? 0.99;
  const maxFloatLayers = o.maxFloatLayers ?? 5;
  const n = o.samples.length;
  const lowerings = bookLowerings(stats);
  const add = (r: StepResult): StepResult => {
    stats.sessionMs += r.sessionMs;
    stats.coneMs += r.coneMs;
    return lowerings(r);
  };
  /** A per-sample step with its progress bar. */
  const samplesStep = (label: string, step: ScoreStep): Promise<StepResult> => runSamplesStep(scorer, progress, n, label, step, add);
  const qtable = (names: Iterable<string>) => new Map([...names].map((l) => [l, mixMode] as [string, string]));

  // step 4: the float reference (compared tensors only) and the INT8 model (every activation)
  log(`quantize_method_list=${pyList(o.methods.map((m) => m.name))}`);
  let t = performance.now();
  log(`run float mode: ${referenceMode}`);
  await samplesStep(`float reference (${referenceMode})`, { kind: 'reference', mode: referenceMode });
  stats.referenceMs = performance.now() - t;
  t = performance.now();
  log('run int8 mode: INT8');
  const int8Req: LowerRequest = { mode: 'INT8', calibration: o.calibration };
  const int8Run = await samplesStep('INT8 model', { kind: 'int8', req: int8Req });
  stats.int8CacheBytes = int8Run.bytes;
  stats.int8Ms = performance.now() - t;
  const allInt8Cos = meanInOrder(int8Run.cos);
  const base = { mixMode, referenceMode, sampleNumber: n, allInt8Cos, stats };
  const empty = { candidates: { all: 0, quant: 0, search: 0 }, evaluations: [], rows: o.calibration.rows, layers: [], floatLayers: [] };
  if (allInt8Cos > expectedCos) {
    log(`job success, current int8 cos:${pyFloatRepr(allInt8Cos)} is higher than expected_cos:${pyFloatRepr(expectedCos)},no need for mix precsion`);
    return { ...base, ...empty, outcome: 'no-need', mixCos: allInt8Cos };
  }
  log(`all_int8_cos=${pyFloatRepr(allInt8Cos)}`);

  // step 5: candidates (on the INT8 model: the scorer's when it lowered it here, else one more lowering)
  const int8Model = int8ModelHere(scorer, source, chip, int8Req, stats);
  const cands = selectCandidates(o.module, int8Model, { dropFloatOps: o.kind === 'search_qtable', transformer: o.transformer, thresholds: o.methods[0]!.thresholds });
  log('layer name check pass !');
  log(`all layer number: ${cands.all.length}`);
  log(`all layer number no float: ${cands.quant.length}`);
  log(`transformer model: ${o.transformer ? 'True' : 'False'}, all search layer number: ${cands.search.length}`);
  log(`Global metrics layer is : ${compare ? pyList(compare.names) : 'None'}`);
  for (const m of o.methods) {
    const missing = cands.search.find((l) => !m.thresholds.has(l));
    if (missing) throw new UserError('E_CALIBRATION_TABLE', `the ${m.name} thresholds have no row for ${missing}`, 'the per-method tables must come from the same .mlir');
  }

  // Memory: the baseline's cache (mostly F16) is about twice the INT8 one; when both together would
  // pass ~3 GB the INT8 cache is dropped during the trials and rebuilt (one more INT8 run) for step 8.
  const bound = o.cacheBytes ?? CACHE_WARN_BYTES;
  const dropInt8 = stats.int8CacheBytes * 3 > bound;
  if (dropInt8) await scorer.run({ kind: 'drop', cache: 'int8' });

  // step 6: the baseline and the per-layer trials
  t = performance.now();
  const searched = new Set(cands.search);
  const baselineRun = await samplesStep(`baseline (INT8, ${cands.search.length} layers ${mixMode})`, { kind: 'baseline', req: { mode: 'INT8', calibration: o.calibration, quantizeTable: qtable(searched) } });
  stats.baselineCacheBytes = baselineRun.bytes;
  stats.baselineMs = performance.now() - t;
  if (stats.baselineCacheBytes + (dropInt8 ? 0 : stats.int8CacheBytes) > bound) {
    log(`warning: the activation caches hold ${(stats.baselineCacheBytes / 1e9).toFixed(2)} + ${(stats.int8CacheBytes / 1e9).toFixed(2)} GB; use a smaller --inference_num if memory runs short`);
  }
  /** A mixed model's cos: the mean of its per-sample cos, by a cone run on a cache. */
  const score = async (req: LowerRequest, cache: 'baseline' | 'int8'): Promise<number> => meanInOrder(add(await scorer.run({ kind: 'score', req, cache })).cos);

  t = performance.now();
  const current = new Map(o.calibration.rows.map((r) => [r.name, r]));
  const calibrationWith = (layer: string, th: number): Calibration => {
    const rows = [...current.values()].map((r) => (r.name === layer ? { ...r, threshold: th } : r));
    return { rows, ...(o.calibration.asymOps ? { asymOps: o.calibration.asymOps } : {}) };
  };
  const layers: LayerResult[] = [];
  progress.start('sensitivity trials', cands.search.length * o.methods.length, 'trials');
  for (const layer of cands.search) {
    const type = cands.types.get(layer)!;
    log(`start to handle layer: ${layer}, type: ${type}`);
    const others = qtable(cands.search.filter((l) => l !== layer));
    let best: { loss: number; th: number; method: string } | undefined;
    const tried = new Map<number, number>();
    for (const m of o.methods) {
      const th = m.thresholds.get(layer)!;
      log(`adjust layer ${layer} th, with method ${m.name}, and threshlod ${pyFloatRepr(th)}`);
      let loss = tried.get(th);
      if (loss === undefined) {
        loss = 1 - (await score({ mode: 'INT8', calibration: calibrationWith(layer, th), quantizeTable: others }, 'baseline'));
        tried.set(th, loss);
      } else {
        stats.reusedTrials++;
      }
      stats.trials++;
      progress.tick();
      log(`outputs_cos_los = ${pyFloatRepr(loss)}`);
      if (best === undefined || loss < best.loss) best = { loss, th, method: m.name };
    }
    const row = current.get(layer);
    if (row) current.set(layer, { ...row, threshold: best!.th });
    log(`layer ${layer}, layer type is ${type}, best_th = ${pyFloatRepr(best!.th)}, best_method = ${best!.method}, best_cos_loss = ${pyFloatRepr(best!.loss)}`);
    layers.push({ name: layer, loss: best!.loss, type, bestMethod: best!.method, bestThreshold: best!.th });
  }
  progress.end();
  stats.trialsMs = performance.now() - t;
  await scorer.run({ kind: 'drop', cache: 'baseline' }); // the trials are over: free the baseline's activations
  if (dropInt8) {
    t = performance.now();
    await samplesStep('INT8 model (again, for the evaluations)', { kind: 'rebuild-int8' });
    stats.int8Ms += performance.now() - t;
    log(`the INT8 cache was dropped during the trials (memory) and rebuilt: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  // steps 7-9: selection, evaluation on the INT8 cache, budget increase
  t = performance.now();
  const rows = [...current.values()];
  const tuned: Calibration = { rows, ...(o.calibration.asymOps ? { asymOps: o.calibration.asymOps } : {}) };
  const graph = topGraph(o.module);
  const evaluate = async (set: readonly string[]): Promise<number> => {
    const cos = await score({ mode: 'INT8', calibration: tuned, quantizeTable: qtable(set) }, 'int8');
    stats.evaluations++;
    return cos;
  };
  const first = selectFloatLayers(layers, maxFloatLayers, graph);
  for (const l of first.lines) log(l);
  const firstEval: Evaluation = { maxFloatLayers, layers: first.layers, cos: await evaluate(first.layers) };
  log(`float layer number: ${maxFloatLayers}, mix model outputs_cos: ${pyFloatRepr(firstEval.cos)}`);
  let chosen = firstEval;
  let evaluations = [firstEval];
  let lastEvaluated: Evaluation | undefined;
  if (o.kind === 'search_qtable') {
    const b = await budgetSearch(firstEval, {
      q8: Math.floor(cands.quant.length / 8), expectedCos,
      select: (k) => selectFloatLayers(layers, k, graph, false).layers,
      evaluate, log,
    });
    chosen = b.chosen;
    evaluations = b.evaluations;
    lastEvaluated = b.lastEvaluated;
  }
  stats.evaluationMs = performance.now() - t;
  return {
    ...base, outcome: 'searched', mixCos: chosen.cos, floatLayers: [...new Set(chosen.layers)], layers, rows,
    candidates: { all: cands.all.length, quant: cands.quant.length, search: cands.search.length }, evaluations, ...(lastEvaluated ? { lastEvaluated } : {}),
  };
}

function topGraph(top: Module): TopGraph {
  const types = new Map<string, string>();
  const producers = new Map<string, string[]>();
  for (const op of top.main.ops) {
    if (op.name === undefined) continue;
    types.set(op.name, op.type);
    const ps: string[] = [];
    for (const v of op.operands) {
      const p = v.producer;
      if (p && p.type !== 'top.Weight' && p.type !== 'top.None' && p.name !== undefined && !ps.includes(p.name)) ps.push(p.name);
    }
    producers.set(op.name, ps);
  }
  const consumers = consumerNames(top);
  return { typeOf: (n) => types.get(n), consumers: (n) => consumers.get(n) ?? [], producers: (n) => producers.get(n) ?? [] };
}
