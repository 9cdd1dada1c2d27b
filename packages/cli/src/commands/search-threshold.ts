// `run_calibration --search search_threshold` (calibration spec §5): the thresholds of KL, MAX,
// Percentile9999 and MSE from one statistics pass, each method's INT8 model scored against the
// float reference, the best table written to -o. Files, as TPU-MLIR names them, beside -o:
// `<table>_<M>.1` (untuned; `<table>_<M>` when tune_num is 0), `<table>_KL_tune` (tuned KL), and
// the log `Search_Threshold` (TPU-MLIR: the working directory).
//
// Fixed on purpose: with tune_num 0 TPU-MLIR writes `<table>_<M>` but then reads `<table>_KL_tune`
// and `<table>_<M>.1`, which do not exist (it crashes); we score the tables it wrote.
import { join } from 'node:path';
import { calibrationData, formatCaliTable, type CalibrationRequest, type CalibrationResult, type SampleList, type ThresholdRow } from '@tpu-quant/calib';
import { atomicWriteFile, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { parseBenchmarkMethod, searchThreshold } from '@tpu-quant/mixprec';
import { parseInteger } from '../flags.js';
import { progressBar } from '../progress.js';
import { VERSION } from '../version.js';
import { threadsNote } from './bias-correction.js';
import { searchThreads, searchWorkerSetup } from './sensitivity-common.js';

/** The `--search` values run_calibration knows (`False` = plain calibration). */
export const SEARCH_VALUES = ['False', 'search_threshold', 'search_qtable'] as const;

export function checkSearchValue(v: string): void {
  if (!(SEARCH_VALUES as readonly string[]).includes(v)) {
    throw new UserError('E_BAD_FLAG', `--search ${v} is not a search`, `use ${SEARCH_VALUES.filter((s) => s !== 'False').join(' or ')} (or leave --search out)`);
  }
}

export interface SearchThresholdFlags {
  readonly calibration_table: string;
  readonly inference_num?: string;
  readonly benchmark_method?: string;
  readonly fp_type?: string;
  readonly input_num?: string;
  readonly global_compare_layers?: string;
  /** The model runs split their samples over this many worker threads (default the cores). */
  readonly threads?: string;
}

export interface SearchThresholdContext {
  readonly module: Module;
  readonly mlirFile: string;
  readonly chip: string;
  readonly outDir: string;
  readonly samples: SampleList;
  /** The calibration request without module and method (as run_calibration builds it). */
  readonly request: Omit<CalibrationRequest, 'module' | 'method'>;
  readonly out: (s: string) => void;
}

/** Refused before any sample is read. */
export function checkSearchThresholdFlags(flags: SearchThresholdFlags): void {
  parseBenchmarkMethod(flags.benchmark_method);
  inferenceNum(flags);
  searchThreads(flags.threads);
}

function inferenceNum(flags: SearchThresholdFlags): number {
  const n = parseInteger(flags.inference_num ?? '30', 'inference_num');
  if (n < 1) throw new UserError('E_BAD_FLAG', `--inference_num ${flags.inference_num} must be at least 1`, 'the default is 30');
  return n;
}

/** Runs the search, writes every table and the log; returns the statistics run and the winning rows. */
export async function searchThresholdTables(flags: SearchThresholdFlags, ctx: SearchThresholdContext): Promise<{ result: CalibrationResult; rows: ThresholdRow[]; method: string }> {
  const lines: string[] = [];
  const info = (s: string): void => {
    lines.push(`INFO:root:${s}`);
    ctx.out(s);
  };
  const benchmarkMethod = parseBenchmarkMethod(flags.benchmark_method);
  // spec §5 step 1: the first min(input_num, inference_num) samples (input_num 0 = all)
  const inputNum = parseInteger(flags.input_num ?? '0', 'input_num');
  const limit = inputNum > 0 ? Math.min(inputNum, inferenceNum(flags)) : inferenceNum(flags);
  const inference: Map<string, NdArray>[] = [];
  for await (const s of calibrationData(ctx.samples, ctx.module, { limit }).samples()) inference.push(s);
  info(`search_threshold: ${inference.length} inference samples, benchmark ${benchmarkMethod}, chip ${ctx.chip}`);

  const r = await searchThreshold({
    module: ctx.module,
    chip: ctx.chip,
    calibration: ctx.request,
    inferenceSamples: inference,
    benchmarkMethod,
    fpType: flags.fp_type ?? 'auto',
    ...(flags.global_compare_layers ? { globalCompareLayers: flags.global_compare_layers } : {}),
    threads: searchThreads(flags.threads),
    workerSetup: searchWorkerSetup(),
    log: info,
    progress: progressBar(),
  });
  const table = flags.calibration_table;
  const tuned = ctx.request.tuneNum > 0;
  const head = { mlirVersion: `tpu-quant ${VERSION}`, mlirPath: ctx.mlirFile, time: new Date(), histogramBins: ctx.request.histogramBinNum, sampleNumber: r.calibration.sampleNumber };
  const texts = new Map<string, string>();
  for (const t of r.tables) {
    const file = `${table}_${t.name}${tuned ? '.1' : ''}`;
    texts.set(t.name, formatCaliTable({ ...head, method: t.name }, t.rows));
    await atomicWriteFile(file, texts.get(t.name)!);
    if (t.tunedRows) {
      const text = formatCaliTable({ ...head, method: t.name, tuneNumber: r.tuneNumber }, t.tunedRows);
      texts.set(t.name, text);
      await atomicWriteFile(`${table}_${t.name}_tune`, text);
    }
  }
  // the winner's scored table, copied as TPU-MLIR copies it
  await atomicWriteFile(table, texts.get(r.winner.name)!);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  info(`search_threshold: ${r.winner.name} wins (${benchmarkMethod} ${r.winner.score.toFixed(6)}); wrote ${table}`);
  info(`time: calibration ${s(r.stats.calibrationMs)}, float reference ${s(r.stats.referenceMs)}, INT8 models ${s(r.stats.int8Ms)} (lowering ${s(r.stats.lowerMs)}); ${threadsNote(r.stats.threads)}`);
  await atomicWriteFile(join(ctx.outDir, 'Search_Threshold'), `${lines.join('\n')}\n`);
  return { result: r.calibration, rows: r.winner.scoredRows, method: r.winner.name };
}
