// `run_qtable` (calibration spec §7): the mixed-precision search of @tpu-quant/mixprec, with
// TPU-MLIR's options, samples selected and preprocessed as run_calibration does, and its files:
// the qtable (-o), the loss table (--loss_table) and the log `MixPrecSearcher` (§11.6).
//
// Deliberate differences from TPU-MLIR: the loss table (a bare name) and the log go beside the
// qtable, not into the working directory; no graphviz log, no tensor_diff_fp32_vs_int8 directory.
// `--debug_cmd run_bias_correction` runs bias correction (spec §9.2, bias-correction.ts) instead of
// the search: no qtable; the corrected weights go to NAME_bc_weight.npz + NAME_bc.mlir beside -o.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { calibrationData, parseCaliTable, selectSamples } from '@tpu-quant/calib';
import { atomicWriteFile, findTarget, listTargets, resolveMixFloatType, UserError, type NdArray } from '@tpu-quant/ir';
import { checkCompareLayers, formatLossTable, formatMixQtable, lossTableLines, parseCompareLayers, runQtable } from '@tpu-quant/mixprec';
import { assertNotInput, parseCosFlag, parseInteger } from '../flags.js';
import { loadMlirModule } from '../model-files.js';
import { progressBar } from '../progress.js';
import { biasCorrectModel, threadsNote } from './bias-correction.js';
import { searchThreads, searchWorkerSetup } from './sensitivity-common.js';

interface QtableFlags {
  dataset?: string;
  data_list?: string;
  input_num: string;
  expected_cos: string;
  min_layer_cos: string;
  global_compare_layers: string;
  calibration_table: string;
  chip?: string;
  processor?: string;
  fp_type: string;
  loss_table: string;
  quantize_table: string;
  debug_cmd: string;
  threads?: string;
}

export function registerRunQtable(program: Command): void {
  program
    .command('run_qtable')
    .description('search the layers to keep in float so an INT8 model reaches expected_cos; writes a qtable (TPU-MLIR run_qtable)')
    .argument('<mlir_file>', 'top-dialect f32 .mlir (its weight npz beside it)')
    .requiredOption('--calibration_table <file>', 'calibration table from run_calibration')
    .requiredOption('-o, --quantize_table <file>', 'output qtable')
    .option('--chip <name>', 'target processor, e.g. bm1684x (required, or --processor)')
    .option('--processor <name>', 'the newer name of --chip')
    .option('--dataset <dir>', 'directory of samples (images, .npz or .npy), searched recursively')
    .option('--data_list <file>', 'text file, one sample per line (comma-separated per input); wins over --dataset')
    .option('--input_num <n>', 'samples used by the search', '10')
    .option('--expected_cos <v>', 'stop when the outputs reach this cos01 (0.5 + 0.5·cos)', '0.99')
    .option('--min_layer_cos <v>', 'layers below this cos01 against the float reference are tried in float', '0.99')
    .option('--global_compare_layers <names>', 'compare these tensors instead of the outputs: "a,b" or "a:0.3,b:0.7" (rates sum to 1)', '')
    .option('--fp_type <t>', 'float type of the float layers: auto (the chip\'s: F16 on bm1684x, F32 on bm1684), F16, F32, BF16', 'auto')
    .option('--loss_table <file>', 'layer cos table (a bare name goes beside the qtable)', 'full_loss_table.txt')
    .option('--debug_cmd <cmds>', 'TPU-MLIR debug keys; run_bias_correction runs bias correction instead of the search (writes NAME_bc_weight.npz + NAME_bc.mlir beside -o, no qtable)', '')
    .option('--threads <n>', 'worker threads the samples are split over (default: the cores, at most one per sample; 1: no worker thread)')
    .action(async (mlirFile: string, flags: QtableFlags) => {
      await runQtableCommand(mlirFile, flags);
    });
}

async function runQtableCommand(mlirFile: string, flags: QtableFlags): Promise<void> {
  const t0 = performance.now();
  const lines: string[] = [];
  const info = (s: string): void => {
    lines.push(`INFO:root:${s}`);
    process.stdout.write(`${s}\n`);
  };
  const biasCorrection = flags.debug_cmd.split(';').map((s) => s.trim().toLowerCase()).includes('run_bias_correction');
  const given = flags.chip ?? flags.processor;
  if (!given) throw new UserError('E_BAD_FLAG', 'run_qtable needs --chip', `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  const chip = given.toLowerCase();
  const target = findTarget(chip);
  if (!target) throw new UserError('E_PROCESSOR', `unknown processor ${given}`, `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  if (!target.lower) {
    const lowerable = listTargets().filter((t) => t.lower !== undefined).map((t) => t.name);
    throw new UserError('E_NOT_AVAILABLE', `run_qtable on ${chip} is not available yet: nothing lowers to ${chip}`, `processors with a lowering: ${lowerable.join(', ')}`);
  }
  const expectedCos = parseCosFlag(flags.expected_cos, 'expected_cos');
  const minLayerCos = parseCosFlag(flags.min_layer_cos, 'min_layer_cos');
  const inputNum = parseInteger(flags.input_num, 'input_num');
  const threads = searchThreads(flags.threads);
  if (inputNum < 0) throw new UserError('E_BAD_FLAG', `--input_num ${flags.input_num} must not be negative`, 'e.g. --input_num 10');
  if (!flags.dataset && !flags.data_list) throw new UserError('E_NO_DATA', 'run_qtable needs samples', 'give --dataset DIR or --data_list FILE');
  if (!existsSync(flags.calibration_table)) throw new UserError('E_CALIBRATION_TABLE', `calibration table ${flags.calibration_table} does not exist`, `make one with: tpu-quant run_calibration ${mlirFile} --dataset <images> -o <table>`);
  const qtableFile = flags.quantize_table;
  const outDir = dirname(resolve(qtableFile));
  const lossFile = isAbsolute(flags.loss_table) || flags.loss_table.includes('/') ? flags.loss_table : join(outDir, flags.loss_table);
  const inputs = [mlirFile, flags.calibration_table, ...(flags.data_list ? [flags.data_list] : [])];
  assertNotInput(qtableFile, inputs, 'quantize_table');
  assertNotInput(lossFile, inputs, 'loss_table');

  const table = parseCaliTable(await readFile(flags.calibration_table, 'utf8'), flags.calibration_table);
  if (table.rows.length === 0) throw new UserError('E_CALIBRATION_TABLE', `${flags.calibration_table} has no threshold rows`, 'give the table run_calibration wrote');
  const module = await loadMlirModule(mlirFile);
  // refused before any sample is read: the float type, the compare layers
  resolveMixFloatType(chip, flags.fp_type);
  const compare = parseCompareLayers(flags.global_compare_layers);
  if (compare) checkCompareLayers(module, compare);
  const list = await selectSamples({ dataset: flags.dataset, dataList: flags.data_list, inputNum });
  for (const w of list.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  if (biasCorrection) {
    const name = module.name ?? basename(mlirFile, extname(mlirFile));
    await biasCorrectModel({
      module, mlirFile, name, chip, outDir, samples: list, ...(inputNum > 0 ? { sampleNum: inputNum } : {}), rows: table.rows, asymOps: table.asymOps,
      expectedCos, minLayerCos, globalCompareLayers: flags.global_compare_layers, threads, out: (s) => process.stdout.write(`${s}\n`),
    });
    return;
  }
  const data = calibrationData(list, module, { limit: inputNum > 0 ? inputNum : undefined });
  const samples: Map<string, NdArray>[] = [];
  for await (const s of data.samples()) samples.push(s);
  if (samples.length === 0) throw new UserError('E_DATA', 'the sample list gives no sample', 'give --dataset or --data_list with at least one sample');
  info(`run_qtable: ${mlirFile}, ${samples.length} ${list.kind} samples, chip ${chip}, expected_cos ${expectedCos}, min_layer_cos ${minLayerCos}`);

  const r = await runQtable({
    module, chip, calibration: { rows: table.rows, asymOps: table.asymOps }, samples, expectedCos, minLayerCos,
    fpType: flags.fp_type, globalCompareLayers: flags.global_compare_layers, threads, workerSetup: searchWorkerSetup(), log: info, progress: progressBar(),
  });
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const timing = `time: reference ${s(r.stats.referenceMs)}, int8 ${s(r.stats.int8Ms)}, search ${s(r.stats.searchMs)} (${r.stats.lowerings} lowerings ${s(r.stats.lowerMs)}, suffix runs ${s(r.stats.suffixMs)}); ${threadsNote(r.stats.threads)}`;
  if (r.outcome !== 'no-need') {
    const head = { time: new Date(), sampleNumber: r.sampleNumber, chip, mixMode: r.mixMode };
    info('>>>run result:');
    for (const l of lossTableLines(r.layerCos)) info(l);
    await atomicWriteFile(lossFile, formatLossTable(head, r.layerCos));
    await atomicWriteFile(qtableFile, formatMixQtable(head, r.floatLayers));
    info(`int8 outputs_cos:${r.allInt8Cos.toFixed(6)} old`);
    info(`mix model outputs_cos:${r.mixCos.toFixed(6)}`);
    info(`Output mix quantization table to ${qtableFile}`);
    info(`${r.floatLayers.length} ${r.mixMode} layers (${r.outcome === 'success' ? 'expected_cos reached' : r.outcome === 'fail' ? `stopped: more than ${r.maxFloatLayers} float layers` : 'expected_cos not reached'}); loss table ${lossFile}`);
  }
  info(timing);
  info(`total time:${((performance.now() - t0) / 1000).toFixed(6)}`);
  await atomicWriteFile(join(outDir, 'MixPrecSearcher'), `${lines.join('\n')}\n`);
}
