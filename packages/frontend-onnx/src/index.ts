// @tpu-quant/frontend-onnx: ONNX models to the top dialect of TPU-MLIR, as model_transform's
// OnnxConverter imports them (with constant folding of shape subgraphs done in TypeScript).
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { decodeOnnxModel, decodeOnnxTensorProto, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { FOLDABLE_OPS } from './constant-folding.js';
import { CONVERTERS } from './converters/index.js';
import { importModel, type OnnxImportOptions } from './importer.js';
import { tensorToConst } from './model-loader.js';
import { toWeightArray } from './const-tensor.js';

export type { OnnxImportOptions } from './importer.js';
// The ONNX protobuf codec lives in ir (shared with the runtime's ONNX exporter); re-exported here.
export type {
  AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
  TensorShapeDim, TypeProto, ValueInfoProto,
} from '@tpu-quant/ir';
export { OnnxDataType as DataType, decodeOnnxModel, encodeOnnxModel, decodeOnnxTensorProto } from '@tpu-quant/ir';
export { listOnnxOps } from './graph.js';

/** A serialized TensorProto as TPU-MLIR would hold it: its name and float32 data. */
export function decodeOnnxTensor(bytes: Uint8Array, source = 'tensor'): { name: string; array: NdArray<'f32'> } {
  const t = decodeOnnxTensorProto(bytes, source);
  return { name: t.name ?? '', array: toWeightArray(tensorToConst(t, {}, source)) };
}

/**
 * ONNX op types the importer handles: converted to top ops, or (for shape computations such as
 * Shape, ConstantOfShape, Range, Equal, Where) evaluated when their inputs are constant.
 */
/** ONNX op types converted to top ops (the rest of SUPPORTED_ONNX_OPS only fold on constants). */
export const CONVERTED_ONNX_OPS: readonly string[] = Object.keys(CONVERTERS).sort();

export const SUPPORTED_ONNX_OPS: readonly string[] = [...new Set([...Object.keys(CONVERTERS), ...FOLDABLE_OPS])].sort();

/** Imports an ONNX model held in memory (external data cannot be resolved: use importOnnxFile). */
export function importOnnx(bytes: Uint8Array, opts: OnnxImportOptions): Module {
  return importModel(decodeOnnxModel(bytes, opts.modelName), opts);
}

/** Imports an ONNX file; external tensor data is read relative to the file's folder. */
export async function importOnnxFile(path: string, opts: OnnxImportOptions): Promise<Module> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UserError('E_FILE', `cannot read ONNX model ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'check the --model_def path');
  }
  return importModel(decodeOnnxModel(bytes, basename(path)), opts, { baseDir: dirname(path) });
}
