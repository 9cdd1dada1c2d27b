// The models the sample programs take (TPU-MLIR's samples take .mlir, .onnx, .bmodel): a top or
// tpu .mlir with its weight npz beside it, or an .onnx imported on the spot with preprocessing
// given by model_transform's flags. The preprocessing comes from the model's top.Input (mlir) or
// from the flags and the command's defaults (onnx).
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { preprocessConfig, preprocessFromInputOp, type PreprocessConfig, type PreprocessInput } from '@tpu-quant/calib';
import '@tpu-quant/chip-bm168x'; // registers the tpu dialect and its kernels, so tpu .mlir files parse and run
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { runPipeline, UserError, type Module, type Op, type TensorType } from '@tpu-quant/ir';
import { parseNumberList, parseShapeList } from '../flags.js';
import { loadBmodelProgram } from '../bmodel-files.js';
import { inputOps, loadMlirModule } from '../model-files.js';
import { customizationFormat, fusedFormatOf } from './raw-input.js';

export type SampleModelKind = 'top' | 'tpu' | 'onnx';

export interface SampleModel {
  readonly module: Module;
  readonly kind: SampleModelKind;
  /** the single image input: its name and static shape */
  readonly inputName: string;
  readonly inputShape: readonly number[];
  readonly preprocess: PreprocessConfig;
  /**
   * Deployed with --fuse_preprocess: the model takes raw uint8 pixels in this customization_format
   * at resize_dims and crops to [netH, netW] itself.
   */
  readonly fused?: { readonly format: string; readonly netH: number; readonly netW: number };
}

/** model_transform's preprocessing flags, as the sample commands accept them for .onnx models. */
export interface PreprocessFlags {
  input_shapes?: string;
  resize_dims?: string;
  keep_aspect_ratio?: boolean;
  keep_ratio_mode?: string;
  mean?: string;
  scale?: string;
  pixel_format?: string;
  pad_value?: string;
  pad_type?: string;
}

const PREPROCESS_FLAGS = ['input_shapes', 'resize_dims', 'keep_aspect_ratio', 'keep_ratio_mode', 'mean', 'scale', 'pixel_format', 'pad_value', 'pad_type'] as const;

/** The command's preprocessing for an .onnx model when flags leave it open (net input [N,C,H,W]). */
export type OnnxDefaults = (shape: readonly number[]) => PreprocessInput;

export async function loadSampleModel(path: string, flags: PreprocessFlags, defaults: OnnxDefaults): Promise<SampleModel> {
  const ext = extname(path).toLowerCase();
  if (!['.mlir', '.onnx', '.bmodel'].includes(ext)) {
    throw new UserError('E_UNSUPPORTED_MODEL', `cannot run ${path}: unknown model type "${ext || '(no extension)'}"`, 'use a top or tpu .mlir (model_transform / model_deploy), an .onnx or a .bmodel');
  }
  if (!existsSync(path)) throw new UserError('E_MODEL', `model ${path} does not exist`, 'check the path');
  if (ext === '.mlir' || ext === '.bmodel') {
    const given = PREPROCESS_FLAGS.filter((f) => flags[f] !== undefined).map((f) => `--${f}`);
    if (given.length > 0) {
      throw new UserError('E_BAD_FLAG', `${given.join(', ')} apply to .onnx models only`, 'a .mlir carries its preprocessing on its top.Input (set it with model_transform)');
    }
    // a .bmodel written by tpu-quant runs the lowered program it carries
    const module = ext === '.bmodel' ? await loadBmodelProgram(path) : await loadMlirModule(path);
    const kind = [...module.allOps()].some((op) => op.type.startsWith('tpu.')) ? 'tpu' : 'top';
    const input = singleImageInput(module, path);
    const format = fusedFormatOf(input.op);
    return { module, kind, ...input, preprocess: preprocessFromInputOp(input.op), ...(format !== undefined && { fused: fusedNet(input.op, format) }) };
  }
  const module = await importOnnxFile(path, {
    modelName: 'sample',
    inputShapes: flags.input_shapes !== undefined ? parseShapeList(flags.input_shapes) : undefined,
  });
  await runPipeline(module, 'canonicalize'); // as model_transform leaves a top module
  const input = singleImageInput(module, path);
  return { module, kind: 'onnx', ...input, preprocess: onnxPreprocess(flags, defaults(input.inputShape)) };
}

/**
 * The net size of a fused model: its input is the resized image, which the fused preprocessing
 * (after a packed->planar Permute) centre-crops with a tpu.Slice when the net is smaller.
 */
function fusedNet(input: Op, format: string): { format: string; netH: number; netW: number } {
  const packed = customizationFormat(format).layout === 'nhwc';
  const shape = (input.result().type as TensorType).shape;
  let v = input.result();
  const next = (t: string) => (v.uses.length === 1 && v.uses[0]!.op.type === t ? v.uses[0]!.op : undefined);
  const permute = packed ? next('tpu.Permute') : undefined;
  if (permute) v = permute.result();
  const crop = next('tpu.Slice');
  const planar = (crop ? crop.result().type as TensorType : undefined)?.shape;
  if (planar) return { format, netH: planar[2]!, netW: planar[3]! };
  return { format, netH: packed ? shape[1]! : shape[2]!, netW: packed ? shape[2]! : shape[3]! };
}

function singleImageInput(module: Module, path: string) {
  const ops = inputOps(module);
  if (ops.length !== 1) {
    throw new UserError('E_UNSUPPORTED_MODEL', `${path} has ${ops.length} inputs; the sample programs feed one image`, 'use a model with a single image input');
  }
  const op = ops[0]!;
  const shape = (op.result().type as TensorType).shape;
  if (shape.length !== 4 || shape.some((d) => !(Number.isInteger(d) && d > 0))) {
    throw new UserError('E_SHAPE', `input "${op.name}" of ${path} has shape [${shape.join(',')}], not a static image shape`, 'give --input_shapes, e.g. [[1,3,224,224]] (for a .mlir: at model_transform)');
  }
  return { op, inputName: op.name ?? 'input', inputShape: shape };
}

/** Flags given win over the command's defaults, field by field. */
function onnxPreprocess(flags: PreprocessFlags, defaults: PreprocessInput): PreprocessConfig {
  const rd = flags.resize_dims !== undefined ? parseNumberList(flags.resize_dims, 'resize_dims') : undefined;
  if (rd !== undefined && (rd.length !== 2 || rd.some((d) => !(Number.isInteger(d) && d > 0)))) {
    throw new UserError('E_BAD_FLAG', `--resize_dims ${flags.resize_dims} is not h,w`, 'e.g. --resize_dims 256,256');
  }
  if (flags.pad_value !== undefined && !Number.isInteger(Number(flags.pad_value))) {
    throw new UserError('E_BAD_FLAG', `--pad_value ${flags.pad_value} is not an integer`, 'e.g. --pad_value 114');
  }
  if (flags.pad_type !== undefined && !['center', 'normal'].includes(flags.pad_type)) {
    throw new UserError('E_BAD_FLAG', `--pad_type ${flags.pad_type} is not supported`, 'use center or normal');
  }
  return preprocessConfig({
    ...defaults,
    ...(rd !== undefined && { resize_dims: [rd[0]!, rd[1]!] as const }),
    ...(flags.keep_aspect_ratio !== undefined && { keep_aspect_ratio: flags.keep_aspect_ratio }),
    ...(flags.keep_ratio_mode !== undefined && { keep_ratio_mode: flags.keep_ratio_mode }),
    ...(flags.mean !== undefined && { mean: parseNumberList(flags.mean, 'mean') }),
    ...(flags.scale !== undefined && { scale: parseNumberList(flags.scale, 'scale') }),
    ...(flags.pixel_format !== undefined && { pixel_format: flags.pixel_format }),
    ...(flags.pad_value !== undefined && { pad_value: Number(flags.pad_value) }),
    ...(flags.pad_type !== undefined && { pad_type: flags.pad_type as 'center' | 'normal' }),
  });
}
