// `model_transform`: ONNX -> top-dialect .mlir + weight npz, then (with --test_input) the
// verification TPU-MLIR does: run the top model, run the framework (onnxruntime-node), compare
// every tensor both produced. Files and flags as TPU-MLIR's python/tools/model_transform.py.
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import {
  atomicWriteFile, compareNpz, formatCompareReport, printMlir, runPipeline, saveNpz, stringAttr, top, UserError, type NdArray,
} from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { parseNameList, parseNumberList, parseShapeList, parseTolerance } from '../flags.js';
import { loadTestInputs } from '../model-files.js';
import { loadOrt, runOrtAllTensors } from '../ort-reference.js';

interface TransformFlags {
  model_name: string;
  model_def: string;
  input_shapes?: string;
  input_types?: string;
  output_names?: string;
  test_input?: string;
  test_result?: string;
  tolerance: string;
  excepts: string;
  mlir: string;
  resize_dims?: string;
  keep_aspect_ratio?: boolean;
  keep_ratio_mode: string;
  mean: string;
  scale: string;
  pixel_format: string;
  channel_format: string;
  pad_value: string;
  pad_type: string;
  not_inference?: boolean;
  debug?: boolean;
}

export function registerModelTransform(program: Command): void {
  program
    .command('model_transform')
    .description('convert an ONNX model to a top-dialect .mlir + weight .npz and verify it (TPU-MLIR model_transform)')
    .requiredOption('--model_name <name>', 'model name: the module name and the prefix of every file')
    .requiredOption('--model_def <file>', 'model file (.onnx)')
    .requiredOption('--mlir <file>', 'output .mlir')
    .option('--input_shapes <shapes>', 'input shapes, e.g. [[1,3,224,224]] (default: from the model)')
    .option('--input_types <types>', 'input types, comma-separated (default float32)')
    .option('--output_names <names>', 'cut the graph at these tensors (comma-separated)')
    .option('--test_input <files>', 'verification input(s): image, .npy or .npz (comma-separated)')
    .option('--test_result <file>', 'npz for the top model results (default <model_name>_top_outputs.npz)')
    .option('--tolerance <cos,euc>', 'minimum cosine and euclidean similarity against the framework', '0.99,0.99')
    .option('--excepts <names>', 'tensors left out of the comparison', '-')
    .option('--resize_dims <h,w>', 'resize images to these dims before cropping to the net size')
    .option('--keep_aspect_ratio', 'letterbox or short-side resize instead of stretching')
    .option('--keep_ratio_mode <mode>', 'letterbox or short_side_scale', 'letterbox')
    .option('--mean <m0,m1,m2>', 'per-channel mean, subtracted first', '0,0,0')
    .option('--scale <s0,s1,s2>', 'per-channel scale, multiplied after the mean', '1,1,1')
    .option('--pixel_format <fmt>', 'rgb, bgr, gray, rgba', 'bgr')
    .option('--channel_format <fmt>', 'nchw, nhwc or none', 'nchw')
    .option('--pad_value <v>', 'letterbox fill value', '0')
    .option('--pad_type <type>', 'center or normal', 'center')
    .option('--not_inference', 'skip the verification run')
    .option('--debug', 'keep intermediate files')
    .action(async (flags: TransformFlags) => {
      await modelTransform(flags);
    });
}

export async function modelTransform(flags: TransformFlags): Promise<void> {
  if (!flags.mlir.endsWith('.mlir')) throw new UserError('E_BAD_FLAG', `--mlir ${flags.mlir} must end with .mlir`, 'e.g. --mlir resnet.mlir');
  if (extname(flags.model_def).toLowerCase() !== '.onnx') {
    throw new UserError('E_UNSUPPORTED_MODEL', `cannot read ${flags.model_def}: only ONNX (.onnx) models are supported so far`, 'export the model to ONNX first');
  }
  checkChoices(flags);
  // Checked before any work, so a bad value does not surface only after the model has run.
  const tolerance = parseTolerance(flags.tolerance);
  const outDir = dirname(flags.mlir);
  const name = flags.model_name;
  const weightFile = `${name}_top_f32_all_weight.npz`;
  const module = await importOnnxFile(flags.model_def, {
    modelName: name,
    inputShapes: flags.input_shapes ? parseShapeList(flags.input_shapes) : undefined,
    inputTypes: flags.input_types ? parseNameList(flags.input_types) : undefined,
    outputNames: flags.output_names ? parseNameList(flags.output_names) : undefined,
    preprocess: flags.channel_format === 'none' ? undefined : preprocessFlags(flags),
  });
  // tpuc-opt --canonicalize, as model_transform runs it (Relu folded into the op before it, ...)
  await runPipeline(module, 'canonicalize');
  module.attrs.set('module.weight_file', stringAttr(weightFile));
  await saveNpz(join(outDir, weightFile), module.weights);
  await atomicWriteFile(flags.mlir, printMlir(module));
  log(`mlir saved to ${flags.mlir}, weights to ${join(outDir, weightFile)}`);
  if (!flags.test_input || flags.not_inference) return;

  const inputs = await loadTestInputs(parseNameList(flags.test_input), module);
  await saveNpz(join(outDir, `${name}_in_f32.npz`), inputs);
  const session = await createSession(module);
  let run: Awaited<ReturnType<typeof session.run>>;
  try {
    run = await session.run(inputs, { capture: 'all' });
  } finally {
    await session.dispose();
  }
  const { outputs, tensors } = run;
  const topResults = new Map<string, NdArray>([...tensors, ...outputs]);
  const topFile = flags.test_result ?? join(outDir, `${name}_top_outputs.npz`);
  await saveNpz(topFile, topResults);
  log(`top outputs saved to ${topFile}`);

  const ort = await loadOrt();
  if (!ort) {
    log('onnxruntime-node is not installed: skipping the comparison with the framework (npm i onnxruntime-node)');
    return;
  }
  const reference = await runOrtAllTensors(ort, flags.model_def, inputs);
  const refFile = join(outDir, `${name}_ref_outputs.npz`);
  await saveNpz(refFile, reference);
  const report = compareNpz(topResults, reference, { tolerance, excepts: parseNameList(flags.excepts) });
  process.stdout.write(formatCompareReport(report, { verbose: 1, targetFile: topFile, referenceFile: refFile }));
  if (!report.passed) {
    throw new UserError('E_VERIFY_FAILED', `top model outputs differ from onnxruntime's beyond tolerance ${flags.tolerance}`, `see the comparison above; reference tensors are in ${basename(refFile)}`);
  }
}

const CHOICES: Record<string, readonly string[]> = {
  pixel_format: ['rgb', 'bgr', 'gray', 'rgba', 'gbrg', 'grbg', 'bggr', 'rggb'],
  channel_format: ['nchw', 'nhwc', 'none'],
  keep_ratio_mode: ['letterbox', 'short_side_scale'],
  pad_type: ['center', 'normal'],
};

function checkChoices(flags: TransformFlags): void {
  for (const [flag, allowed] of Object.entries(CHOICES)) {
    const v = (flags as unknown as Record<string, string>)[flag]!;
    if (!allowed.includes(v)) throw new UserError('E_BAD_FLAG', `--${flag} ${v} is not supported`, `use one of: ${allowed.join(', ')}`);
  }
  if (!Number.isInteger(Number(flags.pad_value))) throw new UserError('E_BAD_FLAG', `--pad_value ${flags.pad_value} is not an integer`, 'e.g. --pad_value 114');
}

function preprocessFlags(flags: TransformFlags): Partial<top.InputAttrs> {
  const pixel = flags.pixel_format as top.InputAttrs['pixel_format'];
  const channel = flags.channel_format as top.InputAttrs['channel_format'];
  return {
    pixel_format: pixel,
    channel_format: channel,
    resize_dims: flags.resize_dims ? parseNumberList(flags.resize_dims, 'resize_dims') : undefined,
    keep_aspect_ratio: Boolean(flags.keep_aspect_ratio),
    keep_ratio_mode: flags.keep_ratio_mode,
    pad_value: Number(flags.pad_value),
    pad_type: flags.pad_type as top.InputAttrs['pad_type'],
    mean: parseNumberList(flags.mean, 'mean'),
    scale: parseNumberList(flags.scale, 'scale'),
  };
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
