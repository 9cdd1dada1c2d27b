// `model_deploy`: a top .mlir (from model_transform) lowered to the tpu dialect for a processor and
// quantization mode, then TPU-MLIR's verification (spec deploy.md §4): the tpu module is run on
// the test input and compared with the top model's tensors, npz_tool style (deploy-verify.ts).
//
// Pipeline (spec §4.3, the `lowering` step of mlir_shell.py): import-calibration-table whenever a
// table is given (@tpu-quant/calib's parser, chip-bm168x's importCalibration + propagateCalibration),
// then `convert-top-to-tpu{chip mode}` with the qtable's per-op modes (§3.7) → `<prefix>_tpu.mlir` +
// `<prefix>_tpu_weights.npz` (`<prefix>_tpu_qtable_weights.npz` with a qtable), prefix
// `<module>_<processor>_<mode>[_sym|_asym]` (§4.2). With --quant_input / --quant_output the tpu
// optimisation step's `strip-io-quant` follows → `<prefix>_tpu_opt.mlir`. With `--model x.bmodel`:
// address-assign (chip-bm168x's memory planner), then the container (@tpu-quant/bmodel) holding
// the addresses, the coefficient blob and our program; verification step 3 reads the file back and
// runs it against the tpu outputs (`<prefix>_model_outputs.npz`). With --fuse_preprocess the
// `fuse-preprocess` pass runs before the lowering (the input becomes the raw uint8 image); the tpu
// run is fed `<name>_in_ori.npz` (key `<input>_raw`) made from the test image, the top reference
// the image preprocessed as usual (deploy-fuse-input.ts).
//
// Deliberate differences from TPU-MLIR (docs/ARCHITECTURE.md lists them):
// - files go beside --model when it is given, else beside --mlir (TPU-MLIR: the working directory);
// - the .bmodel has no TIU/GDMA command streams (closed-source encoders; no layer groups either):
//   it carries our lowered program, which model_runner executes; a TPU cannot run it. With
//   --quant_input / --quant_output the stripped `_tpu_opt.mlir` is also checked against the tpu
//   outputs (inputs fed quantized, outputs dequantized, at the model tolerance);
// - a calibration table whose rows name no tensor of the module is an error (TPU-MLIR ignores rows
//   that match nothing, §3.2, and would deploy a float model under an INT8 name); when only some
//   rows match, the others are ignored as TPU-MLIR does, with a warning naming them; tensors the
//   table leaves out stay float (TPU-MLIR's behaviour), with a warning naming them;
// - a qtable naming ops the module lacks is an error naming them (TPU-MLIR ignores such lines); an
//   INT8 entry without --calibration_table is an error (TPU-MLIR aborts in the lowering);
// - a test reference missing a network output is an error naming it (npz_tool would compare the
//   other tensors, or report "0 compared ... PASSED");
// - what the lowering cannot do yet (modes, processors, --asymmetric off the BM1684X family, qtable modes other than
//   INT8/F32/F16/BF16, fused YUV / RAW / RGBA formats) is refused with E_NOT_AVAILABLE, never silently lowered
//   some other way.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { parseCaliTable, parseQtable } from '@tpu-quant/calib';
import { checkFusePreprocess, fusePreprocess } from '@tpu-quant/chip-bm168x';
import { checkQuantizeTable, importCalibration, lowerTopToTpu, propagateCalibration, resolveAddrMode, stripIoQuant } from '@tpu-quant/chip-bm168x';
import { atomicWriteFile, findTarget, isUserError, listTargets, printMlir, saveNpz, stringAttr, UserError, type Module } from '@tpu-quant/ir';
import { assertNotInput, parseNameList, parseTolerance } from '../flags.js';
import { loadMlirModule } from '../model-files.js';
import { loadBmodelProgram, writeDeployedBmodel } from '../bmodel-files.js';
import { checkFusedTestInputs, rawImageInputs } from './deploy-fuse-input.js';
import { verifyModelFile, verifyStripped, verifyTpu, type VerifyContext } from './deploy-verify.js';

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
  customization_format?: string;
  aligned_input?: boolean;
  addr_mode?: string;
}

/** `--quantize` choices (spec §4.1). */
const MODES = ['F32', 'BF16', 'F16', 'INT8', 'INT4', 'W8F16', 'W8BF16', 'W4F16', 'W4BF16', 'F8E4M3', 'F8E5M2', 'QDQ'] as const;

/** Modes the lowering takes as --quantize (the qtable's per-op modes are the same four). */
const LOWERED_MODES = ['INT8', 'F32', 'F16', 'BF16'];

/** `--tolerance` when not given: the newest TPU-MLIR's per-mode defaults (spec §4.1). */
export function defaultTolerance(mode: string): string {
  if (mode === 'F32') return '0.99,0.99';
  if (mode === 'F16' || mode === 'BF16') return '0.99,0.90';
  if (mode.startsWith('F8')) return '0.80,0.50';
  return '0.90,0.80'; // INT8, INT4, W8*, W4*, QDQ
}

/** The model vs tpu tolerance of §4.4 step 3 (`correctness`): looser with a qtable. */
export function modelTolerance(withQtable: boolean): [number, number] {
  return withQtable ? [0.99, 0.85] : [0.99, 0.9];
}

export function registerModelDeploy(program: Command): void {
  program
    .command('model_deploy')
    .description('lower a top .mlir to a processor and mode, and verify it against the top model (TPU-MLIR model_deploy)')
    .requiredOption('--mlir <file>', 'top .mlir from model_transform')
    .option('--processor <name>', 'target processor, e.g. bm1684x')
    .option('--chip <name>', 'older spelling of --processor')
    .option('--quantize <mode>', `quantization mode: ${MODES.join(', ')}`, 'F32')
    .option('--model <file>', 'output .bmodel (addresses, coefficients and our program; the lowered mlir goes beside it)')
    .option('--calibration_table <file>', 'calibration table from run_calibration (INT8/INT4; with a qtable, also for INT8 ops in a float mode)')
    .option('--quantize_table <file>', 'qtable: "<op name> <mode>" lines, modes INT8, F32, F16, BF16 (mixed precision)')
    .option('--asymmetric', 'asymmetric INT8 (zero points; BM1684X family)')
    .option('--test_input <files>', 'verification input(s): image, .npy or .npz (comma-separated)')
    .option('--test_reference <npz>', 'top tensors to compare with (default: made by running the top mlir)')
    .option('--tolerance <cos,euc>', 'minimum cosine and euclidean similarity (default per mode: INT8 0.90,0.80; F16/BF16 0.99,0.90; F32 0.99,0.99)')
    .option('--compare_all', 'compare every tensor of the tpu run that the reference has, not only the outputs')
    .option('--excepts <names>', 'tensors left out of the comparison', '-')
    .option('--skip_validation', 'skip the verification')
    .option('--quant_input', 'keep the inputs in their lowered type (int8 codes, f16): strip the input casts (_tpu_opt.mlir)')
    .option('--quant_output', 'keep the outputs in their lowered type: strip the output casts (_tpu_opt.mlir)')
    .option('--addr_mode <mode>', 'where IO tensors go: auto (= basic), basic, io_alone, io_tag, io_tag_fuse, io_reloc (spec §6.1; refused where the processor cannot)', 'auto')
    .option('--fuse_preprocess', 'put the preprocessing into the model: the input becomes the raw uint8 image (fuse-preprocess; BM1684X family)')
    .option('--customization_format <format>', 'raw input layout with --fuse_preprocess: RGB_PLANAR, RGB_PACKED, BGR_PLANAR, BGR_PACKED, GRAYSCALE (default: the model\'s pixel_format / channel_format)')
    .option('--aligned_input', 'CV18xx VPSS-aligned input buffers (with --fuse_preprocess; refused on BM168x)')
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
  const addrMode = resolveAddrMode(flags.addr_mode, findTarget(processor)!);
  if (!LOWERED_MODES.includes(mode)) notAvailable(`--quantize ${mode}`, `the lowering takes ${LOWERED_MODES.join(', ')}`);
  if (flags.aligned_input && !flags.fuse_preprocess) throw new UserError('E_BAD_FLAG', '--aligned_input needs --fuse_preprocess', 'TPU-MLIR refuses it too ("aligned_input requires fuse_preprocess"); add --fuse_preprocess or leave --aligned_input out');
  // TPU-MLIR applies --asymmetric to INT8/INT4 only; BM1684 treats it as unsupported (spec §3.13)
  const asymmetric = Boolean(flags.asymmetric) && (mode === 'INT8' || mode === 'INT4');
  if (asymmetric && findTarget(processor)?.family !== 'bm1684x') notAvailable(`--quantize ${mode} --asymmetric on ${processor}`, 'asymmetric INT8 is lowered for the BM1684X family (bm1684x, bm1688, bm1690, cv186x)');
  const tolerance = parseTolerance(flags.tolerance ?? defaultTolerance(mode));
  const excepts = parseNameList(flags.excepts);
  const quantized = mode === 'INT8' || mode === 'INT4';
  if (quantized && !flags.calibration_table) {
    throw new UserError('E_CALIBRATION_TABLE', `--quantize ${mode} needs --calibration_table`, `make one with: tpu-quant run_calibration ${flags.mlir} --dataset <images> -o <table>`);
  }
  mustExist(flags.calibration_table, 'E_CALIBRATION_TABLE', 'calibration table', 'give the file run_calibration wrote');
  mustExist(flags.quantize_table, 'E_QTABLE', 'quantize table', 'give a qtable: one "<op name> <mode>" line per op');
  if (flags.test_reference && !flags.test_input) {
    throw new UserError('E_BAD_FLAG', '--test_reference needs --test_input', 'give the input the reference was made from');
  }
  for (const f of flags.test_input ? parseNameList(flags.test_input) : []) mustExist(f, 'E_INPUT', 'test input', 'give an image, a .npy or a .npz');
  mustExist(flags.test_reference, 'E_TEST_REFERENCE', 'test reference', 'give the npz model_transform wrote (NAME_top_outputs.npz), or leave --test_reference out to make one');

  const module = await loadMlirModule(flags.mlir);
  // --fuse_preprocess: options, processor and test image checked before any work (fuse-preprocess.ts)
  const fuse = flags.fuse_preprocess ? { chip: processor, mode, customizationFormat: flags.customization_format ?? '', aligned: Boolean(flags.aligned_input) } : undefined;
  const fuseFormat = fuse ? checkFusePreprocess(module, fuse) : undefined;
  const fusedCheck = fuse !== undefined && Boolean(flags.test_input) && !flags.skip_validation;
  if (fusedCheck) checkFusedTestInputs(parseNameList(flags.test_input!), module);
  const name = module.name ?? basename(flags.mlir, '.mlir');
  const prefix = `${name}_${processor}_${mode.toLowerCase()}${quantized ? (asymmetric ? '_asym' : '_sym') : ''}`;
  const outDir = dirname(flags.model ?? flags.mlir);
  const tpuMlir = join(outDir, `${prefix}_tpu.mlir`);
  const weightFile = `${prefix}_tpu${flags.quantize_table ? '_qtable' : ''}_weights.npz`;
  const inputs = [flags.mlir, ...[flags.calibration_table, flags.quantize_table, flags.test_reference].filter((f): f is string => f !== undefined)];
  assertNotInput(tpuMlir, inputs, 'mlir');

  const qtable = flags.quantize_table ? await readQtable(flags.quantize_table, module, Boolean(flags.calibration_table)) : undefined;
  if (flags.calibration_table) await importTable(module, flags.calibration_table, processor, qtable, asymmetric);

  // the raw image is made from the top.Input attributes, before the pass resets them
  const rawInputs = fusedCheck ? await rawImageInputs(parseNameList(flags.test_input!), module, fuseFormat!) : undefined;
  if (fuse) {
    log(`lowering: fuse-preprocess{mode=${mode} customization_format=${fuseFormat} align=false}`);
    for (const x of fusePreprocess(module, fuse)) log(`fused preprocessing: input "${x.rawName}" ui8 [${x.rawShape.join(',')}] (${x.format}) -> ${x.name}_preprocess`);
  }
  const pipeline = `convert-top-to-tpu{chip=${processor} mode=${mode}${flags.quantize_table ? ` qtable=${flags.quantize_table}` : ''}${asymmetric ? ' asymmetric=true' : ''}}`;
  log(`lowering: ${pipeline}`);
  let notInt8: ReadonlyMap<string, number> = new Map();
  try {
    ({ float: notInt8 } = lowerTopToTpu(module, { chip: processor, mode, quantizeTable: qtable, asymmetric }));
  } catch (e) {
    // The lowering names what it cannot do yet; to the user that is "not available", not a bad input.
    if (isUserError(e) && e.code === 'E_UNSUPPORTED_MODE') notAvailable(`--quantize ${mode}${qtable ? ' with this qtable' : ''} on ${processor}`, e.message);
    throw e;
  }
  module.attrs.set('module.weight_file', stringAttr(weightFile));
  await mkdir(outDir, { recursive: true });
  await saveNpz(join(outDir, weightFile), module.weights);
  await atomicWriteFile(tpuMlir, printMlir(module));
  log(`${summarize(module, mode === 'INT8' ? notInt8 : new Map())}`);
  log(`tpu mlir saved to ${tpuMlir}, weights to ${join(outDir, weightFile)}`);
  const validate = Boolean(flags.test_input) && !flags.skip_validation;
  const cx: VerifyContext = {
    mlir: flags.mlir, testInput: flags.test_input ?? '', testReference: flags.test_reference, name, prefix, outDir, tolerance, excepts,
    compareAll: Boolean(flags.compare_all),
    ...(rawInputs ? { rawInputs } : {}),
    ...(mode === 'INT8' ? { failHint: int8FailHint(processor, Boolean(qtable)) } : {}),
  };
  const tpuRun = validate ? await verifyTpu(module, cx) : undefined;

  if (flags.quant_input || flags.quant_output) {
    // the tpu optimisation step (§4.3 step 2): strip-io-quant on the lowered module
    const strip = `strip-io-quant{quant_input=${Boolean(flags.quant_input)} quant_output=${Boolean(flags.quant_output)}}`;
    log(`tpu optimisation: ${strip}`);
    const r = stripIoQuant(module, { quantInput: flags.quant_input, quantOutput: flags.quant_output });
    const io = [...r.inputs.map((x) => `input "${x.name}" ${x.type}`), ...r.outputs.map((x) => `output "${x.name}" ${x.type}`)];
    log(io.length > 0 ? `stripped casts: ${io.join(', ')}` : 'stripped casts: none (the I/O is f32 already)');
    const optMlir = join(outDir, `${prefix}_tpu_opt.mlir`);
    await atomicWriteFile(optMlir, printMlir(module));
    log(`tpu_opt mlir saved to ${optMlir}`);
    if (tpuRun) await verifyStripped(module, tpuRun, { ...cx, optTolerance: modelTolerance(qtable !== undefined) });
  }
  if (!flags.model) return;
  if (extname(flags.model).toLowerCase() !== '.bmodel') {
    log(`note: the ${extname(flags.model) || 'model'} writer is not available (only .bmodel); ${flags.model} was not written — the lowered mlir is ${tpuMlir}`);
    return;
  }
  // §4.3 steps 3-4: address assignment, then the container (our program in place of command streams)
  const { plan, bytes } = await writeDeployedBmodel(module, processor, flags.model, { addrMode });
  log(`address-assign: coeff ${plan.coeff.size} bytes at 0x${plan.coeff.addr.toString(16)}, neuron ${plan.neuron.size} bytes at 0x${plan.neuron.addr.toString(16)} (${plan.allocator}), addr_mode ${plan.addrMode}${plan.io ? `, io ${plan.io.size} bytes at 0x${plan.io.addr.toString(16)}` : ''}${plan.ioTags ? `, io tags ${plan.ioTags.map((t) => `${t.tag}: ${t.size} bytes`).join(', ')}` : ''}`);
  log(`bmodel saved to ${flags.model} (${bytes} bytes; it carries tpu-quant's program, not TPU command streams: model_runner runs it, a TPU cannot)`);
  if (tpuRun) {
    const program = await loadBmodelProgram(flags.model);
    await verifyModelFile(program, tpuRun, { ...cx, optTolerance: modelTolerance(qtable !== undefined), modelFile: flags.model });
  }
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
  // a float type the chip lacks is refused for good, not "not available yet" (BM1684: F32 only)
  if ((mode === 'F16' || mode === 'BF16') && !(target.quantModes as readonly string[]).includes(mode) && target.floatRemap?.[mode] === undefined) {
    throw new UserError('E_UNSUPPORTED_MODE', `--quantize ${mode}: ${processor} has no ${mode}, its only float type is ${target.floatForMix} (TPU-MLIR's ${processor} lowering has no ${mode} either)`, `use --quantize ${target.quantModes.join(' or ')}`);
  }
  return processor;
}

function notAvailable(what: string, why: string): never {
  throw new UserError('E_NOT_AVAILABLE', `${what} is not available yet: ${why}`, 'see `tpu-quant model_deploy --help` and packages/chip-bm168x/README.md for what the lowering supports');
}

function mustExist(file: string | undefined, code: string, what: string, hint: string): void {
  if (file !== undefined && !existsSync(file)) throw new UserError(code, `${what} ${file} does not exist`, hint);
}

/**
 * import-calibration-table + calibration_process (spec §3.2, §3.4). Run whenever a table is given,
 * as mlir_shell.py does, so a float mode with INT8 qtable entries has its ranges.
 */
async function importTable(module: Module, file: string, processor: string, qtable: ReadonlyMap<string, string> | undefined, asymmetric: boolean): Promise<void> {
  const table = parseCaliTable(await readFile(file, 'utf8'), file);
  const r = importCalibration(module, table.rows, { asymmetric, processor, asymOps: table.asymOps });
  if (r.unused.length === table.rows.length) {
    throw new UserError('E_CALIBRATION_TABLE', `no row of ${file} names a tensor of ${module.name ?? 'the module'} (${table.rows.length} rows, e.g. ${list(table.rows.map((x) => x.name))})`, 'is it the table of another model? run run_calibration on this .mlir');
  }
  if (r.unused.length > 0) warn(`${r.unused.length} rows of ${file} name no tensor of the module and are ignored (as TPU-MLIR does): ${list(r.unused)}`);
  if (r.uncovered.length > 0) warn(`${r.uncovered.length} tensors have no row in ${file} and stay float: ${list(r.uncovered)}`);
  propagateCalibration(module, { processor, quantizeTable: qtable });
}

/**
 * The qtable (spec §3.7) parsed by @tpu-quant/calib (a bad line or mode: E_QTABLE naming the
 * line), its names checked against the module (unknown ones: E_QTABLE naming them), INT8 entries
 * checked to have a calibration table.
 */
async function readQtable(file: string, module: Module, calibrated: boolean): Promise<Map<string, string>> {
  const qtable = parseQtable(await readFile(file, 'utf8'), file);
  const check = checkQuantizeTable(module, qtable);
  if (check.unknown.length > 0) {
    throw new UserError('E_QTABLE', `${file} names ${check.unknown.length} op${check.unknown.length > 1 ? 's' : ''} the module lacks: ${list(check.unknown)}`, 'qtable lines are "<op name> <mode>" with op names (loc names) from the top .mlir');
  }
  const unsupported = [...check.byMode].filter(([m]) => !LOWERED_MODES.includes(m));
  if (unsupported.length > 0) {
    notAvailable(`qtable mode${unsupported.length > 1 ? 's' : ''} ${unsupported.map(([m, names]) => `${m} (${list(names, 3)})`).join('; ')} in ${file}`, `per-op modes available: ${LOWERED_MODES.join(', ')}`);
  }
  const int8 = check.byMode.get('INT8') ?? [];
  if (int8.length > 0 && !calibrated) {
    throw new UserError('E_CALIBRATION_TABLE', `${file} asks INT8 for ${list(int8)} but no --calibration_table was given`, 'INT8 ops need the ranges of a calibration table: add --calibration_table');
  }
  if (check.noEffect.length > 0) warn(`${check.noEffect.length} qtable entries name ops that are not lowered (inputs, weights) and change nothing: ${list(check.noEffect)}`);
  const modes = [...check.byMode].map(([m, names]) => `${m} x${names.length} (${list(names, 3)})`).join('; ');
  log(`qtable ${file}: ${modes || 'no entries for lowered ops'}`);
  return qtable;
}

/**
 * How the lowering went, in one line: tpu ops, top ops left in float, and the ops an INT8 run
 * could not lower to INT8 (now float tpu ops or top ops, by their top type).
 */
function summarize(module: Module, notInt8: ReadonlyMap<string, number>): string {
  const tpu = new Map<string, number>();
  const float = new Map<string, number>();
  for (const op of module.main.ops) {
    if (op.type.startsWith('tpu.')) tpu.set(op.type, (tpu.get(op.type) ?? 0) + 1);
    else if (op.type.startsWith('top.') && !['top.Weight', 'top.None', 'top.Input'].includes(op.type)) float.set(op.type, (float.get(op.type) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>) => [...m].map(([t, n]) => `${t} x${n}`).join(', ') || 'none';
  const fallbacks = notInt8.size > 0 ? `; not INT8 (float): ${fmt(new Map(notInt8))}` : '';
  return `lowered: ${fmt(tpu)}; left in float: ${fmt(float)}${fallbacks}`;
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

/**
 * What to try when an INT8 model misses the tolerance: TPU-MLIR's answer is mixed precision, the
 * layers INT8 hurts most kept float by a qtable (on BM1684, whose convs have one shift per layer,
 * most models need one).
 */
function int8FailHint(processor: string, hasQtable: boolean): string {
  const search = `run_calibration <mlir> --dataset <images> --processor ${processor} --search search_qtable --quantize_table q`;
  return hasQtable
    ? `keep more layers float: ${search} --max_float_layers <more>, then --quantize_table q`
    : `keep the layers INT8 hurts most float: ${search} (or run_sensitive_layer, run_qtable), then deploy with --quantize_table q`;
}
