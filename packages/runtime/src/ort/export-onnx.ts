// top Module -> ONNX ModelProto (opset 17), for onnxruntime. The module is planned as for the js
// backend (func.call bodies inlined, one slot per value) and each step's op becomes ONNX nodes
// through a converter (ops-*.ts); weights become float32 initializers. Shapes in top are static,
// so every shape-dependent quantity (reshape targets, slice ends, split sizes) is a constant.
// Tensors keep their loc names, so captured tensors are named as on the other backends.
import type { Module, ModelProto, NdArray, ValueInfoProto } from '@tpu-quant/ir';
import { encodeOnnxModel, OnnxDataType, UserError } from '@tpu-quant/ir';
import '../kernels/js/index.js'; // buildPlan looks each op's js kernel up
import type { Plan, Step } from '../plan.js';
import { buildPlan, loadConstants } from '../plan.js';
import { toF32 } from '../tensor.js';
import type { AttrValue, OpEmit } from './emitter.js';
import { floatTensor, GraphBuilder, int64Tensor, sameShape, sizeOf, Unsupported } from './emitter.js';
import { ELEMENTWISE_OPS } from './ops-elementwise.js';
import { LAYOUT_OPS } from './ops-layout.js';
import type { Converter } from './ops-nn.js';
import { NN_OPS } from './ops-nn.js';

export const ONNX_OPSET = 17;

const CONVERTERS: ReadonlyMap<string, Converter> = new Map(
  Object.entries({ ...NN_OPS, ...ELEMENTWISE_OPS, ...LAYOUT_OPS }).map(([k, v]) => [`top.${k}`, v]),
);
/** Graph structure rather than computation: inputs, initializers, absent operands. */
const STRUCTURAL = ['top.Input', 'top.Weight', 'top.None'];

/** The top op types the ort backend runs; any other fails the session with E_ORT_UNSUPPORTED. */
export const ORT_OPS: readonly string[] = [...STRUCTURAL, ...CONVERTERS.keys()].sort();

function unsupported(items: readonly string[]): UserError {
  return new UserError(
    'E_ORT_UNSUPPORTED',
    `the ort backend cannot run ${items.length === 1 ? 'this op' : `these ${items.length} ops`}: ${items.join(', ')}`,
    'run the module on the wasm backend (backend: "wasm", --backend wasm)',
  );
}

/** Fails with E_ORT_UNSUPPORTED naming every op type of the module that has no ONNX mapping. */
export function checkOrtSupport(module: Module): void {
  const missing = new Set<string>();
  for (const op of module.allOps()) {
    if (op.dialect !== 'func' && !STRUCTURAL.includes(op.type) && !CONVERTERS.has(op.type)) missing.add(op.type);
  }
  if (missing.size > 0) throw unsupported([...missing].sort());
}

export interface GraphSelection {
  /** Plan steps to export, in order (default: all). */
  readonly steps?: readonly number[];
  /** Slots the graph reads as inputs, with their feed names (default: the plan's inputs). */
  readonly inputs?: readonly { slot: number; name: string }[];
  /** Slots to make graph outputs (one per tensor; an input or a weight returned as is goes through Identity). */
  readonly outputs: readonly number[];
}

export interface ExportedGraph {
  readonly model: ModelProto;
  /** Graph inputs: feed name and the slot each fills. */
  readonly inputs: readonly { name: string; slot: number }[];
  /** Graph outputs: ONNX name and the slot each holds. */
  readonly outputs: readonly { name: string; slot: number }[];
}

function valueInfo(name: string, shape: readonly number[] | undefined): ValueInfoProto {
  const dim = shape?.map((d) => (d >= 0 ? { dim_value: d } : { dim_param: '?' }));
  return { name, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, ...(dim ? { shape: { dim } } : {}) } } };
}

/** Exports part of a plan (a selection of steps) as one ONNX graph. */
export function exportPlan(plan: Plan, weights: ReadonlyMap<string, NdArray>, sel: GraphSelection, graphName = 'main'): ExportedGraph {
  const g = new GraphBuilder();
  const slotName = new Map<number, string>();
  const slotShape = new Map<number, readonly number[] | undefined>();
  const constStep = new Map<number, Step>();
  for (const inp of plan.inputs) slotShape.set(inp.slot, inp.type?.shape);
  for (const s of plan.steps) {
    s.outputs.forEach((o, k) => {
      slotShape.set(o, s.outputTypes[k]?.shape);
      if (s.constant) constStep.set(o, s);
    });
  }

  const inputs = (sel.inputs ?? plan.inputs).map(({ slot, name }) => {
    const n = g.claim(name);
    slotName.set(slot, n);
    return { name: n, slot };
  });
  const fed = new Set(inputs.map((i) => i.name));

  /** A slot's tensor name; a weight's initializer is added on first use. */
  const nameOf = (slot: number): string => {
    const known = slotName.get(slot);
    if (known !== undefined) return known;
    const c = constStep.get(slot);
    if (!c) throw new Error(`ONNX export: slot ${slot} is read before it is made`);
    if (c.op.type === 'top.None') return '';
    const data = weights.get(c.names[0]!)!;
    const declared = slotShape.get(slot);
    const shape = declared && sizeOf(declared) === data.data.length ? declared : data.shape;
    const n = g.addInitializer(floatTensor(g.claim(c.names[0]!), shape, data.data as Float32Array));
    slotName.set(slot, n);
    return n;
  };

  const problems = new Map<string, string>();
  for (const i of sel.steps ?? plan.steps.keys()) {
    const s = plan.steps[i]!;
    if (s.constant) continue;
    if (s.op.type === 'top.Input') {
      slotName.set(s.outputs[0]!, nameOf(s.inputs[0]!));
      continue;
    }
    const outs = s.outputs.map((o, k) => (s.outputTypes[k] ? g.claim(s.names[k] ?? `_ort_v${o}`) : ''));
    const convert = CONVERTERS.get(s.op.type);
    const start = g.nodes.length;
    try {
      if (!convert) throw new Unsupported('');
      convert(opEmit(g, s, outs, start, nameOf, slotShape, constStep, weights));
      const made = new Set(g.nodes.slice(start).flatMap((n) => n.output ?? []));
      const lost = outs.filter((n) => n !== '' && !made.has(n));
      if (lost.length > 0) throw new Error(`ONNX export of ${s.op.type} "${s.op.name ?? '?'}" did not write ${lost.join(', ')}`);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      if (!problems.has(s.op.type)) problems.set(s.op.type, err.message ? `${s.op.type} (${err.message}, "${s.op.name ?? '?'}")` : s.op.type);
      g.nodes.length = start;
    }
    s.outputs.forEach((o, k) => outs[k] && slotName.set(o, outs[k]));
  }
  if (problems.size > 0) throw unsupported([...problems.keys()].sort().map((k) => problems.get(k)!));

  const initialized = new Set(g.initializers.map((t) => t.name));
  const outputs: { name: string; slot: number }[] = [];
  const seen = new Set<string>();
  for (const slot of sel.outputs) {
    let n = slotName.get(slot);
    if (n === undefined || n === '' || seen.has(n)) continue;
    seen.add(n);
    if (fed.has(n) || initialized.has(n)) {
      // an input or a weight returned as is: ONNX outputs are node outputs
      const copy = g.claim(`${n}_output`);
      g.node('Identity', [n], [copy]);
      n = copy;
    }
    outputs.push({ name: n, slot });
  }
  const model: ModelProto = {
    ir_version: 8,
    producer_name: 'tpu-quant',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: graphName,
      node: g.nodes,
      initializer: g.initializers,
      input: inputs.map((inp) => valueInfo(inp.name, slotShape.get(inp.slot))),
      output: outputs.map((o) => valueInfo(o.name, slotShape.get(o.slot))),
    },
  };
  return { model, inputs, outputs };
}

/** The converter's view of step `s`, whose results are named `outs` and whose nodes start at `start`. */
function opEmit(
  g: GraphBuilder, s: Step, outs: readonly string[], start: number, nameOf: (slot: number) => string,
  slotShape: ReadonlyMap<number, readonly number[] | undefined>, constStep: ReadonlyMap<number, Step>,
  weights: ReadonlyMap<string, NdArray>,
): OpEmit {
  const node = (type: string, inputs: readonly string[], outputs: readonly string[] | number, attrs?: Record<string, AttrValue | undefined>): string[] => {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => g.tmp()) : [...outputs];
    g.node(type, inputs, names, attrs);
    return names;
  };
  const constant = (i: number): NdArray<'f32'> | undefined => {
    const c = constStep.get(s.inputs[i]!);
    return c?.op.type === 'top.Weight' ? (weights.get(c.names[0]!) as NdArray<'f32'>) : undefined;
  };
  const inShape = (i: number): readonly number[] | undefined => slotShape.get(s.inputs[i]!);
  /** Replaces tensor `from` by `to` in this op's nodes (a result made under a temporary name). */
  const rename = (from: string, to: string): void => {
    for (const n of g.nodes.slice(start)) {
      n.input = n.input?.map((x) => (x === from ? to : x));
      n.output = n.output?.map((x) => (x === from ? to : x));
      if (n.name === from) n.name = to;
    }
  };
  const e: OpEmit = {
    op: s.op,
    g,
    arity: s.inputs.length,
    results: s.outputs.length,
    input: (i) => nameOf(s.inputs[i]!),
    inShape,
    constant,
    intInput: (i) => {
      const w = constant(i);
      if (w) return g.addInitializer(int64Tensor(g.tmp('idx'), inShape(i) ?? w.shape, Array.from(w.data)));
      return e.node1('Cast', [e.input(i)], { to: { i: OnnxDataType.INT64 } });
    },
    output: (k = 0) => {
      const n = outs[k];
      if (!n) throw new Unsupported(`result ${k} has no tensor type`);
      return n;
    },
    outShape: (k = 0) => s.outputTypes[k]?.shape,
    node,
    node1: (type, inputs, attrs) => node(type, inputs, 1, attrs)[0]!,
    finish: (x, shape, k = 0) => {
      const out = e.output(k);
      const want = e.outShape(k)!;
      if (want.some((d) => d < 0)) throw new Unsupported(`result ${k} has a dynamic shape`);
      if (sameShape(shape, want)) {
        const madeHere = g.nodes.slice(start).some((n) => n.output?.includes(x));
        if (madeHere) rename(x, out);
        else g.node('Identity', [x], [out]);
      } else if (sizeOf(shape) === sizeOf(want)) {
        g.node('Reshape', [x, g.ints(want)], [out], want.includes(0) ? { allowzero: { i: 1 } } : {});
      } else {
        g.node('Expand', [x, g.ints(want)], [out]);
      }
    },
  };
  return e;
}

export interface ExportOnnxOptions {
  /** Also make these tensors graph outputs (by name), or every activation. */
  readonly capture?: 'all' | readonly string[];
}

/** Slots of the captured tensors: every named activation for 'all', else those named. */
export function captureSlots(plan: Plan, capture: 'all' | readonly string[] | undefined, steps?: readonly number[]): number[] {
  if (!capture) return [];
  const wanted = capture === 'all' ? undefined : new Set(capture);
  const out: number[] = [];
  for (const i of steps ?? plan.steps.keys()) {
    const s = plan.steps[i]!;
    // inputs are the caller's own data
    if (s.constant || s.op.type === 'top.Input') continue;
    s.outputs.forEach((o, k) => {
      const n = s.names[k];
      if (n !== undefined && s.outputTypes[k] && (!wanted || wanted.has(n))) out.push(o);
    });
  }
  return out;
}

/**
 * A float top module as ONNX ModelProto bytes (opset 17): graph inputs are the top.Input names,
 * outputs what @main returns (plus `capture`d tensors), weights float32 initializers, so it runs in
 * onnxruntime or any ONNX tool. Ops without a mapping fail with E_ORT_UNSUPPORTED; weights must be
 * loaded (E_MISSING_WEIGHT).
 */
export function exportOnnx(module: Module, opts: ExportOnnxOptions = {}): Uint8Array {
  checkOrtSupport(module);
  const plan = buildPlan(module, 'js');
  const weights = loadConstants(module, plan, toF32);
  const outputs = [...plan.outputs.map((o) => o.slot), ...captureSlots(plan, opts.capture)];
  return encodeOnnxModel(exportPlan(plan, weights, { outputs }, module.modelName ?? 'main').model);
}
