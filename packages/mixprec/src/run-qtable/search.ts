// run_qtable (calibration spec §7; TPU-MLIR's MixPrecSearcher.run): find the layers to keep in the
// chip's mix float type so the INT8 model's outputs come back to `expected_cos`.
//
// 1. The float reference (the top module lowered at FLOAT_MAP: F16 on bm1684x, F32 on bm1684) and
//    the INT8 model (the calibration table) each run every sample once, all activations cached.
//    all_int8_cos = mean over samples of the outputs' cos01 (§12). Above expected_cos: nothing to do.
// 2. The walk, in top op order: an op's layer cos is cos01 of its activation in the current model
//    (dequantized) against the float reference. Below min_layer_cos, the op and its direct
//    consumers join the float list; the mixed model is lowered and only the cone downstream of what
//    changed runs (runtime's runFrom, everything else read from the cache); outputs_cos decides:
//    above expected_cos → success, stop; more float layers than #top ops // 4 → fail, stop; below
//    all_int8_cos → revert; otherwise the mixed model's activations become the cache.
//
// Upstream quirks kept: the SKIP list (Input, Reshape, Softmax, ...) is checked against the lowered
// model's op types, so only inputs are skipped; an op is visited only when the original INT8 model
// has a consumer of it not yet in the float list; the float list counts a consumer twice when two
// float ops share it (the max check uses that count).
// Deliberate differences (README "run_qtable"):
// - the mixed run is the real mixed model on the current cache: a float producer's value is the
//   mixed model's, not the float reference that upstream's invoke_from feeds for it;
// - the qtable lists each layer once; "mix model outputs_cos" is the cos of the model the qtable
//   describes (upstream prints the last evaluated cos, which after a revert is not that model's);
// - no graphviz log and no tensor_diff_fp32_vs_int8 directory.
// The samples' work runs as steps (../sensitivity/scorer.ts: 'float-cache', 'int8', 'layer-cos',
// 'cone' + 'adopt' / 'discard'), split over `threads` worker threads when asked, each owning its
// shard's caches; every cos is summed here from per-sample values in sample order, so the result
// is the single-thread one bit for bit.
import { resolveMixFloatType, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { NO_PROGRESS, type ProgressSink } from '@tpu-quant/calib';
import { openScorer, shardThreads, type SampleThreadOptions } from '../shards/index.js';
import { bookLowerings, int8ModelHere, meanInOrder, samplesStep as runSamplesStep, type SampleScorer, type ScoreStep, type StepResult } from '../sensitivity/scorer.js';
import { ancestorsOf, checkCompareLayers, parseCompareLayers } from './compare-layers.js';
import { checkLowering, TopSource, type Calibration, type LowerRequest } from './lowering.js';
import { consumerNames } from './model-state.js';

export interface RunQtableOptions extends SampleThreadOptions {
  /** The top module (TOP_F32, as model_transform writes it) with its weights; not modified. */
  readonly module: Module;
  readonly chip: string;
  readonly calibration: Calibration;
  /** Network inputs by name, one map per sample. */
  readonly samples: readonly ReadonlyMap<string, NdArray>[];
  readonly expectedCos?: number;
  readonly minLayerCos?: number;
  /** `auto` (the chip's FLOAT_MAP type) or an explicit type the chip mixes. */
  readonly fpType?: string;
  /** `--global_compare_layers` as typed: `a,b` or `a:0.3,b:0.7`. */
  readonly globalCompareLayers?: string;
  /** Info lines (TPU-MLIR's print_info). */
  readonly log?: (line: string) => void;
  readonly progress?: ProgressSink;
}

export type RunQtableOutcome = 'no-need' | 'success' | 'fail' | 'searched';

export interface RunQtableResult {
  readonly outcome: RunQtableOutcome;
  /** The float type of the qtable entries. */
  readonly mixMode: string;
  /** The float reference's lowering mode (FLOAT_MAP). */
  readonly referenceMode: string;
  readonly sampleNumber: number;
  readonly allInt8Cos: number;
  /** outputs_cos of the model the qtable describes (all_int8_cos when it is empty). */
  readonly mixCos: number;
  /** Layers to keep in `mixMode`, each once, in the order the search added them. */
  readonly floatLayers: string[];
  /** (op, layer cos) in visiting order. */
  readonly layerCos: [string, number][];
  readonly maxFloatLayers: number;
  /** Times of work on worker threads are summed over them. */
  readonly stats: { readonly lowerings: number; readonly lowerMs: number; readonly suffixMs: number; readonly referenceMs: number; readonly int8Ms: number; readonly searchMs: number; readonly threads: number };
}

export async function runQtable(opts: RunQtableOptions): Promise<RunQtableResult> {
  const log = opts.log ?? (() => {});
  const progress = opts.progress ?? NO_PROGRESS;
  const chip = checkLowering(opts.chip).name;
  const mixMode = resolveMixFloatType(chip, opts.fpType);
  const referenceMode = resolveMixFloatType(chip, 'auto');
  if (opts.samples.length === 0) throw new UserError('E_DATA', 'run_qtable has no samples', 'give --dataset or --data_list with at least one sample');
  const compare = parseCompareLayers(opts.globalCompareLayers);
  if (compare) checkCompareLayers(opts.module, compare);
  const searchable = compare ? ancestorsOf(opts.module, compare.names) : undefined;
  const n = opts.samples.length;
  const threads = shardThreads(opts.threads, opts.workerSetup, n, 'run_qtable');
  const source = new TopSource(opts.module);
  const scorer = openScorer({
    module: opts.module, source, chip, samples: opts.samples, threads, setup: opts.workerSetup ?? [], label: 'a run_qtable thread',
    ...(opts.globalCompareLayers !== undefined ? { globalCompareLayers: opts.globalCompareLayers } : {}),
  });
  try {
    return await search(opts, { scorer, source, chip, mixMode, referenceMode, searchable, threads, log, progress });
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
  readonly searchable: ReadonlySet<string> | undefined;
  readonly threads: number;
  readonly log: (line: string) => void;
  readonly progress: ProgressSink;
}

async function search(opts: RunQtableOptions, c: SearchContext): Promise<RunQtableResult> {
  const { scorer, mixMode, referenceMode, searchable, log, progress } = c;
  const expectedCos = opts.expectedCos ?? 0.99;
  const minLayerCos = opts.minLayerCos ?? 0.99;
  const n = opts.samples.length;
  const stats = { lowerings: 0, lowerMs: 0, suffixMs: 0, referenceMs: 0, int8Ms: 0, searchMs: 0, threads: c.threads };
  const add = bookLowerings(stats);
  const samplesStep = (label: string, step: ScoreStep): Promise<StepResult> => runSamplesStep(scorer, progress, n, label, step, add);

  // step 2: the float reference and the INT8 model, every activation cached
  let t = performance.now();
  log(`run float mode: ${referenceMode}`);
  await samplesStep(`float reference (${referenceMode})`, { kind: 'float-cache', mode: referenceMode });
  stats.referenceMs = performance.now() - t;
  t = performance.now();
  log('run int8 mode: INT8');
  const int8Req: LowerRequest = { mode: 'INT8', calibration: opts.calibration };
  const int8Run = await samplesStep('INT8 model', { kind: 'int8', req: int8Req });
  stats.int8Ms = performance.now() - t;
  const allInt8Cos = meanInOrder(int8Run.cos);
  log(`all_int8_cos=${allInt8Cos}`);
  const base = { mixMode, referenceMode, sampleNumber: n, allInt8Cos, stats };
  if (allInt8Cos > expectedCos) {
    log(`job success, current int8 cos:${allInt8Cos} is higher than expected_cos:${expectedCos},no need for mix precsion`);
    return { ...base, outcome: 'no-need', mixCos: allInt8Cos, floatLayers: [], layerCos: [], maxFloatLayers: 0 };
  }

  // step 3: the walk (the INT8 model's consumers: the scorer's model in this thread, else one more lowering)
  t = performance.now();
  const int8Model = int8ModelHere(scorer, c.source, c.chip, int8Req, stats);
  const top = opts.module.main.ops.filter((op) => op.type !== 'top.Weight' && op.type !== 'top.None' && op.type !== 'func.return');
  const maxFloatLayers = Math.floor(top.length / 4);
  const topConsumers = consumerNames(opts.module);
  const int8Consumers = consumerNames(int8Model);
  const floatList: string[] = [];
  const layerCos: [string, number][] = [];
  let mixCos = allInt8Cos;
  let outcome: RunQtableOutcome = 'searched';
  progress.start('search', top.length, 'ops');
  for (const op of top) {
    progress.tick();
    const name = op.name;
    if (name === undefined || op.type === 'top.Input' || floatList.includes(name)) continue;
    if (!(int8Consumers.get(name) ?? []).some((c) => !floatList.includes(c))) continue;
    if (searchable && !searchable.has(name)) continue;
    const cos = meanInOrder((await scorer.run({ kind: 'layer-cos', name })).cos);
    layerCos.push([name, cos]);
    if (cos >= minLayerCos) continue;

    const next = topConsumers.get(name) ?? [];
    floatList.push(name, ...next);
    log(`layer ${name} cos:${cos.toFixed(6)} < min_layer_cos, set ${mixMode} to ${[name, ...next].join(',')}`);
    const cone = add(await scorer.run({ kind: 'cone', req: { mode: 'INT8', calibration: opts.calibration, quantizeTable: new Map(floatList.map((l) => [l, mixMode])) }, outputs: 'mixed' }));
    const outputsCos = meanInOrder(cone.cos);
    stats.suffixMs += cone.sessionMs + cone.coneMs;
    log(`current output cos:${outputsCos.toFixed(6)} (${cone.roots} ops re-run from)`);
    if (outputsCos > expectedCos) {
      await scorer.run({ kind: 'adopt' });
      mixCos = outputsCos;
      outcome = 'success';
      log(`job success, current cos is higher than expected_cos:${expectedCos}`);
      break;
    }
    if (floatList.length > maxFloatLayers) {
      await scorer.run({ kind: 'discard' });
      mixCos = outputsCos;
      outcome = 'fail';
      log(`job fail, the number of layers of ${mixMode} exceeded the maximum`);
      break;
    }
    if (outputsCos < allInt8Cos) {
      await scorer.run({ kind: 'discard' });
      floatList.splice(floatList.length - next.length - 1, next.length + 1);
      log(`meet outputs_cos:${outputsCos.toFixed(6)} < all_int8_cos:${allInt8Cos.toFixed(6)}, ${name} reverted`);
      continue;
    }
    await scorer.run({ kind: 'adopt' });
    mixCos = outputsCos;
  }
  progress.end();
  stats.searchMs = performance.now() - t;
  const floatLayers = [...new Set(floatList)];
  return { ...base, outcome, mixCos, floatLayers, layerCos, maxFloatLayers };
}
