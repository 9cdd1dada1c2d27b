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
import { resolveMixFloatType, UserError, type Module, type NdArray, type TensorType } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { NO_PROGRESS, type ProgressSink } from '@tpu-quant/calib';
import { ancestorsOf, checkCompareLayers, parseCompareLayers } from './compare-layers.js';
import { checkLowering, lowerFresh, TopSource, type Calibration } from './lowering.js';
import { changedOps, consumerNames, ModelCache, runAll, runPacked, typesOf } from './model-state.js';
import { cos01, weightedCos } from './similarity.js';
import { unpackTensor } from './tensor-store.js';

export interface RunQtableOptions {
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
  readonly stats: { readonly lowerings: number; readonly lowerMs: number; readonly suffixMs: number; readonly referenceMs: number; readonly int8Ms: number; readonly searchMs: number };
}

export async function runQtable(opts: RunQtableOptions): Promise<RunQtableResult> {
  const log = opts.log ?? (() => {});
  const progress = opts.progress ?? NO_PROGRESS;
  const expectedCos = opts.expectedCos ?? 0.99;
  const minLayerCos = opts.minLayerCos ?? 0.99;
  const chip = checkLowering(opts.chip).name;
  const mixMode = resolveMixFloatType(chip, opts.fpType);
  const referenceMode = resolveMixFloatType(chip, 'auto');
  if (opts.samples.length === 0) throw new UserError('E_DATA', 'run_qtable has no samples', 'give --dataset or --data_list with at least one sample');
  const compare = parseCompareLayers(opts.globalCompareLayers);
  if (compare) checkCompareLayers(opts.module, compare);
  const searchable = compare ? ancestorsOf(opts.module, compare.names) : undefined;
  const n = opts.samples.length;
  const source = new TopSource(opts.module);
  const stats = { lowerings: 0, lowerMs: 0, suffixMs: 0, referenceMs: 0, int8Ms: 0, searchMs: 0 };
  const lower = (req: Parameters<typeof lowerFresh>[2]): Module => {
    const t = performance.now();
    const m = lowerFresh(source, chip, req);
    stats.lowerings++;
    stats.lowerMs += performance.now() - t;
    return m;
  };

  // step 2: the float reference and the INT8 model, every activation cached
  let t = performance.now();
  log(`run float mode: ${referenceMode}`);
  const floatModel = lower({ mode: referenceMode });
  progress.start(`float reference (${referenceMode})`, n, 'samples');
  const ref = new ModelCache(floatModel, await runAll(floatModel, opts.samples, () => progress.tick()));
  progress.end();
  stats.referenceMs = performance.now() - t;
  t = performance.now();
  log('run int8 mode: INT8');
  const int8Model = lower({ mode: 'INT8', calibration: opts.calibration });
  progress.start('INT8 model', n, 'samples');
  const cur = new ModelCache(int8Model, await runAll(int8Model, opts.samples, () => progress.tick()));
  progress.end();
  stats.int8Ms = performance.now() - t;

  const compared = (c: ModelCache, s: number, cone?: ReadonlyMap<string, NdArray>, types = c.types): NdArray[] => {
    if (!compare) return c.module.main.outputs.map((v) => tensorF32(v.name ?? '', s, c, cone, types));
    return compare.names.map((name) => tensorF32(name, s, c, cone, types));
  };
  const reference = Array.from({ length: n }, (_, s) => (compare ? compare.names.map((name) => ref.f32(s, name)!) : ref.outputs(s)));
  const rates = compare?.rates;
  let allInt8Cos = 0;
  for (let s = 0; s < n; s++) allInt8Cos += weightedCos(compared(cur, s), reference[s]!, rates);
  allInt8Cos /= n;
  log(`all_int8_cos=${allInt8Cos}`);
  const base = { mixMode, referenceMode, sampleNumber: n, allInt8Cos, stats };
  if (allInt8Cos > expectedCos) {
    log(`job success, current int8 cos:${allInt8Cos} is higher than expected_cos:${expectedCos},no need for mix precsion`);
    return { ...base, outcome: 'no-need', mixCos: allInt8Cos, floatLayers: [], layerCos: [], maxFloatLayers: 0 };
  }

  // step 3: the walk
  t = performance.now();
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
    let cos = 0;
    for (let s = 0; s < n; s++) {
      const a = cur.f32(s, name);
      const b = ref.f32(s, name);
      if (!a || !b) throw new Error(`run_qtable: tensor ${name} is missing from the ${a ? 'float' : 'INT8'} model's activations`);
      cos += cos01(a.data as ArrayLike<number>, b.data as ArrayLike<number>);
    }
    cos /= n;
    layerCos.push([name, cos]);
    if (cos >= minLayerCos) continue;

    const next = topConsumers.get(name) ?? [];
    floatList.push(name, ...next);
    log(`layer ${name} cos:${cos.toFixed(6)} < min_layer_cos, set ${mixMode} to ${[name, ...next].join(',')}`);
    const mixed = lower({ mode: 'INT8', calibration: opts.calibration, quantizeTable: new Map(floatList.map((l) => [l, mixMode])) });
    const ts = performance.now();
    const roots = changedOps(mixed, cur.sigs);
    const session = await createSession(mixed);
    const mixedTypes = typesOf(mixed);
    const cones: Map<string, NdArray>[] = [];
    let outputsCos = 0;
    try {
      for (let s = 0; s < n; s++) {
        const cone = roots.length > 0 ? await runPacked(session, mixedTypes, { roots, cached: cur.acts[s]! }) : new Map<string, NdArray>();
        cones.push(cone);
        const outs = compare ? compare.names : mixed.main.outputs.map((v) => v.name ?? '');
        const test = outs.map((o) => tensorF32(o, s, cur, cone, mixedTypes));
        outputsCos += weightedCos(test, reference[s]!, rates);
      }
    } finally {
      await session.dispose();
    }
    outputsCos /= n;
    stats.suffixMs += performance.now() - ts;
    log(`current output cos:${outputsCos.toFixed(6)} (${roots.length} ops re-run from)`);
    if (outputsCos > expectedCos) {
      cur.adopt(mixed, cones);
      mixCos = outputsCos;
      outcome = 'success';
      log(`job success, current cos is higher than expected_cos:${expectedCos}`);
      break;
    }
    if (floatList.length > maxFloatLayers) {
      mixCos = outputsCos;
      outcome = 'fail';
      log(`job fail, the number of layers of ${mixMode} exceeded the maximum`);
      break;
    }
    if (outputsCos < allInt8Cos) {
      floatList.splice(floatList.length - next.length - 1, next.length + 1);
      log(`meet outputs_cos:${outputsCos.toFixed(6)} < all_int8_cos:${allInt8Cos.toFixed(6)}, ${name} reverted`);
      continue;
    }
    cur.adopt(mixed, cones);
    mixCos = outputsCos;
  }
  progress.end();
  stats.searchMs = performance.now() - t;
  const floatLayers = [...new Set(floatList)];
  return { ...base, outcome, mixCos, floatLayers, layerCos, maxFloatLayers };
}

/** Tensor `name` of sample `s` as f32: from the cone run when it has it, else from the cache. */
function tensorF32(name: string, s: number, c: ModelCache, cone: ReadonlyMap<string, NdArray> | undefined, types: ReadonlyMap<string, TensorType>): NdArray {
  const a = cone?.get(name) ?? c.acts[s]!.get(name);
  if (!a) throw new Error(`run_qtable: no tensor ${name} in sample ${s}`);
  return unpackTensor(a, types.get(name) ?? c.types.get(name));
}
