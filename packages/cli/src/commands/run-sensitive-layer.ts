// `run_sensitive_layer` (calibration spec §8): the search_qtable engine with the methods
// [MAX, Percentile9999, KL], the given --calibration_table as the base, every layer of the INT8
// model searched (no float-op or transformer filter) and no budget increase. Writes the per-method
// tables `<table>_<M>.1` / `<table>_<M>_tune` (as upstream, beside the input table), the qtable,
// new_cali_table.txt and the log `SensitiveLayerSearcher` (beside the qtable).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseCaliTable, parseDebugCmd, resolveMethod, selectSamples } from '@tpu-quant/calib';
import { atomicWriteFile, resolveMixFloatType, UserError } from '@tpu-quant/ir';
import { checkCompareLayers, parseCompareLayers, runSensitivitySearch } from '@tpu-quant/mixprec';
import { assertNotInput, parseCosFlag, parseInteger, parseNonNegative } from '../flags.js';
import { loadMlirModule } from '../model-files.js';
import { progressBar } from '../progress.js';
import { inferenceSamples, methodTables, searchChip, searchThreads, searchWorkerSetup, writeSearchOutputs } from './sensitivity-common.js';

/** Upstream's fixed list (sensitive_layer.py). */
const METHODS = ['MAX', 'Percentile9999', 'KL'];

interface SensitiveFlags {
  dataset?: string;
  data_list?: string;
  input_num: string;
  inference_num: string;
  max_float_layers: string;
  tune_list?: string;
  tune_num: string;
  cali_method: string;
  expected_cos: string;
  global_compare_layers: string;
  calibration_table: string;
  chip?: string;
  processor?: string;
  fp_type: string;
  histogram_bin_num: string;
  post_process?: string;
  quantize_table: string;
  debug_cmd: string;
  no_cache?: boolean;
  threads?: string;
}

export function registerRunSensitiveLayer(program: Command): void {
  program
    .command('run_sensitive_layer')
    .description('rank layers by how much INT8 costs the outputs (MAX, Percentile9999, KL per layer) and keep the worst in float; writes a qtable (TPU-MLIR run_sensitive_layer)')
    .argument('<mlir_file>', 'top-dialect f32 .mlir (its weight npz beside it)')
    .requiredOption('--calibration_table <file>', 'the calibration table to start from (per-layer best thresholds go to new_cali_table.txt)')
    .requiredOption('-o, --quantize_table <file>', 'output qtable')
    .option('--chip <name>', 'target processor, e.g. bm1684x (required, or --processor)')
    .option('--processor <name>', 'the newer name of --chip')
    .option('--dataset <dir>', 'directory of samples (images, .npz or .npy), searched recursively')
    .option('--data_list <file>', 'text file, one sample per line (comma-separated per input); wins over --dataset')
    .option('--input_num <n>', 'samples for the per-method calibration', '10')
    .option('--inference_num <n>', 'samples the search runs (the first ones)', '10')
    .option('--max_float_layers <n>', 'float layers to keep', '5')
    .option('--tune_list <file>', 'separate sample list for auto-tune (sets --tune_num to its length)')
    .option('--tune_num <n>', 'samples used by auto-tune of the KL table (0: untuned tables)', '5')
    .option('--cali_method <m>', 'accepted as upstream (the methods tried are MAX, Percentile9999, KL)', 'use_kl')
    .option('--expected_cos <v>', 'no search when the INT8 outputs already reach this cos01', '0.99')
    .option('--global_compare_layers <names>', 'compare these tensors instead of the outputs: "a,b" or "a:0.3,b:0.7" (rates sum to 1)', '')
    .option('--fp_type <t>', 'float type of the float layers: auto (F16 on bm1684x, F32 on bm1684), F16, F32, BF16', 'auto')
    .option('--histogram_bin_num <n>', 'initial histogram bins for KLD', '2048')
    .option('--post_process <file>', 'a Python post-process script (not available)')
    .option('--debug_cmd <cmds>', 'TPU-MLIR debug keys', '')
    .option('--no_cache', 'do not read or write the statistics cache (.tpu-quant-cache beside the qtable)')
    .option('--threads <n>', 'worker threads: the search splits its samples over them (default: the cores, at most one per sample; 1: no worker thread); also the statistics pass (default 1)')
    .action(async (mlirFile: string, flags: SensitiveFlags) => {
      await runSensitiveLayerCommand(mlirFile, flags);
    });
}

async function runSensitiveLayerCommand(mlirFile: string, flags: SensitiveFlags): Promise<void> {
  const t0 = performance.now();
  const lines: string[] = [];
  const info = (s: string): void => {
    lines.push(`INFO:root:${s}`);
    process.stdout.write(`${s}\n`);
  };
  if (flags.post_process) throw new UserError('E_NOT_AVAILABLE', '--post_process is not available: it runs a Python script', 'compare other tensors with --global_compare_layers instead');
  const chip = searchChip(flags.chip ?? flags.processor, 'run_sensitive_layer');
  resolveMethod(flags.cali_method, parseDebugCmd(flags.debug_cmd));
  const inputNum = parseNonNegative(flags.input_num, 'input_num');
  const inferenceNum = parseNonNegative(flags.inference_num, 'inference_num');
  if (inferenceNum === 0) throw new UserError('E_BAD_FLAG', '--inference_num 0 leaves the search no samples', 'e.g. --inference_num 10');
  let tuneNum = parseNonNegative(flags.tune_num, 'tune_num');
  const binNum = parseInteger(flags.histogram_bin_num, 'histogram_bin_num');
  const expectedCos = parseCosFlag(flags.expected_cos, 'expected_cos');
  const maxFloatLayers = parseNonNegative(flags.max_float_layers, 'max_float_layers');
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, 'threads');
  const searchThreadCount = searchThreads(flags.threads);
  if (!flags.dataset && !flags.data_list) throw new UserError('E_NO_DATA', 'run_sensitive_layer needs samples', 'give --dataset DIR or --data_list FILE');
  const table = flags.calibration_table;
  if (!existsSync(table)) throw new UserError('E_CALIBRATION_TABLE', `calibration table ${table} does not exist`, `make one with: tpu-quant run_calibration ${mlirFile} --dataset <images> -o <table>`);
  const qtableFile = flags.quantize_table;
  assertNotInput(qtableFile, [mlirFile, table, ...(flags.data_list ? [flags.data_list] : [])], 'quantize_table');
  const outDir = dirname(resolve(qtableFile));
  const base = parseCaliTable(await readFile(table, 'utf8'), table);
  if (base.rows.length === 0) throw new UserError('E_CALIBRATION_TABLE', `${table} has no threshold rows`, 'give the table run_calibration wrote');
  const module = await loadMlirModule(mlirFile);
  resolveMixFloatType(chip, flags.fp_type);
  const compare = parseCompareLayers(flags.global_compare_layers);
  if (compare) checkCompareLayers(module, compare);

  const list = await selectSamples({ dataset: flags.dataset, dataList: flags.data_list, inputNum });
  const tuneSamples = flags.tune_list ? await selectSamples({ dataList: flags.tune_list, inputNum: tuneNum }) : undefined;
  if (tuneSamples) tuneNum = tuneSamples.entries.length;
  for (const w of [...(list.warnings ?? []), ...(tuneSamples?.warnings ?? [])]) process.stderr.write(`warning: ${w}\n`);
  info(`run_sensitive_layer: ${mlirFile}, ${list.entries.length} ${list.kind} samples (inference ${Math.min(inferenceNum, list.entries.length)}), chip ${chip}, expected_cos ${expectedCos}, max_float_layers ${maxFloatLayers}`);
  if (tuneNum === 0) info('tune_num 0: the search uses the untuned <table>_<M>.1 tables (TPU-MLIR needs tune_num > 0)');
  const samples = await inferenceSamples(list, module, inferenceNum);
  const mt = await methodTables({
    module, mlirFile, samples: list, tuneSamples, tuneNum, histogramBinNum: binNum, methods: METHODS, prefix: table,
    cacheDir: flags.no_cache ? undefined : join(outDir, '.tpu-quant-cache'), threads, progress: progressBar(), out: info,
  });
  const r = await runSensitivitySearch({
    module, chip, calibration: { rows: base.rows, asymOps: base.asymOps }, methods: mt.methods, samples, expectedCos, maxFloatLayers,
    fpType: flags.fp_type, globalCompareLayers: flags.global_compare_layers, kind: 'sensitive_layer', log: info, progress: progressBar(),
    threads: searchThreadCount, workerSetup: searchWorkerSetup(),
  });
  await writeSearchOutputs(r, { qtableFile, chip, headers: base.headers, asymOps: base.asymOps, info, prepMs: mt.ms });
  info(`total time:${((performance.now() - t0) / 1000).toFixed(6)}`);
  if (r.outcome !== 'no-need') info('success sensitive layer search');
  await atomicWriteFile(join(outDir, 'SensitiveLayerSearcher'), `${lines.join('\n')}\n`);
}

