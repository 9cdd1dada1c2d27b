// The framework reference TPU-MLIR's model_transform compares against: the original ONNX model
// run in onnxruntime-node (an optional peer dependency), with every node output added as a
// graph output so that each intermediate tensor can be compared by name.
import { readFile } from 'node:fs/promises';
import { decodeOnnxModel, encodeOnnxModel, type ModelProto } from '@tpu-quant/frontend-onnx';
import { ndarray, UserError, type DType, type NdArray, type TypedArrayOf } from '@tpu-quant/ir';

type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node when installed, else undefined. */
export async function loadOrt(): Promise<Ort | undefined> {
  try {
    return await import('onnxruntime-node');
  } catch {
    return undefined;
  }
}

const FROM_ORT: Record<string, DType> = {
  float32: 'f32', float64: 'f64', float16: 'f16', int8: 'i8', uint8: 'u8', int16: 'i16', uint16: 'u16',
  int32: 'i32', uint32: 'u32', int64: 'i64', uint64: 'u64', bool: 'bool',
};
const TO_ORT: Partial<Record<DType, string>> = {
  f32: 'float32', f64: 'float64', f16: 'float16', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32', u32: 'uint32',
  i64: 'int64', u64: 'uint64', bool: 'bool',
};

/**
 * Runs `modelPath` on `inputs` and returns every tensor ORT computes (graph outputs and every
 * node output), keyed by ONNX tensor name, in node order; with `all: false`, the graph outputs.
 */
export async function runOrtAllTensors(
  ort: Ort,
  modelPath: string,
  inputs: ReadonlyMap<string, NdArray>,
  { all = true }: { all?: boolean } = {},
): Promise<Map<string, NdArray>> {
  const model: ModelProto = decodeOnnxModel(new Uint8Array(await readFile(modelPath)), modelPath);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  graph.output ??= [];
  const graphOutputs = graph.output.map((o) => o.name ?? '');
  const declared = new Set(graphOutputs);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const node of all ? nodes : []) {
    for (const name of node.output ?? []) {
      if (name && !declared.has(name) && !initializers.has(name)) {
        graph.output.push({ name });
        declared.add(name);
      }
    }
  }
  const session = await ort.InferenceSession.create(encodeOnnxModel(model), { graphOptimizationLevel: 'disabled' });
  try {
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const name of session.inputNames) {
      const a = inputs.get(name);
      if (!a) throw new UserError('E_INPUT', `no data for input "${name}" of ${modelPath}`, `the inputs given hold: ${[...inputs.keys()].join(', ') || 'nothing'}`);
      const type = TO_ORT[a.dtype];
      if (!type) throw new UserError('E_INPUT', `input "${name}" is ${a.dtype}, which onnxruntime cannot take`, 'save the input as float32');
      feeds[name] = new ort.Tensor(type as 'float32', a.data as Float32Array, [...a.shape]);
    }
    const results = await session.run(feeds);
    const out = new Map<string, NdArray>();
    // TPU-MLIR names the op of ONNX output `t` made by node type `T` `t_T`; the reference is
    // keyed the same way so that the two npz files compare by name.
    const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n.op_type ?? ''] as const)));
    const order = all ? nodes.flatMap((n) => n.output ?? []) : graphOutputs;
    for (const name of order) {
      const t = results[name];
      if (!t) continue;
      const dtype = FROM_ORT[t.type];
      if (!dtype) continue; // strings and the like have no npz form here
      const key = producer.has(name) ? `${name}_${producer.get(name)}` : name;
      out.set(key, ndarray(dtype, t.dims.map(Number), t.data as TypedArrayOf<typeof dtype>));
    }
    return out;
  } finally {
    await session.release();
  }
}
