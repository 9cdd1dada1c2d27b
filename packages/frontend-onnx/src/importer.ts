// ONNX graph -> top dialect module. Inputs become top.Input ops named by the input; nodes are
// visited in topological order and either folded to constants or converted to top ops (every
// result typed with a static shape by the op table's shape functions); constants that ops read
// become top.Weight ops named by their tensor, with float32 data in module.weights.
import {
  Func, Module, Op, OpBuilder, UserError, nameLoc, stringAttr, tensorType, top, f32, i32, i64, f16, i8, ui8, i1,
  type ElementType, type Value,
} from '@tpu-quant/ir';
import { constOf, toWeightArray, type ConstTensor } from './const-tensor.js';
import { evaluateNode } from './constant-folding.js';
import type { GraphState } from './converters/context.js';
import { NodeContext } from './converters/context.js';
import { CONVERTERS } from './converters/index.js';
import { convertible, predictConstants, prepareGraph, type GraphInput } from './graph.js';
import type { TensorSource } from './model-loader.js';
import { NodeAttrs, nodeError, nodeLabel } from './node-attrs.js';
import { FUSED_CONVERTERS } from './onnx-opt/converters.js';
import { optimizeOnnxGraph } from './onnx-opt/index.js';
import { lazyConstants } from './onnx-opt/lazy-constants.js';
import { OnnxDataType as DataType, type ModelProto } from '@tpu-quant/ir';

for (const op of Object.keys(CONVERTERS)) convertible.add(op);

export interface OnnxImportOptions {
  /** Model name: the module's symbol name and the prefix of its weight file. */
  readonly modelName: string;
  /** Shapes of the graph inputs, in order (TPU-MLIR's --input_shapes); fixes dynamic dims. */
  readonly inputShapes?: readonly (readonly number[])[];
  /** Element types of the inputs (float32 default; int32, int64, ...), TPU-MLIR's --input_types. */
  readonly inputTypes?: readonly string[];
  /** Cut the graph at these tensors (TPU-MLIR's --output_names). */
  readonly outputNames?: readonly string[];
  /** Preprocessing attributes put on every image-like top.Input (deploy spec 1.3). */
  readonly preprocess?: Partial<top.InputAttrs>;
  /** Apply TPU-MLIR's OnnxOpt fusions (LayerNorm, GELU, HardSigmoid, HardSwish); default true. */
  readonly fusePatterns?: boolean;
}

const INPUT_TYPES: Record<string, ElementType> = {
  float32: f32, f32, float16: f16, f16, int32: i32, i32, int64: i64, i64, int8: i8, i8, uint8: ui8, u8: ui8, bool: i1,
};

export function importModel(model: ModelProto, opts: OnnxImportOptions, src: TensorSource = {}): Module {
  const name = opts.modelName;
  const g = prepareGraph(model, name, opts.outputNames, src);
  const shapes = resolveInputShapes(g.inputs, opts.inputShapes, name);

  const module = new Module(name, {
    'module.chip': stringAttr('ALL'),
    'module.platform': stringAttr('ONNX'),
    'module.state': stringAttr('TOP_F32'),
    'module.top_run_mode': stringAttr('STATIC'),
    'module.weight_file': stringAttr(`${name}_top_f32_all_weight.npz`),
  });
  const func = module.addFunc(new Func('main'));
  const b = new OpBuilder(func);
  const weights = new Map<string, Value>();
  const state: GraphState = {
    b,
    values: new Map(),
    consts: g.consts,
    weights,
    weight(wname: string, c: ConstTensor): Value {
      const hit = weights.get(wname);
      if (hit) return hit;
      const v = b.weight(wname, toWeightArray(c));
      weights.set(wname, v);
      return v;
    },
  };

  g.inputs.forEach((inp, i) => {
    const elem = inputElement(inp, opts.inputTypes?.[i], name);
    const arg = func.addArgument(tensorType(shapes[i]!, elem)); // TPU-MLIR leaves argument locations unknown; the Input op carries the name
    const attrs = looksLikeImage(shapes[i]!, opts.preprocess) ? withResizeDims(opts.preprocess ?? {}, shapes[i]!) : {};
    state.values.set(inp.name, top.input(b, { input: arg }, attrs, { loc: inp.name }).result());
  });

  const willFold = predictConstants(g.nodes, new Set(g.consts.keys()));
  const convertNode = (node: (typeof g.nodes)[number]): void => {
    const attrs = new NodeAttrs(node);
    const outs = node.output ?? [];
    try {
      if (outs.every((o) => !o || willFold.has(o))) {
        foldNode(node, attrs, state, g.opset).forEach((c, k) => outs[k] && g.consts.set(outs[k]!, c));
        return;
      }
      const op = node.op_type ?? '';
      (CONVERTERS[op] ?? FUSED_CONVERTERS[op])!(new NodeContext(node, attrs, g.opset, state));
    } catch (e) {
      throw asUserError(e, node);
    }
  };
  // TPU-MLIR's OnnxOpt fusions (LayerNorm, GELU, HardSigmoid, HardSwish chains -> one node).
  const opt = opts.fusePatterns === false
    ? { nodes: g.nodes, fused: new Map() }
    : optimizeOnnxGraph({ nodes: g.nodes, outputs: g.outputs, constantTensors: willFold, constant: lazyConstants(g.nodes, g.consts, willFold, g.opset) });
  const shapeOf = (t: string): readonly number[] | undefined => {
    const v = state.values.get(t);
    return v?.type.kind === 'tensor' ? v.type.shape : undefined;
  };
  for (const node of opt.nodes) {
    const fused = opt.fused.get(node);
    // A fusion whose operands turn out not to fit the shapes keeps its original nodes.
    if (fused?.fits && !fused.fits(shapeOf)) fused.originals.forEach(convertNode);
    else convertNode(node);
  }

  const results = g.outputs.map((o) => {
    const c = g.consts.get(o);
    const v = c ? state.weight(o, c) : state.values.get(o);
    if (!v) throw new UserError('E_OUTPUT_NAME', `output "${o}" of model ${name} is not computed by the graph`, 'check output_names');
    return v;
  });
  func.resultTypes = results.map((v) => v.type);
  func.append(new Op('func.return', { operands: results }));
  checkStatic(func, name);
  return module;
}

function foldNode(node: Parameters<typeof evaluateNode>[0], attrs: NodeAttrs, s: GraphState, opset: number): ConstTensor[] {
  const op = node.op_type;
  if (op === 'Shape' || op === 'Size') {
    const x = node.input?.[0] ?? '';
    const c = s.consts.get(x);
    const v = s.values.get(x);
    const shape = c ? [...c.shape] : v?.type.kind === 'tensor' ? [...v.type.shape] : undefined;
    if (!shape || shape.some((d) => d < 0)) throw nodeError(node, `the shape of "${x}" is not known`);
    if (op === 'Size') return [constOf('int', [], [shape.reduce((a, b) => a * b, 1)])];
    const r = shape.length;
    const norm = (a: number): number => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    return [shapeSlice(shape, norm(attrs.int('start', 0)), norm(attrs.int('end', r)))];
  }
  const ins = (node.input ?? []).map((x) => (x ? s.consts.get(x) : undefined));
  return evaluateNode(node, attrs, ins, opset);
}

function shapeSlice(shape: number[], start: number, end: number): ConstTensor {
  const dims = shape.slice(start, Math.max(start, end));
  return constOf('int', [dims.length], dims);
}

function asUserError(e: unknown, node: Parameters<typeof nodeLabel>[0]): Error {
  if (e instanceof UserError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  // A shape the builders cannot infer comes from the model (or input_shapes): name the node.
  if (msg.startsWith('cannot infer the result types')) {
    return new UserError('E_ONNX_NODE', `node "${nodeLabel(node)}" (${node.op_type}): ${msg.split('\n')[0]}`, 'check the input shapes and the model');
  }
  // Anything else is a bug in a converter: keep its stack, say which node triggered it.
  return new Error(`while importing node "${nodeLabel(node)}" (${node.op_type}): ${msg}`, { cause: e });
}

function resolveInputShapes(inputs: readonly GraphInput[], given: OnnxImportOptions['inputShapes'], model: string): number[][] {
  if (given && given.length > 0 && given.length !== inputs.length) {
    throw new UserError('E_INPUT_SHAPES', `model ${model} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}), input_shapes gives ${given.length} shapes`, 'give one shape per input, e.g. [[1,3,224,224]]');
  }
  return inputs.map((inp, i) => {
    const declared = inp.dims.length === 0 ? [1] : inp.dims;
    const fmt = (d: (number | undefined)[]): string => `[${d.map((x) => x ?? '?').join(',')}]`;
    const g = given?.[i];
    if (g) {
      if (inp.dims.length > 0 && g.length !== declared.length) {
        throw new UserError('E_INPUT_SHAPES', `input "${inp.name}" has rank ${declared.length} ${fmt(declared)}, input_shapes gives ${fmt([...g])}`, 'the shape must have as many dims as the model input');
      }
      if (g.some((d) => !Number.isSafeInteger(d) || d <= 0)) throw new UserError('E_INPUT_SHAPES', `input_shapes for "${inp.name}" has an invalid dim: ${fmt([...g])}`, 'dims must be positive integers');
      return [...g];
    }
    if (declared.some((d) => d === undefined)) {
      throw new UserError('E_INPUT_SHAPES', `input "${inp.name}" of model ${model} has dynamic dims ${fmt(declared)}`, 'fix them with input_shapes, e.g. [[1,3,640,640]]');
    }
    return declared as number[];
  });
}

function inputElement(inp: GraphInput, given: string | undefined, model: string): ElementType {
  if (given !== undefined) {
    const e = INPUT_TYPES[given.toLowerCase()];
    if (!e) throw new UserError('E_INPUT_TYPES', `unknown input type "${given}" for input "${inp.name}" of model ${model}`, `use one of ${Object.keys(INPUT_TYPES).join(', ')}`);
    return e;
  }
  // TPU-MLIR types integer inputs as i32 and everything else as f32.
  return inp.elemType === DataType.INT64 || inp.elemType === DataType.INT32 ? i32 : f32;
}

/** MLIRImporter's test: 4-D with a channel dim of at most 4 (by channel_format), or 3-D. */
function looksLikeImage(shape: readonly number[], pre: OnnxImportOptions['preprocess']): boolean {
  if (!pre || Object.keys(pre).length === 0) return false;
  if (shape.length === 3) return true;
  const c = pre.channel_format === 'nhwc' ? shape[3] : shape[1];
  return shape.length === 4 && c !== undefined && c <= 4;
}

function checkStatic(func: Func, model: string): void {
  for (const op of func.ops) {
    for (const r of op.results) {
      if (r.type.kind === 'tensor' && r.type.shape.some((d) => d < 0)) {
        throw new UserError('E_ONNX_SHAPE', `${op.type} "${op.name ?? '?'}" in model ${model} has a dynamic shape [${r.type.shape.join(',')}]`, 'fix the dynamic input dims with input_shapes');
      }
    }
  }
}

/** TPU-MLIR's default resize_dims is the network's own H,W. */
function withResizeDims(p: NonNullable<OnnxImportOptions['preprocess']>, shape: readonly number[]): NonNullable<OnnxImportOptions['preprocess']> {
  if (p.resize_dims !== undefined || p.channel_format === undefined) return p;
  const hw = p.channel_format === 'nhwc' ? shape.slice(-3, -1) : shape.slice(-2);
  return { ...p, resize_dims: hw };
}
