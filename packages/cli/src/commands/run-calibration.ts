// `run_calibration`: calibration tables the way TPU-MLIR's python/tools/run_calibration.py writes
// them (spec/calibration.md §1): sample selection, shape-op detection, optional weight
// equalization, one statistics pass (cached), the threshold method, auto-tune, the table, and the
// pattern qtable (§10.2).
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  equalizeWeights, formatCaliTable, formatQtable, matchPattern, parseDebugCmd, resolveMethod, runCalibration,
  selectSamples, type CalibrationRequest, type CalibrationResult, type TensorSummary,
} from '@tpu-quant/calib';
import { atomicWriteFile, findTarget, listTargets, UserError, type Module } from '@tpu-quant/ir';
import { assertNotInput, parseCosFlag, parseInteger, parseNonNegative } from '../flags.js';
import { loadMlirModule } from '../model-files.js';
import { progressBar } from '../progress.js';
import { VERSION } from '../version.js';
import { biasCorrectModel, parseSampleNum } from './bias-correction.js';
import { checkSearchThresholdFlags, checkSearchValue, searchThresholdTables } from './search-threshold.js';
import { searchQtableCommand, type SearchQtableFlags } from './search-qtable.js';
import { searchThreads } from './sensitivity-common.js';
import { qtableFloatMode, writeShapeOpsFile } from './shape-ops-file.js';
import { writeWeightVariant } from './weight-variant.js';


interface CalibrationFlags {
  dataset?: string;
  data_list?: string;
  input_num: string;
  tune_list?: string;
  tune_num: string;
  histogram_bin_num: string;
  cali_method: string;
  debug_cmd: string;
  processor?: string;
  chip?: string;
  fp_type: string;
  calibration_table: string;
  we?: boolean;
  bc?: boolean;
  search: string;
  global_compare_layers?: string;
  part_asymmetric?: boolean;
  part_quantize?: string[] | boolean;
  custom_operator?: string[];
  kurtosis_analysis?: boolean;
  debug_log?: boolean;
  no_cache?: boolean;
  backend: string;
  threads?: string;
}

export function registerRunCalibration(program: Command): void {
  program
    .command('run_calibration')
    .description('compute a calibration table from sample inputs (TPU-MLIR run_calibration)')
    .argument('<mlir_file>', 'top-dialect f32 .mlir (its weight npz beside it)')
    .requiredOption('-o, --calibration_table <file>', 'output calibration table')
    .option('--dataset <dir>', 'directory of samples (images, .npz or .npy), searched recursively')
    .option('--data_list <file>', 'text file, one sample per line (comma-separated per input); wins over --dataset')
    .option('--input_num <n>', 'samples used for calibration (0 = all)', '0')
    .option('--tune_list <file>', 'separate sample list for auto-tune (sets --tune_num to its length)')
    .option('--tune_num <n>', 'samples used by auto-tune (0 = no tuning)', '5')
    .option('--histogram_bin_num <n>', 'initial histogram bins for KLD', '2048')
    .option('--cali_method <m>', `use_kl, use_mse, use_max, use_percentile9999, use_aciq_gauss, use_aciq_laplace (or without use_)`, 'use_kl')
    .option('--debug_cmd <cmds>', 'TPU-MLIR debug keys, e.g. "use_torch_observer_for_cali;int4;tune_steps=21"', '')
    .option('--processor <name>', 'target processor (decides the float type of the shape-op table; default bm1684x)')
    .option('--chip <name>', 'the older name of --processor')
    .option('--fp_type <t>', 'float type written to the shape-op table: auto, F16, F32, BF16', 'auto')
    .option('--we', 'cross-layer weight equalization first (writes a new weight npz and mlir; the input stays as it is)')
    .option('--bc', 'bias correction after calibration (on the lowered INT8 model; writes NAME_bc_weight.npz + NAME_bc.mlir, then calibrates again on them)')
    .option('--search <s>', 'search_threshold: KL, MAX, Percentile9999 and MSE tables from one statistics pass, the best INT8 model\'s table wins; search_qtable: the layers to keep float, ranked by per-layer sensitivity (needs --quantize_table)', 'False')
    .option('--benchmark_method <m>', 'search_threshold: score by cos (mean cos01 of the outputs) or snr', 'cos')
    .option('--part_asymmetric', 'asymmetric ranges for SiLU/GELU ops feeding only Conv/MatMul (percentile min/max; the table lists them under #asym_op)')
    .option('--part_quantize [types...]', 'when no model pattern matches, write a qtable keeping every op float but Conv/MatMul (+ listed types); or N_mode, H_mode, custom_mode')
    .option('--custom_operator <types...>', 'the quantized op types of --part_quantize custom_mode (e.g. Conv MatMul Add)')
    .option('--inference_num <n>', 'samples the searches run (the first min(input_num, inference_num))', '30')
    .option('--bc_inference_num <n>', 'samples bias correction runs (the first ones)', '30')
    .option('--expected_cos <v>', 'bias correction (and searches) stop when the outputs reach this cos01', '0.99')
    .option('--min_layer_cos <v>', 'bias correction: convs below this cos01 against the float reference are corrected', '0.99')
    .option('--max_float_layers <n>', 'search_qtable: float layers to keep (raised to #layers // 8 when expected_cos is not reached)', '5')
    .option('--quantize_method_list <list>', 'search_qtable: threshold methods tried per layer, from KL, MSE, MAX, Percentile9999', 'MSE')
    .option('--quantize_table <file>', 'search_qtable: the qtable it writes')
    .option('--transformer <bool>', 'search_qtable: True leaves Reshape, LayerNorm, Unsqueeze, Gather, Slice, MulConst and Concat out of the search', 'False')
    .option('--global_compare_layers <names>', 'the searches and --bc: compare these tensors instead of the outputs: "a,b" or "a:0.3,b:0.7"', '')
    .option('--kurtosis_analysis', 'also write kurtosis_analysis beside the table')
    .option('--debug_log', 'print per-tensor details while running')
    .option('--no_cache', 'do not read or write the statistics cache (.tpu-quant-cache beside the table)')
    .option('--backend <name>', 'executor backend of the statistics pass: wasm, js, or ort (onnxruntime-node, when installed)', 'wasm')
    .option('--threads <n>', 'threads for the model runs: the statistics pass (default 1), auto-tune (this thread included; default: the cores from 4 cores on, else 1), and --search search_qtable / search_threshold and --bc, which split their samples over them (default: the cores, at most one per sample; 1: no worker thread)')
    .action(async (mlirFile: string, flags: CalibrationFlags) => {
      await runCalibrationCommand(mlirFile, flags);
    });
}

async function runCalibrationCommand(mlirFile: string, flags: CalibrationFlags): Promise<void> {
  const t0 = performance.now();
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const debug = flags.debug_log ? out : () => {};
  checkSearchValue(flags.search);
  if (flags.search === 'search_qtable') return searchQtableCommand(mlirFile, flags as CalibrationFlags & SearchQtableFlags);
  const searchThreshold = flags.search === 'search_threshold';
  if (searchThreshold) checkSearchThresholdFlags(flags);
  const extra = flags as CalibrationFlags & { bc_inference_num?: string; expected_cos?: string; min_layer_cos?: string };
  const bc = flags.bc
    ? {
      sampleNum: parseSampleNum(extra.bc_inference_num ?? '30', 'bc_inference_num'), expectedCos: parseCosFlag(extra.expected_cos ?? '0.99', 'expected_cos'), minLayerCos: parseCosFlag(extra.min_layer_cos ?? '0.99', 'min_layer_cos'),
      threads: searchThreads(flags.threads),
    }
    : undefined;
  const partQuantize = flags.part_quantize === undefined ? undefined : flags.part_quantize === true ? [] : (flags.part_quantize as string[]);
  if (partQuantize?.length === 1 && partQuantize[0] === 'custom_mode' && !flags.custom_operator?.length) {
    throw new UserError('E_BAD_FLAG', '--part_quantize custom_mode needs the op types to quantize', 'add --custom_operator, e.g. --custom_operator Conv MatMul Add');
  }
  if (!flags.dataset && !flags.data_list) {
    throw new UserError('E_NO_DATA', 'run_calibration needs samples', 'give --dataset DIR or --data_list FILE');
  }
  const inputNum = parseNonNegative(flags.input_num, 'input_num', 100);
  let tuneNum = parseNonNegative(flags.tune_num, 'tune_num', 100);
  const binNum = parseInteger(flags.histogram_bin_num, 'histogram_bin_num');
  if (binNum < 2) throw new UserError('E_BAD_FLAG', `--histogram_bin_num ${binNum} is too small`, 'the default is 2048');
  const debugCmd = parseDebugCmd(flags.debug_cmd);
  const method = resolveMethod(flags.cali_method, debugCmd);
  if (debugCmd.has('fp8')) notYet('debug_cmd fp8', 'fp8 tables are not implemented yet');
  // spec §4.10: the key in debug_cmd turns tuning off whichever method wins
  const noTune = debugCmd.has('use_percentile9999');
  const processor = (flags.processor ?? flags.chip ?? 'bm1684x').toLowerCase();
  const target = findTarget(processor);
  if (!target) {
    throw new UserError('E_PROCESSOR', `unknown processor ${processor}`, `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  }
  const backend = flags.backend;
  if (backend !== 'wasm' && backend !== 'js' && backend !== 'ort') throw new UserError('E_BAD_FLAG', `--backend ${backend} is not available for calibration`, 'use wasm, js or ort');
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, 'threads');
  if ((searchThreshold || bc) && !target.lower) {
    throw new UserError('E_NOT_AVAILABLE', `${searchThreshold ? '--search search_threshold' : '--bc'} on ${processor} is not available: nothing lowers to ${processor}`, `give --chip (or --processor) with a lowering: ${listTargets().filter((t) => t.lower).map((t) => t.name).join(', ')}`);
  }
  if (searchThreshold && (debugCmd.has('int4') || flags.part_asymmetric)) {
    throw new UserError('E_NOT_AVAILABLE', `--search search_threshold with ${debugCmd.has('int4') ? 'debug_cmd int4' : '--part_asymmetric'} is not available`, 'run the search without it');
  }

  const table = flags.calibration_table;
  assertNotInput(table, [mlirFile, ...(flags.data_list ? [flags.data_list] : [])], 'calibration_table');
  const outDir = dirname(resolve(table));
  let module = await loadMlirModule(mlirFile);
  const name = module.name ?? basename(mlirFile, extname(mlirFile));

  const samples = await selectSamples({ dataset: flags.dataset, dataList: flags.data_list, inputNum });
  // spec §1.2: the tune list is selected with num = --tune_num (0 = all), then tune_num := its length
  const tuneSamples = flags.tune_list ? await selectSamples({ dataList: flags.tune_list, inputNum: tuneNum }) : undefined;
  if (tuneSamples) tuneNum = tuneSamples.entries.length;
  if (noTune) tuneNum = 0;
  for (const w of [...(samples.warnings ?? []), ...(tuneSamples?.warnings ?? [])]) process.stderr.write(`warning: ${w}\n`);
  out(`run_calibration: ${mlirFile}, ${samples.entries.length} ${samples.kind} samples, method ${method}${tuneNum > 0 ? `, tune ${tuneNum}` : ''}`);

  // spec §10.1: the shape-op table is always written, beside the calibration table
  const mode = qtableFloatMode(processor, flags.fp_type);
  const { file: shapeOpsFile, count: shapeOpsCount } = await writeShapeOpsFile(module, { mlirFile, outDir, chip: processor, fpType: flags.fp_type });

  if (flags.we) module = await equalize(module, mlirFile, outDir, name, out);

  const request: Omit<CalibrationRequest, 'module'> = {
    samples,
    tuneSamples,
    tuneNum,
    method,
    histogramBinNum: binNum,
    int4: debugCmd.has('int4'),
    partAsymmetric: flags.part_asymmetric === true,
    cacheDir: flags.no_cache ? undefined : join(outDir, '.tpu-quant-cache'),
    backend,
    threads,
    progress: progressBar(),
    log: debug,
  };
  // spec §1.2 b: calibration (or search_threshold) and the table; again after bias correction (c)
  let tw = 0;
  let tableMethod: string = method;
  const calibrate = async (m: Module, mlirPath = mlirFile): Promise<{ result: CalibrationResult; rows: CalibrationResult['rows']; asymOps?: readonly string[] }> => {
    if (searchThreshold) {
      const found = await searchThresholdTables(flags, { module: m, mlirFile: mlirPath, chip: processor, outDir, samples, request, out });
      tableMethod = `search_threshold: ${found.method}`;
      tw = performance.now();
      return found;
    }
    const result = await runCalibration({ ...request, module: m });
    for (const w of result.warnings) out(w);
    if (result.asymOps) out(`part_asymmetric: ${result.asymOps.length} names under #asym_op (SiLU/GELU ops and their Conv/MatMul consumers)`);
    if (flags.debug_log) for (const r of result.rows) debug(`${r.name} threshold ${r.threshold} min ${r.min} max ${r.max}`);

    tw = performance.now();
    const text = formatCaliTable(
      { mlirVersion: `tpu-quant ${VERSION}`, mlirPath, time: new Date(), histogramBins: binNum, sampleNumber: result.sampleNumber, tuneNumber: result.tuneNumber },
      result.rows,
      // TPU-MLIR writes #asym_op into the tuned table only; we write it whenever the flag is given,
      // so an untuned table deploys with its asymmetric ops too
      { int4Rows: result.int4Rows, ...(result.asymOps ? { asymOps: result.asymOps } : {}) },
    );
    await atomicWriteFile(table, text);
    return { result, rows: result.rows, ...(result.asymOps ? { asymOps: result.asymOps } : {}) };
  };
  let { result, rows: tableRows, asymOps } = await calibrate(module);
  if (bc) {
    const corrected = await biasCorrectModel({ module, mlirFile, name, chip: processor, outDir, samples, ...bc, rows: tableRows, ...(asymOps ? { asymOps } : {}), ...(flags.global_compare_layers ? { globalCompareLayers: flags.global_compare_layers } : {}), out });
    if (corrected) {
      out(`calibrating again on the bias-corrected weights (${corrected})`);
      ({ result, rows: tableRows, asymOps } = await calibrate(module, corrected));
    }
  }
  if (flags.kurtosis_analysis) await writeKurtosis(join(outDir, 'kurtosis_analysis'), result.summaries);
  // spec §10.2: the pattern qtable, beside the table (TPU-MLIR: the table's directory, else the CWD)
  const pattern = matchPattern(module, { partQuantize, customOperators: flags.custom_operator });
  if (pattern) {
    const qtableFile = join(outDir, 'qtable');
    const head = { time: new Date(), chip: processor, mode, partQuantize: pattern.partQuantize };
    await atomicWriteFile(qtableFile, formatQtable(head, pattern.floatOps.map((n) => ({ name: n, mode }))));
    const what = pattern.block
      ? `${pattern.block} x${pattern.count}${pattern.post ? `, ${pattern.post.name} post-processing x${pattern.post.count}` : ''}`
      : 'part_quantize';
    out(`pattern qtable (${what}): ${pattern.floatOps.length} ${mode} ops -> ${qtableFile}`);
  }
  const writeMs = performance.now() - tw;
  printSummary(out, result, { method: tableMethod, table, shapeOpsFile, shapeOps: shapeOpsCount, totalMs: performance.now() - t0, writeMs });
}

function notYet(what: string, why: string): never {
  throw new UserError('E_NOT_AVAILABLE', `${what} is not available yet: ${why}`, 'run without it; it arrives with the INT8 lowering and mixed-precision tools');
}


/** --we: TPU-MLIR overwrites the weight npz; we write NAME_we_weight.npz + NAME_we.mlir and calibrate those. */
async function equalize(module: Module, mlirFile: string, outDir: string, name: string, out: (s: string) => void): Promise<Module> {
  const { weights, pairs } = equalizeWeights(module, out);
  const f = await writeWeightVariant(module, weights, { mlirFile, outDir, name, tag: 'we' });
  out(`weight equalization: ${pairs.length} conv pairs; wrote ${f.mlir} and ${f.npz} (the input model is unchanged; deploy ${f.mlir})`);
  return module;
}

/** spec §11.4: tensors by mean per-sample kurtosis, highest first; LayerNorm and Softmax left out. */
async function writeKurtosis(path: string, summaries: readonly TensorSummary[]): Promise<void> {
  const rows = summaries
    .filter((s) => s.info.opType !== 'top.LayerNorm' && s.info.opType !== 'top.Softmax')
    .sort((a, b) => b.kurtosis - a.kurtosis)
    .map((s) => `${s.info.name}  ${s.kurtosis.toFixed(7)}  ${s.info.opType}`);
  await atomicWriteFile(path, `# op_name   kurtosis   op_type\n${rows.map((r) => `${r}\n`).join('')}`);
}

function printSummary(
  out: (s: string) => void,
  r: CalibrationResult,
  o: { method: string; table: string; shapeOpsFile: string; shapeOps: number; totalMs: number; writeMs: number },
): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const t = r.timings;
  // TPU-MLIR writes the tune number for every method; only some can change under tuning (§4.10)
  const tuned = !r.tuneNumber ? '' : r.timings.tuneMs > 0 ? `, tuned on ${r.tuneNumber} samples` : `, tune number ${r.tuneNumber} (tuning cannot change ${o.method} thresholds)`;
  out(`calibration table: ${o.table} (${r.rows.length} tensors, method ${o.method}${tuned})`);
  out(`shape ops: ${o.shapeOps} -> ${o.shapeOpsFile}`);
  out(`samples: ${r.sampleNumber}${r.fromCache ? ' (statistics from cache)' : ''}`);
  out(
    `time: ${s(o.totalMs)} total; data wait ${s(t.dataMs)}, inference ${s(t.inferenceMs)}, statistics ${s(t.statisticsMs)} (+${s(t.statisticsThreadMs)} on its thread), ` +
      `thresholds ${s(t.thresholdMs)}, tune ${s(t.tuneMs)}, cache ${s(t.cacheMs)}, write ${s(o.writeMs)}`,
  );
}

