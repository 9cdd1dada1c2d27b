// What `run_calibration --search search_qtable` and `run_sensitive_layer` share (calibration spec
// §6, §8): the method list, one table per method from one statistics pass (`<table>_<M>.1` and
// `<table>_<M>_tune`, §6.1 step 2, headers §11.1), the inference samples, and the output files
// (qtable, new_cali_table.txt, the log) with the console lines of §6.1 step 10.
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  calibrationData, formatCaliTable, formatQtable, methodIsTuned, runCalibration, type CaliMethod, type ProgressSink, type SampleList, type ThresholdRow,
} from '@tpu-quant/calib';
import { atomicWriteFile, findTarget, listTargets, pyFloatRepr, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import type { MethodThresholds, SensitivitySearchResult } from '@tpu-quant/mixprec';
import { parseInteger } from '../flags.js';
import { VERSION } from '../version.js';

/** TPU-MLIR's quantize_method_list names and our methods. */
const METHODS = new Map<string, CaliMethod>([['KL', 'kl'], ['MSE', 'mse'], ['MAX', 'max'], ['Percentile9999', 'percentile9999']]);

/**
 * `--quantize_method_list` (comma list). Upstream matches the four names case-sensitively and
 * silently treats anything else as KL; we accept any case and refuse unknown names.
 */
export function parseMethodList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UserError('E_BAD_FLAG', '--quantize_method_list is empty', 'give one or more of KL, MSE, MAX, Percentile9999, e.g. KL,MSE');
  return names.map((n) => {
    const known = [...METHODS.keys()].find((k) => k.toLowerCase() === n.toLowerCase());
    if (!known) throw new UserError('E_BAD_METHOD', `--quantize_method_list: unknown method ${n}`, 'use KL, MSE, MAX or Percentile9999');
    return known;
  });
}

/** The chip, refused when unknown or when nothing lowers to it. */
export function searchChip(given: string | undefined, tool: string): string {
  if (!given) throw new UserError('E_BAD_FLAG', `${tool} needs --chip`, `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  const chip = given.toLowerCase();
  const target = findTarget(chip);
  if (!target) throw new UserError('E_PROCESSOR', `unknown processor ${given}`, `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  if (!target.lower) {
    const lowerable = listTargets().filter((t) => t.lower !== undefined).map((t) => t.name);
    throw new UserError('E_NOT_AVAILABLE', `${tool} on ${chip} is not available yet: nothing lowers to ${chip}`, `processors with a lowering: ${lowerable.join(', ')}`);
  }
  return chip;
}

/**
 * What the search's worker threads import first: the chip package, which registers its targets'
 * lowerings with ir (mixprec may not import it). Resolved from here, so it is the built package
 * under dist and its sources under tsx/vitest, as this file is.
 */
export function searchWorkerSetup(): string[] {
  return [import.meta.resolve('@tpu-quant/chip-bm168x')];
}

/** `--threads` for the search: the cores when not given (capped by the samples in the search); refused below 1 before any work. */
export function searchThreads(flag: string | undefined): number {
  if (flag === undefined) return availableParallelism();
  const n = parseInteger(flag, 'threads');
  if (n < 1) throw new UserError('E_THREADS', `threads must be a positive integer, got ${n}`, 'e.g. --threads 2 (1: no worker threads)');
  return n;
}

export interface MethodTablesRequest {
  readonly module: Module;
  readonly mlirFile: string;
  readonly samples: SampleList;
  readonly tuneSamples?: SampleList;
  readonly tuneNum: number;
  readonly histogramBinNum: number;
  readonly methods: readonly string[];
  /** Tables are written as `<prefix>_<M>.1` and `<prefix>_<M>_tune`. */
  readonly prefix: string;
  readonly cacheDir?: string;
  readonly threads?: number;
  readonly progress?: ProgressSink;
  readonly out: (line: string) => void;
}

export interface MethodTables {
  readonly methods: MethodThresholds[];
  /** Per method, the tuned table's rows and path (the `.1` one when tune_num is 0). */
  readonly rows: Map<string, ThresholdRow[]>;
  readonly files: Map<string, string>;
  readonly ms: number;
}

/**
 * One statistics pass, then each method's thresholds from it (calib's `statistics` reuse), tuned
 * when tune_num > 0 and the method can be tuned. TPU-MLIR runs a full collection per method; the
 * thresholds are the same. With tune_num 0 upstream crashes (no tuned table); we use the `.1` table.
 */
export async function methodTables(r: MethodTablesRequest): Promise<MethodTables> {
  const t0 = performance.now();
  let statistics: Parameters<typeof runCalibration>[0]['statistics'];
  const methods: MethodThresholds[] = [];
  const rows = new Map<string, ThresholdRow[]>();
  const files = new Map<string, string>();
  for (const name of r.methods) {
    const method = METHODS.get(name)!;
    const base = { module: r.module, samples: r.samples, histogramBinNum: r.histogramBinNum, method, cacheDir: r.cacheDir, threads: r.threads, progress: r.progress };
    const untuned = await runCalibration({ ...base, tuneNum: 0, ...(statistics ? { statistics } : {}) });
    statistics ??= untuned.summaries;
    const head = { mlirVersion: `tpu-quant ${VERSION}`, mlirPath: r.mlirFile, histogramBins: r.histogramBinNum, sampleNumber: untuned.sampleNumber, method: name };
    const one = `${r.prefix}_${name}.1`;
    await atomicWriteFile(one, formatCaliTable({ ...head, time: new Date() }, untuned.rows));
    let final = untuned.rows;
    let file = one;
    if (r.tuneNum > 0) {
      const tuned = methodIsTuned(method) ? await runCalibration({ ...base, tuneNum: r.tuneNum, tuneSamples: r.tuneSamples, statistics }) : untuned;
      final = tuned.rows;
      file = `${r.prefix}_${name}_tune`;
      await atomicWriteFile(file, formatCaliTable({ ...head, time: new Date(), tuneNumber: tuned.tuneNumber ?? r.tuneNum }, final));
    }
    r.out(`${name} thresholds: ${file}`);
    // spec §6.1 step 2: thresholds at or below 1e-5, or NaN, count as 1e-5
    methods.push({ name, thresholds: new Map(final.map((row) => [row.name, Number.isNaN(row.threshold) || row.threshold <= 1e-5 ? 1e-5 : row.threshold])) });
    rows.set(name, final);
    files.set(name, file);
  }
  return { methods, rows, files, ms: performance.now() - t0 };
}

/** The first `inferenceNum` samples of the list, preprocessed as calibration does. */
export async function inferenceSamples(list: SampleList, module: Module, inferenceNum: number): Promise<Map<string, NdArray>[]> {
  const data = calibrationData(list, module, { limit: inferenceNum > 0 ? inferenceNum : undefined });
  const samples: Map<string, NdArray>[] = [];
  for await (const s of data.samples()) samples.push(s);
  if (samples.length === 0) throw new UserError('E_DATA', 'the sample list gives no sample', 'give --dataset or --data_list with at least one sample');
  return samples;
}

/** `new_cali_table.txt`: the base table's header lines and rows, each searched layer at its best threshold. */
export function formatNewCaliTable(headers: readonly string[], rows: readonly ThresholdRow[], asymOps: readonly string[] | undefined): string {
  const f = (v: number) => v.toFixed(7);
  const head = headers.length > 0 ? headers : ['###', '# op_name    threshold    min    max'];
  const lines = [...head, ...rows.map((r) => `${r.name} ${f(r.threshold)} ${f(r.min)} ${f(r.max)}`)];
  if (asymOps && asymOps.length > 0) lines.push('', '#asym_op', ...asymOps);
  return `${lines.join('\n')}\n`;
}

export interface SearchOutputs {
  readonly qtableFile: string;
  readonly chip: string;
  readonly headers: readonly string[];
  readonly asymOps?: readonly string[];
  readonly info: (line: string) => void;
  readonly prepMs: number;
}

/** The files beside the qtable and the closing lines (§6.1 step 10). Returns new_cali_table.txt's path. */
export async function writeSearchOutputs(r: SensitivitySearchResult, o: SearchOutputs): Promise<string | undefined> {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const st = r.stats;
  if (r.outcome === 'no-need') return undefined;
  const outDir = dirname(resolve(o.qtableFile));
  const newTable = join(outDir, 'new_cali_table.txt');
  await atomicWriteFile(newTable, formatNewCaliTable(o.headers, r.rows, o.asymOps));
  o.info('>>>run result:');
  await atomicWriteFile(o.qtableFile, formatQtable({ time: new Date(), sampleNumber: r.sampleNumber, chip: o.chip, mode: r.mixMode }, r.floatLayers.map((name) => ({ name, mode: r.mixMode }))));
  o.info(`int8 outputs_cos:${r.allInt8Cos.toFixed(6)} old`);
  o.info(`mix model outputs_cos:${r.mixCos.toFixed(6)}`);
  o.info(`Output mix quantization table to ${o.qtableFile}`);
  o.info(`${r.floatLayers.length} ${r.mixMode} layers; per-layer thresholds in ${newTable} (deploy with it and the qtable)`);
  if (r.lastEvaluated && r.lastEvaluated.layers.join() !== r.floatLayers.join()) {
    o.info(`(TPU-MLIR would keep the last evaluated set: ${r.lastEvaluated.layers.length} layers, outputs_cos ${pyFloatRepr(r.lastEvaluated.cos)})`);
  }
  o.info(
    `time: thresholds ${s(o.prepMs)}, reference ${s(st.referenceMs)}, int8 ${s(st.int8Ms)}, baseline ${s(st.baselineMs)}, trials ${s(st.trialsMs)} ` +
      `(${st.trials} trials, ${st.reusedTrials} reused; ${st.lowerings} lowerings ${s(st.lowerMs)}, sessions ${s(st.sessionMs)}, cone runs ${s(st.coneMs)}), ` +
      `evaluations ${s(st.evaluationMs)} (${st.evaluations}); caches ${(st.baselineCacheBytes / 1e6).toFixed(0)} + ${(st.int8CacheBytes / 1e6).toFixed(0)} MB; ` +
      `${st.threads === 1 ? '1 thread' : `samples over ${st.threads} threads (times summed over them)`}`,
  );
  return newTable;
}
