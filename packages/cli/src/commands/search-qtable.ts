// `run_calibration ... --search search_qtable` (calibration spec §6): thresholds per method from
// one statistics pass, the base table, then @tpu-quant/mixprec's sensitivity search; writes the
// per-method tables, --calibration_table (the base), the qtable, new_cali_table.txt and the log
// `Search_Qtable` (beside the qtable; TPU-MLIR: the working directory).
import { existsSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseCaliTable, selectSamples } from '@tpu-quant/calib';
import { atomicWriteFile, resolveMixFloatType, UserError } from '@tpu-quant/ir';
import { checkCompareLayers, parseCompareLayers, runSensitivitySearch } from '@tpu-quant/mixprec';
import { assertNotInput, parseCosFlag, parseInteger, parseNonNegative } from '../flags.js';
import { loadMlirModule } from '../model-files.js';
import { progressBar } from '../progress.js';
import { writeShapeOpsFile } from './shape-ops-file.js';
import { inferenceSamples, methodTables, parseMethodList, searchChip, searchThreads, searchWorkerSetup, writeSearchOutputs } from './sensitivity-common.js';

export interface SearchQtableFlags {
  dataset?: string;
  data_list?: string;
  input_num: string;
  tune_list?: string;
  tune_num: string;
  histogram_bin_num: string;
  processor?: string;
  chip?: string;
  fp_type: string;
  calibration_table: string;
  quantize_table?: string;
  quantize_method_list: string;
  inference_num: string;
  expected_cos: string;
  max_float_layers: string;
  transformer: string;
  global_compare_layers: string;
  no_cache?: boolean;
  threads?: string;
}

export async function searchQtableCommand(mlirFile: string, flags: SearchQtableFlags): Promise<void> {
  const t0 = performance.now();
  const lines: string[] = [];
  const info = (s: string): void => {
    lines.push(`INFO:root:${s}`);
    process.stdout.write(`${s}\n`);
  };
  if (!flags.quantize_table) throw new UserError('E_BAD_FLAG', '--search search_qtable needs --quantize_table', 'add --quantize_table FILE (the qtable it writes)');
  if (!flags.dataset && !flags.data_list) throw new UserError('E_NO_DATA', 'run_calibration needs samples', 'give --dataset DIR or --data_list FILE');
  const chip = searchChip(flags.processor ?? flags.chip ?? 'bm1684x', 'search_qtable');
  const methods = parseMethodList(flags.quantize_method_list);
  const inputNum = parseNonNegative(flags.input_num, 'input_num');
  const inferenceNum = parseNonNegative(flags.inference_num, 'inference_num');
  if (inferenceNum === 0) throw new UserError('E_BAD_FLAG', '--inference_num 0 leaves the search no samples', 'e.g. --inference_num 30');
  let tuneNum = parseNonNegative(flags.tune_num, 'tune_num');
  const binNum = parseInteger(flags.histogram_bin_num, 'histogram_bin_num');
  const expectedCos = parseCosFlag(flags.expected_cos, 'expected_cos');
  const maxFloatLayers = parseNonNegative(flags.max_float_layers, 'max_float_layers');
  const transformer = flags.transformer === 'True' || flags.transformer === 'true';
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, 'threads');
  const searchThreadCount = searchThreads(flags.threads);
  const table = flags.calibration_table;
  const qtableFile = flags.quantize_table;
  const inputs = [mlirFile, ...(flags.data_list ? [flags.data_list] : [])];
  assertNotInput(table, inputs, 'calibration_table');
  assertNotInput(qtableFile, [...inputs, table], 'quantize_table');
  const outDir = dirname(resolve(qtableFile));
  const module = await loadMlirModule(mlirFile);
  resolveMixFloatType(chip, flags.fp_type);
  const compare = parseCompareLayers(flags.global_compare_layers);
  if (compare) checkCompareLayers(module, compare);

  const list = await selectSamples({ dataset: flags.dataset, dataList: flags.data_list, inputNum });
  // spec §1.2 step 2: the shape-op table comes first, whatever the run does next
  const shapeOps = await writeShapeOpsFile(module, { mlirFile, outDir, chip, fpType: flags.fp_type });
  info(`shape ops: ${shapeOps.count} -> ${shapeOps.file}`);
  const tuneSamples = flags.tune_list ? await selectSamples({ dataList: flags.tune_list, inputNum: tuneNum }) : undefined;
  if (tuneSamples) tuneNum = tuneSamples.entries.length;
  for (const w of [...(list.warnings ?? []), ...(tuneSamples?.warnings ?? [])]) process.stderr.write(`warning: ${w}\n`);
  info(`search_qtable: ${mlirFile}, ${list.entries.length} ${list.kind} samples (inference ${Math.min(inferenceNum, list.entries.length)}), chip ${chip}, methods ${methods.join(',')}, expected_cos ${expectedCos}, max_float_layers ${maxFloatLayers}`);
  if (tuneNum === 0) info('tune_num 0: the searches use the untuned <table>_<M>.1 tables (TPU-MLIR needs tune_num > 0)');

  // §6.1 steps 2-3: per-method tables, then the base table into --calibration_table
  const mt = await methodTables({
    module, mlirFile, samples: list, tuneSamples, tuneNum, histogramBinNum: binNum, methods, prefix: table,
    cacheDir: flags.no_cache ? undefined : join(dirname(resolve(table)), '.tpu-quant-cache'), threads, progress: progressBar(), out: info,
  });
  const baseFile = methods.includes('MSE') && existsSync(mt.files.get('MSE')!) ? mt.files.get('MSE')! : mt.files.get(methods[0]!)!;
  await copyFile(baseFile, table);
  const base = parseCaliTable(await readFile(table, 'utf8'), table);

  const samples = await inferenceSamples(list, module, inferenceNum);
  const r = await runSensitivitySearch({
    module, chip, calibration: { rows: base.rows, asymOps: base.asymOps }, methods: mt.methods, samples, expectedCos, maxFloatLayers,
    fpType: flags.fp_type, globalCompareLayers: flags.global_compare_layers, transformer, kind: 'search_qtable', log: info, progress: progressBar(),
    threads: searchThreadCount, workerSetup: searchWorkerSetup(),
  });
  await writeSearchOutputs(r, { qtableFile, chip, headers: base.headers, asymOps: base.asymOps, info, prepMs: mt.ms });
  info(`total time:${((performance.now() - t0) / 1000).toFixed(6)}`);
  if (r.outcome !== 'no-need') info('success search qtable');
  await atomicWriteFile(join(outDir, 'Search_Qtable'), `${lines.join('\n')}\n`);
}

