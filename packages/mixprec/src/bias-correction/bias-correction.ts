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
import { resolveMixFloatType, UserError, ndarray, type Module, type NdArray, type TensorType, type Type } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { NO_PROGRESS, type ProgressSink } from '@tpu-quant/calib';
import { ancestorsOf, checkCompareLayers, parseCompareLayers } from '../run-qtable/compare-layers.js';
import { checkLowering, lowerFresh, TopSource, type Calibration } from '../run-qtable/lowering.js';
import { consumerNames, ModelCache, packRun, runAll, runPacked, typesOf } from '../run-qtable/model-state.js';
import { cos01, weightedCos } from '../run-qtable/similarity.js';
import { unpackTensor } from '../run-qtable/tensor-store.js';
import { channelMeans } from './channel-mean.js';

export interface BiasCorrectionOptions {
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
  readonly stats: { readonly lowerings: number; readonly lowerMs: number; readonly coneMs: number; readonly referenceMs: number; readonly int8Ms: number };
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
  const stats = { lowerings: 0, lowerMs: 0, coneMs: 0, referenceMs: 0, int8Ms: 0 };
  let source = new TopSource(opts.module);
  const lower = (mode: string): Module => {
    const t = performance.now();
    const m = lowerFresh(source, chip, { mode, ...(mode === 'INT8' ? { calibration: opts.calibration } : {}) });
    stats.lowerings++;
    stats.lowerMs += performance.now() - t;
    return m;
  };
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

  // step 1: the float reference (conv outputs and compared tensors) and the INT8 model (everything)
  let t = performance.now();
  log(`run float mode: ${referenceMode}`);
  const floatModel = lower(referenceMode);
  // compared: the compare layers, else each lowered model's outputs (paired by position)
  const outputsOf = (m: Module): readonly string[] => compare?.names ?? m.main.outputs.map((v) => v.name ?? '');
  const refCompared = outputsOf(floatModel);
  const keep = [...new Set([...convs.map((c) => c.name!), ...refCompared])];
  progress.start(`float reference (${referenceMode})`, n, 'samples');
  const ref = new ModelCache(floatModel, await capture(floatModel, opts.samples, keep, () => progress.tick()));
  progress.end();
  stats.referenceMs = performance.now() - t;
  t = performance.now();
  log('run int8 mode: INT8');
  const int8Model = lower('INT8');
  progress.start('INT8 model', n, 'samples');
  const cur = new ModelCache(int8Model, await runAll(int8Model, opts.samples, () => progress.tick()));
  progress.end();
  stats.int8Ms = performance.now() - t;

  const compared = outputsOf(int8Model);
  const reference = Array.from({ length: n }, (_, s) => refCompared.map((name) => ref.f32(s, name)!));
  const outputsCosOf = (get: (s: number, name: string) => NdArray): number => {
    let c = 0;
    for (let s = 0; s < n; s++) c += weightedCos(compared.map((name) => get(s, name)), reference[s]!, compare?.rates);
    return c / n;
  };
  const allInt8Cos = outputsCosOf((s, name) => cur.f32(s, name)!);
  log(`all_int8_cos=${allInt8Cos}`);
  let weights = new Map(opts.module.weights);
  const base = { referenceMode, sampleNumber: n, allInt8Cos, stats };
  if (allInt8Cos > expectedCos) {
    log(`job success, current int8 cos:${allInt8Cos.toFixed(6)} is higher than expected_cos:${expectedCos.toFixed(6)},no need for mix precsion`);
    return { ...base, outcome: 'no-need', bestCos: allInt8Cos, trials: [], weights, changed: [] };
  }

  // step 2: the walk
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
    let oldCos = 0;
    const diff = new Float64Array(channelsOf(conv.results[0]!.type));
    for (let s = 0; s < n; s++) {
      const a = cur.f32(s, name)!;
      const b = ref.f32(s, name)!;
      oldCos += cos01(a.data as ArrayLike<number>, b.data as ArrayLike<number>);
      if (diff.length > 0) {
        const [ma, mb] = [channelMeans(a), channelMeans(b)];
        for (let c = 0; c < diff.length; c++) diff[c]! += (mb[c]! - ma[c]!) / n;
      }
    }
    oldCos /= n;
    if (oldCos >= minLayerCos) continue;
    const biasName = conv.operands[2]!.name!;
    const bias = weights.get(biasName)!;
    if (diff.length === 0 || bias.data.length !== diff.length) {
      log(`op:${name} skipped: bias ${biasName} has ${bias.data.length} values for ${diff.length} channels`);
      continue;
    }
    const corrected = Float32Array.from(bias.data as ArrayLike<number>, (v, c) => v + diff[c]!);
    const trialWeights = new Map(weights).set(biasName, ndarray('f32', [...bias.shape], corrected));
    const prevSource = source;
    const m = source.fresh();
    m.weights = trialWeights;
    source = new TopSource(m);
    const mixed = lower('INT8');
    const tc = performance.now();
    const { cones, layerCos, outputsCos } = await runCone(mixed, name, cur, n, compared, reference, ref, compare?.rates);
    stats.coneMs += performance.now() - tc;
    const applied = !(outputsCos < best || layerCos < oldCos);
    trials.push({ op: name, bias: biasName, oldLayerCos: oldCos, layerCos, outputsCos, applied });
    log(`op:${name} bias correction ${applied ? 'applied' : 'revocation'}, layer_cos:${layerCos.toFixed(6)}, outputs_cos:${outputsCos.toFixed(6)} (old layer_cos:${oldCos.toFixed(6)})`);
    if (applied) {
      cur.adopt(mixed, cones);
      weights = trialWeights;
      if (!changed.includes(biasName)) changed.push(biasName);
      best = outputsCos;
    } else {
      source = prevSource;
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

/** The cone below `conv` in the re-lowered model, per sample, from the cache; its layer and outputs cos. */
async function runCone(
  mixed: Module, conv: string, cur: ModelCache, n: number, compared: readonly string[], reference: readonly NdArray[][], ref: ModelCache, rates?: readonly number[],
): Promise<{ cones: Map<string, NdArray>[]; layerCos: number; outputsCos: number }> {
  const session = await createSession(mixed);
  const types = typesOf(mixed);
  const cones: Map<string, NdArray>[] = [];
  let layerCos = 0;
  let outputsCos = 0;
  try {
    for (let s = 0; s < n; s++) {
      const cone = await runPacked(session, types, { roots: [conv], cached: cur.acts[s]! });
      cones.push(cone);
      const read = (name: string): NdArray => {
        const a = cone.get(name) ?? cur.acts[s]!.get(name);
        if (!a) throw new Error(`bias correction: no tensor ${name} in sample ${s}`);
        return unpackTensor(a, types.get(name) ?? cur.types.get(name));
      };
      layerCos += cos01(read(conv).data as ArrayLike<number>, ref.f32(s, conv)!.data as ArrayLike<number>);
      outputsCos += weightedCos(compared.map(read), reference[s]!, rates);
    }
  } finally {
    await session.dispose();
  }
  return { cones, layerCos: layerCos / n, outputsCos: outputsCos / n };
}

/** Every sample through `module`, keeping only `names` (packed by the module's types). */
async function capture(module: Module, samples: readonly ReadonlyMap<string, NdArray>[], names: readonly string[], onSample: () => void): Promise<Map<string, NdArray>[]> {
  const session = await createSession(module);
  const types = typesOf(module);
  try {
    const acts: Map<string, NdArray>[] = [];
    for (const inputs of samples) {
      const r = await session.run(new Map(inputs), { capture: names });
      acts.push(packRun(types, new Map([...r.tensors, ...r.outputs])));
      onSample();
    }
    return acts;
  } finally {
    await session.dispose();
  }
}

/** The channel count (axis 1) of a conv result; 0 when it has no channel axis. */
function channelsOf(type: Type): number {
  return type.kind === 'tensor' && (type as TensorType).shape.length >= 2 ? (type as TensorType).shape[1]! : 0;
}
