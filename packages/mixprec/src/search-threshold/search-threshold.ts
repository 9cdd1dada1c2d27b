// search_threshold (calibration spec §5; TPU-MLIR's SearchThreshold.run_search_calitable): pick,
// for the whole network, the threshold method whose INT8 model comes closest to the float one.
//
// 1. One statistics pass (calib's runCalibration, or its cache), then the thresholds of KL, MAX,
//    Percentile9999 and MSE from those same statistics (`statistics` reuse: no second pass). KL is
//    auto-tuned when tune_num > 0 (the `_KL_tune` table); tuning cannot change the others (§4.10).
// 2. The float reference: the top module lowered at FLOAT_MAP (F16 on bm1684x; --fp_type picks
//    another) and run on the inference samples.
// 3. Per method: the INT8 model lowered with its table, run on the same samples, scored by cos
//    (mean cos01) or snr (1 − mean SNR loss); the maximum wins, the first on ties.
//
// The tables themselves are written by the caller (the CLI), from `tables`. Steps 2-3 run on the
// samples as steps (../sensitivity/scorer.ts), split over `threads` worker threads when asked; each
// score is summed from per-sample values in sample order, so it is the single-thread one exactly.
import { resolveMixFloatType, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { NO_PROGRESS, runCalibration, type CaliMethod, type CalibrationRequest, type CalibrationResult, type ProgressSink, type ThresholdRow } from '@tpu-quant/calib';
import { checkCompareLayers, parseCompareLayers } from '../run-qtable/compare-layers.js';
import { checkLowering, TopSource } from '../run-qtable/lowering.js';
import { openScorer, shardThreads, type SampleThreadOptions } from '../shards/index.js';
import type { SampleScorer, ScoreStep } from '../sensitivity/scorer.js';
import { pickBest, scoreOfSamples, type BenchmarkMethod } from './scores.js';

/** TPU-MLIR's method names, in its order (the order decides ties), and calib's methods. */
export const SEARCH_METHODS: readonly { readonly name: string; readonly method: CaliMethod }[] = [
  { name: 'KL', method: 'kl' },
  { name: 'MAX', method: 'max' },
  { name: 'Percentile9999', method: 'percentile9999' },
  { name: 'MSE', method: 'mse' },
];

export interface SearchThresholdOptions extends SampleThreadOptions {
  /** The top module with its weights; not modified. */
  readonly module: Module;
  readonly chip: string;
  /** The calibration run (samples, tune samples, tune_num, bins, cache, ...) without module and method. */
  readonly calibration: Omit<CalibrationRequest, 'module' | 'method' | 'statistics'>;
  /** Network inputs of the first min(input_num, inference_num) samples. */
  readonly inferenceSamples: readonly ReadonlyMap<string, NdArray>[];
  readonly benchmarkMethod?: BenchmarkMethod;
  /** The float reference's type: `auto` (FLOAT_MAP) or a float type the chip mixes. */
  readonly fpType?: string;
  /** `--global_compare_layers`: compare these tensors instead of the outputs. */
  readonly globalCompareLayers?: string;
  readonly log?: (line: string) => void;
  readonly progress?: ProgressSink;
}

export interface MethodTable {
  /** TPU-MLIR's name: KL, MAX, Percentile9999, MSE. */
  readonly name: string;
  readonly method: CaliMethod;
  /** The untuned thresholds (`<table>_<M>.1`). */
  readonly rows: ThresholdRow[];
  /** KL with tune_num > 0: the tuned thresholds (`<table>_KL_tune`). */
  readonly tunedRows?: ThresholdRow[];
  /** What was lowered and scored: tunedRows when there are any, else rows. */
  readonly scoredRows: ThresholdRow[];
  readonly score: number;
}

export interface SearchThresholdResult {
  readonly tables: MethodTable[];
  readonly winner: MethodTable;
  readonly benchmarkMethod: BenchmarkMethod;
  readonly referenceMode: string;
  readonly inferenceNumber: number;
  /** The statistics run (KL, untuned): sample number, warnings, timings, cache. */
  readonly calibration: CalibrationResult;
  readonly tuneNumber?: number;
  /** Times of work on worker threads are summed over them. */
  readonly stats: { readonly calibrationMs: number; readonly referenceMs: number; readonly int8Ms: number; readonly lowerMs: number; readonly threads: number };
}

export async function searchThreshold(opts: SearchThresholdOptions): Promise<SearchThresholdResult> {
  const log = opts.log ?? (() => {});
  const progress = opts.progress ?? NO_PROGRESS;
  const chip = checkLowering(opts.chip).name;
  const benchmarkMethod = opts.benchmarkMethod ?? 'cos';
  const referenceMode = resolveMixFloatType(chip, opts.fpType ?? 'auto');
  const compare = parseCompareLayers(opts.globalCompareLayers);
  if (compare) checkCompareLayers(opts.module, compare);
  const n = opts.inferenceSamples.length;
  if (n === 0) throw new UserError('E_DATA', 'search_threshold has no inference samples', 'give --inference_num of at least 1 and samples in --dataset / --data_list');
  const threads = shardThreads(opts.threads, opts.workerSetup, n, 'search_threshold');
  const stats = { calibrationMs: 0, referenceMs: 0, int8Ms: 0, lowerMs: 0, threads };
  log(`Quantization threshold calculation method: [${SEARCH_METHODS.map((m) => `'${m.name}'`).join(', ')}]`);

  // step 1: one statistics pass, four methods
  let t = performance.now();
  const req = { ...opts.calibration, module: opts.module };
  const first = await runCalibration({ ...req, method: 'kl', tuneNum: 0 });
  const untuned = async (method: CaliMethod): Promise<ThresholdRow[]> =>
    method === 'kl' ? first.rows : (await runCalibration({ ...req, method, tuneNum: 0, statistics: first.summaries, progress })).rows;
  const tuneNum = opts.calibration.tuneNum;
  const tables: Omit<MethodTable, 'score'>[] = [];
  let tuneNumber: number | undefined;
  for (const m of SEARCH_METHODS) {
    const rows = await untuned(m.method);
    let tunedRows: ThresholdRow[] | undefined;
    if (m.method === 'kl' && tuneNum > 0) {
      const tuned = await runCalibration({ ...req, method: 'kl', statistics: first.summaries });
      tunedRows = tuned.rows;
      tuneNumber = tuned.tuneNumber;
    }
    tables.push({ name: m.name, method: m.method, rows, ...(tunedRows ? { tunedRows } : {}), scoredRows: tunedRows ?? rows });
  }
  stats.calibrationMs = performance.now() - t;

  // step 2: the float reference
  const scorer = openScorer({
    module: opts.module, source: new TopSource(opts.module), chip, samples: opts.inferenceSamples, threads, setup: opts.workerSetup ?? [], label: 'a search_threshold thread',
    ...(opts.globalCompareLayers !== undefined ? { globalCompareLayers: opts.globalCompareLayers } : {}),
  });
  let scored: MethodTable[];
  try {
    scored = await scoreMethods(scorer, tables, { referenceMode, benchmarkMethod, n, stats, log, progress });
  } finally {
    await scorer.close();
  }
  const winner = pickBest(scored);
  log(`${benchmarkMethod} similarity scores: {${scored.map((s) => `'${s.name}': ${s.score}`).join(', ')}}`);
  log(`optimal_method_name: ${winner.name}, optimal_value: ${winner.score}`);
  log('success');
  return { tables: scored, winner, benchmarkMethod, referenceMode, inferenceNumber: n, calibration: first, ...(tuneNumber !== undefined ? { tuneNumber } : {}), stats };
}

/** Steps 2-3: the float reference, then each method's INT8 model scored against it. */
async function scoreMethods(
  scorer: SampleScorer, tables: readonly Omit<MethodTable, 'score'>[],
  c: { readonly referenceMode: string; readonly benchmarkMethod: BenchmarkMethod; readonly n: number; readonly stats: { referenceMs: number; int8Ms: number; lowerMs: number }; readonly log: (line: string) => void; readonly progress: ProgressSink },
): Promise<MethodTable[]> {
  const run = async (label: string, step: ScoreStep): Promise<number[]> => {
    c.progress.start(label, c.n, 'samples');
    const r = await scorer.run(step, (k) => c.progress.tick(k));
    c.progress.end();
    c.stats.lowerMs += r.lowerMs;
    return r.cos;
  };
  let t = performance.now();
  c.log(`run float mode: ${c.referenceMode}`);
  await run(`float reference (${c.referenceMode})`, { kind: 'outputs-reference', mode: c.referenceMode });
  c.stats.referenceMs = performance.now() - t;
  t = performance.now();
  const scored: MethodTable[] = [];
  for (const table of tables) {
    c.log(`run int8 mode: ${table.name}${table.tunedRows ? ' (tuned)' : ''}`);
    const values = await run(`INT8 model, ${table.name}`, { kind: 'outputs-score', req: { mode: 'INT8', calibration: { rows: table.scoredRows } }, metric: c.benchmarkMethod });
    scored.push({ ...table, score: scoreOfSamples(c.benchmarkMethod, values) });
  }
  c.stats.int8Ms = performance.now() - t;
  return scored;
}
