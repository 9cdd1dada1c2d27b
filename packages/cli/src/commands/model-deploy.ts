// `model_deploy`: a top .mlir (from model_transform) lowered to the tpu dialect for a processor and
// quantization mode, then TPU-MLIR's verification (spec deploy.md §4): the tpu module is run on
// the test input and compared with the top model's tensors, npz_tool style.
//
// Pipeline (spec §4.3, the `lowering` step of mlir_shell.py): import-calibration-table (INT8/INT4:
// @tpu-quant/calib's parser, chip-bm168x's importCalibration + propagateCalibration), then the
// registered `convert-top-to-tpu{chip mode}` pass → `<prefix>_tpu.mlir` + `<prefix>_tpu_weights.npz`
// with prefix `<module>_<processor>_<mode>[_sym|_asym]` (§4.2).
//
// Deliberate differences from TPU-MLIR (say so in docs/ARCHITECTURE.md when this settles):
// - files go beside --model when it is given, else beside --mlir (TPU-MLIR: the working directory);
// - the .bmodel writer (tpu optimisation, layer groups, address assignment, codegen) does not exist
//   yet: `--model x.bmodel` writes the lowered mlir beside x and says so; verification stops after
//   tpu vs top (steps 1-2 of §4.4);
// - a calibration table whose rows name no tensor of the module is an error (TPU-MLIR ignores rows
//   that match nothing, §3.2, and would deploy a float model under an INT8 name); when only some
//   rows match, the others are ignored as TPU-MLIR does, with a warning naming them;
// - a test reference sharing no tensor name with the tpu outputs is an error (npz_tool would
//   report "0 compared ... PASSED");
// - what the lowering cannot do yet (modes, processors, --asymmetric, --quantize_table,
//   --quant_input/--quant_output/--fuse_preprocess) is refused with E_NOT_AVAILABLE, never
//   silently lowered some other way.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { parseCaliTable, parseQtable } from '@tpu-quant/calib';
import { importCalibration, propagateCalibration } from '@tpu-quant/chip-bm168x';
import {
  atomicWriteFile, bf16BitsToNumber, compareNpz, f16BitsToNumber, findTarget, formatCompareReport, getPass, isUserError, listTargets, loadNpz,
  printMlir, runPipeline, saveNpz, stringAttr, UserError, type Module, type NdArray, type TensorType,
} from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { assertNotInput, parseNameList, parseTolerance } from '../flags.js';
import { loadMlirModule, loadTestInputs } from '../model-files.js';

interface DeployFlags {
  mlir: string;
  processor?: string;
  chip?: string;
  quantize: string;
  model?: string;
  calibration_table?: string;
  quantize_table?: string;
  asymmetric?: boolean;
  test_input?: string;
  test_reference?: string;
  tolerance?: string;
  compare_all?: boolean;
  excepts: string;
  skip_validation?: boolean;
  quant_input?: boolean;
  quant_output?: boolean;
  fuse_preprocess?: boolean;
}

/** `--quantize` choices (spec §4.1). */
const MODES = ['F32', 'BF16', 'F16', 'INT8', 'INT4', 'W8F16', 'W8BF16', 'W4F16', 'W4BF16', 'F8E4M3', 'F8E5M2', 'QDQ'] as const;

/** `--tolerance` when not given: the newest TPU-MLIR's per-mode defaults (spec §4.1). */
export function defaultTolerance(mode: string): string {
  if (mode === 'F32') return '0.99,0.99';
  if (mode === 'F16' || mode === 'BF16') return '0.99,0.90';
  if (mode.startsWith('F8')) return '0.80,0.50';
  return '0.90,0.80'; // INT8, INT4, W8*, W4*, QDQ
}

export function registerModelDeploy(program: Command): void {
  program
    .command('model_deploy')
    .description('lower a top .mlir to a processor and mode, and verify it against the top model (TPU-MLIR model_deploy)')
    .requiredOption('--mlir <file>', 'top .mlir from model_transform')
    .option('--processor <name>', 'target processor, e.g. bm1684x')
    .option('--chip <name>', 'older spelling of --processor')
    .option('--quantize <mode>', `quantization mode: ${MODES.join(', ')}`, 'F32')
    .option('--model <file>', 'output .bmodel (not written yet: the lowered mlir goes beside it)')
    .option('--calibration_table <file>', 'calibration table from run_calibration (INT8/INT4)')
    .option('--quantize_table <file>', 'qtable: per-op modes (mixed precision)')
    .option('--asymmetric', 'asymmetric INT8')
    .option('--test_input <files>', 'verification input(s): image, .npy or .npz (comma-separated)')
    .option('--test_reference <npz>', 'top tensors to compare with (default: made by running the top mlir)')
    .option('--tolerance <cos,euc>', 'minimum cosine and euclidean similarity (default per mode: INT8 0.90,0.80; F16/BF16 0.99,0.90; F32 0.99,0.99)')
    .option('--compare_all', 'compare all tensors of the model run, not just its outputs (needs the bmodel stage)')
    .option('--excepts <names>', 'tensors left out of the comparison', '-')
    .option('--skip_validation', 'skip the verification')
    .option('--quant_input', 'keep the input quantized (not available yet)')
    .option('--quant_output', 'keep the outputs quantized (not available yet)')
    .option('--fuse_preprocess', 'put the preprocessing into the model (not available yet)')
    .action(async (flags: DeployFlags) => {
      await modelDeploy(flags);
    });
}

export async function modelDeploy(flags: DeployFlags): Promise<void> {
  // Everything that can be refused is refused before any work.
  if (!flags.mlir.endsWith('.mlir')) throw new UserError('E_BAD_FLAG', `--mlir ${flags.mlir} must end with .mlir`, 'give the top .mlir model_transform wrote');
  const mode = flags.quantize.toUpperCase();
  if (!(MODES as readonly string[]).includes(mode)) throw new UserError('E_BAD_FLAG', `--quantize ${flags.quantize} is not a mode`, `use one of: ${MODES.join(', ')}`);
  const processor = checkProcessor(flags.processor ?? flags.chip, mode);
  for (const f of ['quant_input', 'quant_output', 'fuse_preprocess'] as const) {
    if (flags[f]) notAvailable(`--${f}`, 'it belongs to the tpu optimisation stage (strip-io-quant, fuse-preprocess), which comes with the bmodel writer');
  }
  const tolerance = parseTolerance(flags.tolerance ?? defaultTolerance(mode));
  const excepts = parseNameList(flags.excepts);
  const quantized = mode === 'INT8' || mode === 'INT4';
  const asymmetric = Boolean(flags.asymmetric);
  if (quantized && !flags.calibration_table) {
    throw new UserError('E_CALIBRATION_TABLE', `--quantize ${mode} needs --calibration_table`, `make one with: tpu-quant run_calibration ${flags.mlir} --dataset <images> -o <table>`);
  }
  if (flags.calibration_table && !existsSync(flags.calibration_table)) {
    throw new UserError('E_CALIBRATION_TABLE', `calibration table ${flags.calibration_table} does not exist`, 'give the file run_calibration wrote');
  }
  if (flags.test_reference && !flags.test_input) {
    throw new UserError('E_BAD_FLAG', '--test_reference needs --test_input', 'give the input the reference was made from');
  }

  const module = await loadMlirModule(flags.mlir);
  const name = module.name ?? basename(flags.mlir, '.mlir');
  const prefix = `${name}_${processor}_${mode.toLowerCase()}${quantized ? (asymmetric ? '_asym' : '_sym') : ''}`;
  const outDir = dirname(flags.model ?? flags.mlir);
  const tpuMlir = join(outDir, `${prefix}_tpu.mlir`);
  const weightFile = `${prefix}_tpu_weights.npz`;
  const inputs = [flags.mlir, ...(flags.calibration_table ? [flags.calibration_table] : []), ...(flags.test_reference ? [flags.test_reference] : [])];
  assertNotInput(tpuMlir, inputs, 'mlir');

  if (flags.quantize_table) await refuseQtable(flags.quantize_table, module);
  if (quantized) await importTable(module, flags.calibration_table!, processor, asymmetric);

  const modes = getPass('convert-top-to-tpu')?.options.mode;
  if (modes?.type === 'enum' && !modes.values.includes(mode)) notAvailable(`--quantize ${mode}`, `the lowering takes ${modes.values.join(', ')}`);
  const pipeline = `convert-top-to-tpu{chip=${processor} mode=${mode}${asymmetric ? ' asymmetric=true' : ''}}`;
  log(`lowering: ${pipeline}`);
  try {
    await runPipeline(module, pipeline);
  } catch (e) {
    // The lowering names what it cannot do yet; to the user that is "not available", not a bad input.
    if (isUserError(e) && e.code === 'E_UNSUPPORTED_MODE') notAvailable(`--quantize ${mode}${asymmetric ? ' --asymmetric' : ''} on ${processor}`, e.message);
    throw e;
  }
  module.attrs.set('module.weight_file', stringAttr(weightFile));
  await mkdir(outDir, { recursive: true });
  await saveNpz(join(outDir, weightFile), module.weights);
  await atomicWriteFile(tpuMlir, printMlir(module));
  log(`${summarize(module)}`);
  log(`tpu mlir saved to ${tpuMlir}, weights to ${join(outDir, weightFile)}`);
  if (flags.model) {
    log(`note: the ${extname(flags.model) || 'model'} writer is not available yet; ${flags.model} was not written — the lowered mlir beside it is ${tpuMlir}`);
  }

  if (!flags.test_input || flags.skip_validation) return;
  await verify(flags, module, { name, prefix, outDir, tolerance, excepts });
}

/** The processor, lower-cased; E_PROCESSOR when unknown, E_NOT_AVAILABLE when nothing lowers to it yet. */
function checkProcessor(given: string | undefined, mode: string): string {
  if (!given) throw new UserError('E_BAD_FLAG', 'model_deploy needs --processor', `one of: ${listTargets().map((t) => t.name).join(', ')}`);
  const processor = given.toLowerCase();
  const target = findTarget(processor);
  const lowerable = listTargets().filter((t) => t.lower !== undefined).map((t) => t.name);
  if (!target) {
    throw new UserError('E_PROCESSOR', `unknown processor ${given}`, `one of: ${listTargets().map((t) => t.name).join(', ')} (lowering available for ${lowerable.join(', ')})`);
  }
  if (!target.lower) notAvailable(`--quantize ${mode} on ${processor}`, `no lowering for ${processor} yet (available: ${lowerable.join(', ')})`);
  return processor;
}

function notAvailable(what: string, why: string): never {
  throw new UserError('E_NOT_AVAILABLE', `${what} is not available yet: ${why}`, 'see `tpu-quant model_deploy --help` and packages/chip-bm168x/README.md for what the lowering supports');
}

/** import-calibration-table + calibration_process (spec §3.2, §3.4). */
async function importTable(module: Module, file: string, processor: string, asymmetric: boolean): Promise<void> {
  const table = parseCaliTable(await readFile(file, 'utf8'), file);
  const r = importCalibration(module, table.rows, { asymmetric, processor, asymOps: table.asymOps });
  if (r.unused.length === table.rows.length) {
    throw new UserError('E_CALIBRATION_TABLE', `no row of ${file} names a tensor of ${module.name ?? 'the module'} (${table.rows.length} rows, e.g. ${list(table.rows.map((x) => x.name))})`, 'is it the table of another model? run run_calibration on this .mlir');
  }
  if (r.unused.length > 0) warn(`${r.unused.length} rows of ${file} name no tensor of the module and are ignored (as TPU-MLIR does): ${list(r.unused)}`);
  if (r.uncovered.length > 0) warn(`${r.uncovered.length} tensors have no row in ${file} and stay float: ${list(r.uncovered)}`);
  propagateCalibration(module, { processor });
}

/** A qtable is checked (format, op names), then refused: the lowering has no mixed precision yet. */
async function refuseQtable(file: string, module: Module): Promise<void> {
  const qtable = parseQtable(await readFile(file, 'utf8'), file);
  const names = new Set<string>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name) names.add(r.name);
  const unknown = [...qtable.keys()].filter((n) => !names.has(n));
  if (unknown.length > 0) throw new UserError('E_QTABLE', `${file} names ops the module lacks: ${list(unknown)}`, 'qtable lines are "<op name> <mode>" with names from the top .mlir');
  notAvailable('--quantize_table (mixed precision)', 'the lowering does not take per-op modes yet');
}

interface VerifyContext {
  name: string;
  prefix: string;
  outDir: string;
  tolerance: [number, number];
  excepts: string[];
}

/** Spec §4.4 steps 1-2: top reference (made when not given), tpu run, compare. */
async function verify(flags: DeployFlags, tpu: Module, cx: VerifyContext): Promise<void> {
  const files = parseNameList(flags.test_input!);
  const inputs = await loadTestInputs(files, tpu);
  if (!(files.length === 1 && extname(files[0]!).toLowerCase() === '.npz')) {
    const inFile = join(cx.outDir, `${cx.name}_in_f32.npz`);
    await saveNpz(inFile, inputs);
    log(`input saved to ${inFile}`);
  }
  let refFile = flags.test_reference;
  if (!refFile) {
    refFile = join(cx.outDir, `${cx.name}_top_outputs.npz`);
    const top = await loadMlirModule(flags.mlir);
    await saveNpz(refFile, await runAll(top, inputs));
    log(`top outputs saved to ${refFile}`);
  }
  const reference = await loadNpz(refFile);
  const tpuOutputs = dequantizeAll(tpu, await runAll(tpu, inputs));
  const tpuFile = join(cx.outDir, `${cx.prefix}_tpu_outputs.npz`);
  await saveNpz(tpuFile, tpuOutputs);
  log(`tpu outputs saved to ${tpuFile}`);
  const report = compareNpz(tpuOutputs, reference, { tolerance: cx.tolerance, excepts: cx.excepts, verbose: 2 });
  if (report.results.length === 0) {
    throw new UserError('E_VERIFY_FAILED', `${refFile} shares no tensor name with the tpu outputs`, 'give the reference model_transform wrote for this model (NAME_top_outputs.npz), or leave --test_reference out to make one');
  }
  process.stdout.write(formatCompareReport(report, { verbose: 2, targetFile: tpuFile, referenceFile: refFile }));
  if (!report.passed) {
    throw new UserError('E_VERIFY_FAILED', `tpu outputs differ from the top reference beyond tolerance ${cx.tolerance.join(',')}`, `see the comparison above; ${report.numFailed} of ${report.results.length} tensors failed`);
  }
  if (flags.model || flags.compare_all) log(`note: the model vs tpu comparison (spec §4.4 step 3${flags.compare_all ? ', --compare_all' : ''}) needs the bmodel writer and was skipped`);
}

/** Every tensor of one run, outputs included (TPU-MLIR's mlir inference with dump_all). */
async function runAll(module: Module, inputs: Map<string, NdArray>): Promise<Map<string, NdArray>> {
  // wasm runs what it has kernels for; the tpu ops' integer kernels are chip-bm168x's js ones
  const session = await createSession(module);
  try {
    const { outputs, tensors } = await session.run(inputs, { capture: 'all' });
    return new Map([...tensors, ...outputs]);
  } finally {
    await session.dispose();
  }
}

/**
 * Quantized tensors as f32, `S · (q − ZP)` (model_runner without --out_fixed, spec §5.1); f16 and
 * bf16 tensors widened to f32. Other tensors are kept as they are.
 */
export function dequantizeAll(module: Module, tensors: ReadonlyMap<string, NdArray>): Map<string, NdArray> {
  const types = new Map<string, TensorType>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name && r.type.kind === 'tensor') types.set(r.name, r.type);
  const out = new Map<string, NdArray>();
  for (const [name, a] of tensors) {
    const e = types.get(name)?.element;
    if (e?.kind === 'quant.uniform' && e.scales.length === 1) {
      const s = e.scales[0]!;
      const zp = e.zeroPoints[0] ?? 0;
      const data = new Float32Array(a.data.length);
      for (let i = 0; i < data.length; i++) data[i] = s * (Number(a.data[i]) - zp);
      out.set(name, { dtype: 'f32', shape: a.shape, data });
    } else if (a.dtype === 'f16' || a.dtype === 'bf16') {
      const widen = a.dtype === 'f16' ? f16BitsToNumber : bf16BitsToNumber;
      out.set(name, { dtype: 'f32', shape: a.shape, data: Float32Array.from(a.data as Uint16Array, widen) });
    } else {
      out.set(name, a);
    }
  }
  return out;
}

/** How the lowering went, in one line: tpu ops, top ops left in float, casts. */
function summarize(module: Module): string {
  const tpu = new Map<string, number>();
  const float = new Map<string, number>();
  for (const op of module.main.ops) {
    if (op.type.startsWith('tpu.')) tpu.set(op.type, (tpu.get(op.type) ?? 0) + 1);
    else if (op.type.startsWith('top.') && !['top.Weight', 'top.None', 'top.Input'].includes(op.type)) float.set(op.type, (float.get(op.type) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>) => [...m].map(([t, n]) => `${t} x${n}`).join(', ') || 'none';
  return `lowered: ${fmt(tpu)}; left in float: ${fmt(float)}`;
}

function list(names: readonly string[], n = 5): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')}, ... (${names.length - n} more)`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function warn(line: string): void {
  process.stderr.write(`warning: ${line}\n`);
}
