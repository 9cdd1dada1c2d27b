// Bias correction (calibration spec §9.2; TPU-MLIR's MixPrecSearcher.run_bias_correction): shift
// the bias of an INT8-sensitive conv by the per-channel mean its INT8 output loses against the
// float reference, keeping a correction only when the model gets better.
//
// 1. The float reference (FLOAT_MAP: F16 on bm1684x) and the INT8 model run every sample once;
//    the INT8 model keeps every activation (run_qtable's ModelCache), the reference only the conv
//    outputs and the compared tensors. all_int8_cos above expected_cos: nothing to do.
// 2. The walk, in top op order, over each top.Conv with a bias that the INT8 model feeds onward
//    (and, with --global_compare_layers, that is an ancestor of a compare layer): layer cos =
//    mean_s cos01(INT8 output, float output). Below min_layer_cos: diff[c] = mean_s(mean of the
//    float output's channel c − mean of the INT8 output's channel c), bias += diff, the model is
//    lowered again and only the cone below the conv runs (runFrom on the cache), giving the new
//    layer cos and outputs cos. Applied unless outputs cos < the best so far or the new layer cos
//    < the old one; an applied correction's cone becomes the cache. Stop once the best outputs cos
//    passes expected_cos.
//
// Differences from upstream, on purpose (README "Bias correction"): the input weights are never
// written (the caller gets a new weight map); later layers are measured in the corrected model
// (upstream keeps measuring the uncorrected INT8 model's activations); a conv's correction is
// judged against its own old layer cos, and a reverted trial changes no "best" value (upstream
// compares with the best layer cos of any earlier conv and raises both bests even on revert);
// means over every axis but the channel axis, so Conv1d/Conv3d outputs work (upstream assumes 4-D
// and fails on any other visited tensor); only convs are measured (upstream computes means of
// every visited op and uses only the convs').
//
// The samples' work runs as steps (../sensitivity/scorer.ts: 'float-cache', 'int8', 'layer-cos'
// with channel means, 'cone' with the corrected bias + 'adopt' / 'discard'), split over `threads`
// worker threads when asked; cos values and channel-mean differences come back per sample and are
// summed here in sample order, so the result is the single-thread one bit for bit.
import { resolveMixFloatType, UserError, ndarray, type Module, type NdArray, type TensorType, type Type } from '@tpu-quant/ir';
import { NO_PROGRESS, type ProgressSink } from '@tpu-quant/calib';
import { ancestorsOf, checkCompareLayers, parseCompareLayers } from '../run-qtable/compare-layers.js';
import { checkLowering, TopSource, type Calibration, type LowerRequest } from '../run-qtable/lowering.js';
import { consumerNames } from '../run-qtable/model-state.js';
import { openScorer, shardThreads, type SampleThreadOptions } from '../shards/index.js';
import { bookLowerings, int8ModelHere, meanInOrder, samplesStep as runSamplesStep, type SampleScorer, type ScoreStep, type StepResult } from '../sensitivity/scorer.js';

export interface BiasCorrectionOptions extends SampleThreadOptions {
  /** The top module with its weights; neither is modified. */
  readonly module: Module;
  readonly chip: string;
  readonly calibration: Calibration;
  /** Network inputs, one map per sample (the first bc_inference_num). */
  readonly samples: readonly ReadonlyMap<string, NdArray>[];
  readonly expectedCos?: number;
  readonly minLayerCos?: number;
  readonly globalCompareLayers?: string;
  readonly log?: (line: string) => void;
  readonly progress?: ProgressSink;
}

export interface BiasCorrectionTrial {
  readonly op: string;
  readonly bias: string;
  readonly oldLayerCos: number;
  readonly layerCos: number;
  readonly outputsCos: number;
  readonly applied: boolean;
}

export interface BiasCorrectionResult {
  readonly outcome: 'no-need' | 'success' | 'searched';
  readonly referenceMode: string;
  readonly sampleNumber: number;
  readonly allInt8Cos: number;
  /** outputs cos of the model with every applied correction (all_int8_cos when none). */
  readonly bestCos: number;
  readonly trials: BiasCorrectionTrial[];
  /** The module's weights with the applied corrections (a new map; unchanged arrays shared). */
  readonly weights: Map<string, NdArray>;
  /** The bias weights that changed. */
  readonly changed: string[];
  /** Times of work on worker threads are summed over them. */
  readonly stats: { readonly lowerings: number; readonly lowerMs: number; readonly coneMs: number; readonly referenceMs: number; readonly int8Ms: number; readonly threads: number };
}

export async function runBiasCorrection(opts: BiasCorrectionOptions): Promise<BiasCorrectionResult> {
  const log = opts.log ?? (() => {});
  const progress = opts.progress ?? NO_PROGRESS;
  const expectedCos = opts.expectedCos ?? 0.99;
  const minLayerCos = opts.minLayerCos ?? 0.99;
  const chip = checkLowering(opts.chip).name;
  const referenceMode = resolveMixFloatType(chip, 'auto');
  const n = opts.samples.length;
  if (n === 0) throw new UserError('E_DATA', 'bias correction has no samples', 'give --bc_inference_num of at least 1 and samples in --dataset / --data_list');
  const compare = parseCompareLayers(opts.globalCompareLayers);
  if (compare) checkCompareLayers(opts.module, compare);
  const searchable = compare ? ancestorsOf(opts.module, compare.names) : undefined;
  const threads = shardThreads(opts.threads, opts.workerSetup, n, 'bias correction');
  const stats = { lowerings: 0, lowerMs: 0, coneMs: 0, referenceMs: 0, int8Ms: 0, threads };
  log('run_bias_correction start');

  // the convs that can be corrected: a bias weight of their own (a shared one would change
  // another conv outside the re-run cone), and a consumer in the model
  const topConsumers = consumerNames(opts.module);
  const convs = opts.module.main.ops.filter((op) => {
    if (op.type !== 'top.Conv' || op.name === undefined) return false;
    const bias = op.operands[2];
    if (!bias || !bias.owner || !('type' in bias.owner) || bias.owner.type !== 'top.Weight' || !bias.name || !opts.module.weights.has(bias.name)) return false;
    if (bias.uses.length !== 1) return false;
    if ((topConsumers.get(op.name) ?? []).length === 0) return false;
    return !searchable || searchable.has(op.name);
  });

  const source = new TopSource(opts.module);
  const scorer = openScorer({
    module: opts.module, source, chip, samples: opts.samples, threads, setup: opts.workerSetup ?? [], label: 'a bias correction thread',
    ...(opts.globalCompareLayers !== undefined ? { globalCompareLayers: opts.globalCompareLayers } : {}),
  });
  try {
    return await walk(opts, convs, { scorer, source, chip, referenceMode, stats, log, progress });
  } finally {
    await scorer.close();
  }
}

interface WalkContext {
  readonly scorer: SampleScorer;
  readonly source: TopSource;
  readonly chip: string;
  readonly referenceMode: string;
  readonly stats: { lowerings: number; lowerMs: number; coneMs: number; referenceMs: number; int8Ms: number; readonly threads: number };
  readonly log: (line: string) => void;
  readonly progress: ProgressSink;
}

async function walk(opts: BiasCorrectionOptions, convs: readonly Module['main']['ops'][number][], c: WalkContext): Promise<BiasCorrectionResult> {
  const { scorer, referenceMode, stats, log, progress } = c;
  const expectedCos = opts.expectedCos ?? 0.99;
  const minLayerCos = opts.minLayerCos ?? 0.99;
  const n = opts.samples.length;
  const add = bookLowerings(stats);
  const samplesStep = (label: string, step: ScoreStep): Promise<StepResult> => runSamplesStep(scorer, progress, n, label, step, add);

  // step 1: the float reference (conv outputs and compared tensors) and the INT8 model (everything)
  let t = performance.now();
  log(`run float mode: ${referenceMode}`);
  // the conv outputs, and the compared tensors: the compare layers, else each lowered model's outputs (paired by position)
  await samplesStep(`float reference (${referenceMode})`, { kind: 'float-cache', mode: referenceMode, keep: convs.map((op) => op.name!) });
  stats.referenceMs = performance.now() - t;
  t = performance.now();
  log('run int8 mode: INT8');
  const int8Req: LowerRequest = { mode: 'INT8', calibration: opts.calibration };
  const int8Run = await samplesStep('INT8 model', { kind: 'int8', req: int8Req });
  stats.int8Ms = performance.now() - t;
  const allInt8Cos = meanInOrder(int8Run.cos);
  log(`all_int8_cos=${allInt8Cos}`);
  let weights = new Map(opts.module.weights);
  const base = { referenceMode, sampleNumber: n, allInt8Cos, stats };
  if (allInt8Cos > expectedCos) {
    log(`job success, current int8 cos:${allInt8Cos.toFixed(6)} is higher than expected_cos:${expectedCos.toFixed(6)},no need for mix precsion`);
    return { ...base, outcome: 'no-need', bestCos: allInt8Cos, trials: [], weights, changed: [] };
  }

  // step 2: the walk (the INT8 model's ops: the scorer's model in this thread, else one more lowering)
  const int8Model = int8ModelHere(scorer, c.source, c.chip, int8Req, stats);
  const int8Ops = new Set(int8Model.main.ops.map((op) => op.name));
  const trials: BiasCorrectionTrial[] = [];
  const changed: string[] = [];
  let best = allInt8Cos;
  let outcome: BiasCorrectionResult['outcome'] = 'searched';
  progress.start('bias correction', convs.length, 'convs');
  for (const conv of convs) {
    progress.tick();
    const name = conv.name!;
    if (!int8Ops.has(name)) continue;
    const diff = new Float64Array(channelsOf(conv.results[0]!.type));
    const measured = await scorer.run({ kind: 'layer-cos', name, channelDiff: diff.length > 0 });
    const oldCos = meanInOrder(measured.cos);
    // diff[c] = Σ_s (float − INT8 channel mean) / n, in sample order
    for (const d of measured.channelDiff ?? []) for (let ch = 0; ch < diff.length; ch++) diff[ch]! += d[ch]! / n;
    if (oldCos >= minLayerCos) continue;
    const biasName = conv.operands[2]!.name!;
    const bias = weights.get(biasName)!;
    if (diff.length === 0 || bias.data.length !== diff.length) {
      log(`op:${name} skipped: bias ${biasName} has ${bias.data.length} values for ${diff.length} channels`);
      continue;
    }
    const corrected = ndarray('f32', [...bias.shape], Float32Array.from(bias.data as ArrayLike<number>, (v, ch) => v + diff[ch]!));
    const trialWeights = new Map(weights).set(biasName, corrected);
    const cone = add(await scorer.run({ kind: 'cone', req: int8Req, outputs: 'int8', from: [name], layer: name, bias: { name: biasName, value: corrected } }));
    stats.coneMs += cone.sessionMs + cone.coneMs;
    const layerCos = meanInOrder(cone.layerCos!);
    const outputsCos = meanInOrder(cone.cos);
    const applied = !(outputsCos < best || layerCos < oldCos);
    trials.push({ op: name, bias: biasName, oldLayerCos: oldCos, layerCos, outputsCos, applied });
    log(`op:${name} bias correction ${applied ? 'applied' : 'revocation'}, layer_cos:${layerCos.toFixed(6)}, outputs_cos:${outputsCos.toFixed(6)} (old layer_cos:${oldCos.toFixed(6)})`);
    if (applied) {
      await scorer.run({ kind: 'adopt' });
      weights = trialWeights;
      if (!changed.includes(biasName)) changed.push(biasName);
      best = outputsCos;
    } else {
      await scorer.run({ kind: 'discard' });
    }
    if (best > expectedCos) {
      outcome = 'success';
      log(`job success, current cos is higher than expected_cos:${expectedCos.toFixed(6)}`);
      break;
    }
  }
  progress.end();
  return { ...base, outcome, bestCos: best, trials, weights, changed };
}

/** The channel count (axis 1) of a conv result; 0 when it has no channel axis. */
function channelsOf(type: Type): number {
  return type.kind === 'tensor' && (type as TensorType).shape.length >= 2 ? (type as TensorType).shape[1]! : 0;
}
