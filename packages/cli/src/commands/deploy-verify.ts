// model_deploy's verification (spec deploy.md §4.4): the tpu module run on the test input and
// compared with the top reference, npz_tool style; with --quant_input / --quant_output also the
// stripped module (`_tpu_opt.mlir`, the stand-in for the bmodel until it exists) fed as TPU-MLIR
// feeds a model with quantized I/O, compared with the tpu outputs at the model tolerance.
//
// What is compared (TPU-MLIR's mlir_inference): the network outputs, plus for an output that is a
// tpu.Cast the tensor it casts (so `conv_f32` is checked as `conv` against the top reference);
// with --compare_all every tensor of the run.
import { extname, join } from 'node:path';
import { modelInputs } from '@tpu-quant/chip-bm168x';
import { compareNpz, dequantizeAll, formatCompareReport, loadNpz, saveNpz, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { parseNameList } from '../flags.js';
import { loadMlirModule, loadTestInputs } from '../model-files.js';

export interface VerifyContext {
  readonly mlir: string;
  readonly testInput: string;
  readonly testReference?: string;
  readonly name: string;
  readonly prefix: string;
  readonly outDir: string;
  readonly tolerance: [number, number];
  readonly excepts: string[];
  readonly compareAll: boolean;
  /** --fuse_preprocess: the raw uint8 inputs of the fused model (`<input>_raw`); the top run still gets the preprocessed image. */
  readonly rawInputs?: Map<string, NdArray>;
  /** What to try when the tpu outputs miss the tolerance (e.g. INT8: mixed precision). */
  readonly failHint?: string;
}

/** The inputs and outputs of the tpu run, kept for the stripped module's check. */
export interface TpuRun {
  readonly inputs: Map<string, NdArray>;
  readonly outputs: Map<string, NdArray>;
  readonly file: string;
}

/** Spec §4.4 steps 1-2: the top reference (made when not given), the tpu run, the comparison. */
export async function verifyTpu(tpu: Module, cx: VerifyContext): Promise<TpuRun> {
  const files = parseNameList(cx.testInput);
  // fused: the top module's inputs (and its preprocessing) come from the .mlir, the tpu run's from the raw image
  const inputs = await loadTestInputs(files, cx.rawInputs ? await loadMlirModule(cx.mlir) : tpu);
  const tpuInputs = cx.rawInputs ?? inputs;
  if (cx.rawInputs) {
    const oriFile = join(cx.outDir, `${cx.name}_in_ori.npz`);
    await saveNpz(oriFile, cx.rawInputs);
    log(`raw image input saved to ${oriFile}`);
  }
  if (!(files.length === 1 && extname(files[0]!).toLowerCase() === '.npz')) {
    const inFile = join(cx.outDir, `${cx.name}_in_f32.npz`);
    await saveNpz(inFile, inputs);
    log(`input saved to ${inFile}`);
  }
  let refFile = cx.testReference;
  if (!refFile) {
    refFile = join(cx.outDir, `${cx.name}_top_outputs.npz`);
    const top = await loadMlirModule(cx.mlir);
    await saveNpz(refFile, await runModule(top, inputs, true));
    log(`top outputs saved to ${refFile}`);
  }
  const reference = await loadNpz(refFile);
  checkReference(tpu, reference, refFile, cx.excepts);
  const outputs = dequantizeAll(tpu, await runModule(tpu, tpuInputs, cx.compareAll));
  const file = join(cx.outDir, `${cx.prefix}_tpu_outputs.npz`);
  await saveNpz(file, outputs);
  log(`tpu outputs saved to ${file}`);
  compareOrFail(outputs, reference, { tolerance: cx.tolerance, excepts: cx.excepts, targetFile: file, referenceFile: refFile, what: 'tpu outputs differ from the top reference', ...(cx.failHint ? { hint: cx.failHint } : {}) });
  return { inputs: tpuInputs, outputs, file };
}

/**
 * Spec §4.4 step 3 with the stripped module in place of the bmodel: its inputs converted as
 * TPU-MLIR's model runner converts them (int8 codes, f16, bf16), its outputs dequantized, compared
 * with the tpu outputs at `tolerance` (0.99,0.90; 0.99,0.85 with a qtable).
 */
export async function verifyStripped(opt: Module, tpu: TpuRun, cx: VerifyContext & { readonly optTolerance: [number, number] }): Promise<void> {
  const outputs = dequantizeAll(opt, await runModule(opt, modelInputs(opt, tpu.inputs), cx.compareAll));
  const file = join(cx.outDir, `${cx.prefix}_tpu_opt_outputs.npz`);
  await saveNpz(file, outputs);
  log(`tpu_opt outputs saved to ${file}`);
  compareOrFail(outputs, tpu.outputs, { tolerance: cx.optTolerance, excepts: cx.excepts, targetFile: file, referenceFile: tpu.file, what: 'the stripped module (quantized I/O) differs from the tpu module' });
}

/**
 * Spec §4.4 step 3 proper: the program read back from the written .bmodel, fed and read as
 * TPU-MLIR's model runner does, compared with the tpu outputs (`_model_outputs.npz`).
 */
export async function verifyModelFile(program: Module, tpu: TpuRun, cx: VerifyContext & { readonly optTolerance: [number, number]; readonly modelFile: string }): Promise<void> {
  const outputs = dequantizeAll(program, await runModule(program, modelInputs(program, tpu.inputs), cx.compareAll));
  const file = join(cx.outDir, `${cx.prefix}_model_outputs.npz`);
  await saveNpz(file, outputs);
  log(`${cx.modelFile} outputs saved to ${file}`);
  compareOrFail(outputs, tpu.outputs, { tolerance: cx.optTolerance, excepts: cx.excepts, targetFile: file, referenceFile: tpu.file, what: `${cx.modelFile} differs from the tpu module` });
}

function compareOrFail(
  target: Map<string, NdArray>,
  reference: Map<string, NdArray>,
  o: { tolerance: [number, number]; excepts: string[]; targetFile: string; referenceFile: string; what: string; hint?: string },
): void {
  const report = compareNpz(target, reference, { tolerance: o.tolerance, excepts: o.excepts, verbose: 2 });
  if (report.results.length === 0) {
    throw new UserError('E_VERIFY_FAILED', `${o.referenceFile} shares no tensor name with ${o.targetFile}`, 'give the reference model_transform wrote for this model (NAME_top_outputs.npz), or leave --test_reference out to make one');
  }
  process.stdout.write(formatCompareReport(report, { verbose: 2, targetFile: o.targetFile, referenceFile: o.referenceFile }));
  if (!report.passed) {
    throw new UserError('E_VERIFY_FAILED', `${o.what} beyond tolerance ${o.tolerance.join(',')}`, `see the comparison above; ${report.numFailed} of ${report.results.length} tensors failed${o.hint ? `; ${o.hint}` : ''}`);
  }
}

/**
 * The names the outputs are compared under: each returned value's own name, or for a tpu.Cast
 * the name of what it casts (the top tensor's name).
 */
export function outputCompareNames(module: Module): string[] {
  return module.main.outputs.map((v) => {
    const p = v.producer;
    return (p?.type === 'tpu.Cast' ? p.operand(0).name : undefined) ?? v.name ?? '?';
  });
}

/** A reference must hold every network output the comparison checks (by name); else one error naming them. */
function checkReference(tpu: Module, reference: ReadonlyMap<string, NdArray>, refFile: string, excepts: readonly string[]): void {
  const missing = tpu.main.outputs
    .map((v, i) => ({ name: v.name ?? '?', top: outputCompareNames(tpu)[i]! }))
    .filter((o) => !excepts.includes(o.top) && !reference.has(o.top) && !reference.has(o.name))
    .map((o) => o.top);
  if (missing.length === 0) return;
  const held = [...reference.keys()];
  throw new UserError(
    'E_TEST_REFERENCE',
    `${refFile} has no tensor for the model output${missing.length > 1 ? 's' : ''} ${list(missing)} (it holds ${held.length}: ${list(held)})`,
    'give the reference made from this .mlir (model_transform writes NAME_top_outputs.npz), leave --test_reference out to make one, or list the output in --excepts',
  );
}

/** One run: every tensor (`all`), or the outputs and the tensors their final casts read. */
async function runModule(module: Module, inputs: Map<string, NdArray>, all: boolean): Promise<Map<string, NdArray>> {
  // wasm runs what it has kernels for; the tpu ops' integer kernels are chip-bm168x's js ones
  const session = await createSession(module);
  try {
    const preCast = outputCompareNames(module).filter((n) => !module.main.outputs.some((v) => v.name === n));
    const { outputs, tensors } = await session.run(inputs, { capture: all ? 'all' : preCast });
    return all ? new Map([...tensors, ...outputs]) : new Map([...outputs, ...tensors]);
  } finally {
    await session.dispose();
  }
}

function list(names: readonly string[], n = 5): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')}, ... (${names.length - n} more)`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
