// Ops that move data: Reshape, Flatten, Transpose, (Un)Squeeze, Concat, Split, Slice, Gather,
// Pad, Expand, Tile, plus the pass-through ops (Identity, Dropout, Cast) and BatchNormalization /
// reductions (OnnxConverter: convert_reshape_op ... convert_batchnorm_op, convert_reduce_op).
import { top, type Value } from '@tpu-quant/ir';
import { constOf, numel, toNumbers, type ConstTensor } from '../const-tensor.js';
import { axesOf, sliceParams } from '../constant-folding.js';
import type { Converter, NodeContext } from './context.js';

const passThrough: Converter = (ctx) => {
  if (ctx.opType === 'Dropout' && ctx.outputUsed(1)) throw ctx.unsupported('with a mask output');
  ctx.setOutput(ctx.value(0));
};

const reshape: Converter = (ctx) => {
  const target = toNumbers(ctx.requiredParam(1, 'shape'));
  if (ctx.attrs.int('allowzero', 0) !== 0 && target.includes(0)) throw ctx.unsupported('with allowzero and a 0 dim');
  ctx.setOutput(top.reshape(ctx.b, { input: ctx.value(0) }, { shape: target }, { loc: ctx.loc() }));
};

/** Flatten: top.Flatten keeps the leading axes apart, so only axis 1 maps to it; others reshape to ONNX's 2-D result. */
const flatten: Converter = (ctx) => {
  const shape = ctx.shape(0);
  let axis = ctx.attrs.int('axis', 1);
  if (axis < 0) axis += shape.length;
  if (axis === 1) return ctx.setOutput(top.flatten(ctx.b, { input: ctx.value(0) }, { start_dim: 1 }, { loc: ctx.loc() }));
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis).reduce((a, b) => a * b, 1);
  ctx.setOutput(top.reshape(ctx.b, { input: ctx.value(0) }, { shape: [outer, inner] }, { loc: ctx.loc() }));
};

const transpose: Converter = (ctx) => {
  const rank = ctx.shape(0).length;
  const order = ctx.attrs.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  ctx.setOutput(top.permute(ctx.b, { input: ctx.value(0) }, { order }, { loc: ctx.loc() }));
};

const squeeze: Converter = (ctx) => {
  const axes = axesOf(ctx.params(['axes']), ctx.attrs) ?? [];
  ctx.setOutput(top.squeeze(ctx.b, { input: ctx.value(0) }, { axes }, { loc: ctx.loc() }));
};

const unsqueeze: Converter = (ctx) => {
  const axes = axesOf(ctx.params(['axes']), ctx.attrs) ?? [];
  ctx.setOutput(top.unsqueeze(ctx.b, { input: ctx.value(0) }, { axes }, { loc: ctx.loc() }));
};

/**
 * Concat: runs of constant inputs merge into one weight, named as OnnxConverter names it
 * ("<first>_<second>..._weight", "<tensor>_<out>_weight" for a single one, "<out>_weight" at the end).
 */
const concat: Converter = (ctx) => {
  const rank = ctx.shape(0).length;
  let axis = ctx.attrs.int('axis', 1);
  if (axis < 0) axis += rank;
  const operands: Value[] = [];
  let pending: { c: ConstTensor; name: string; count: number } | undefined;
  const flush = (name: string): void => {
    operands.push(ctx.weight(name, pending!.c));
    pending = undefined;
  };
  for (let i = 0; i < ctx.numInputs; i++) {
    if (ctx.isConst(i)) {
      const c = ctx.constant(i);
      if (c.shape.length === 1 && c.shape[0] === 0) continue;
      pending = pending
        ? { c: concatConst(pending.c, c, axis), name: `${pending.name}_${ctx.input(i)}`, count: pending.count + 1 }
        : { c, name: ctx.input(i), count: 1 };
      continue;
    }
    if (pending) flush(pending.count === 1 ? `${pending.name}_${ctx.name}_weight` : `${pending.name}_weight`);
    operands.push(ctx.value(i));
  }
  if (pending) flush(`${ctx.name}_weight`);
  if (operands.length === 1) return ctx.setOutput(operands[0]!);
  ctx.setOutput(top.concat(ctx.b, { inputs: operands }, { axis }, { loc: ctx.loc() }));
};

function concatConst(a: ConstTensor, b: ConstTensor, axis: number): ConstTensor {
  const outer = a.shape.slice(0, axis).reduce((x, y) => x * y, 1);
  const ca = a.data.length / outer;
  const cb = b.data.length / outer;
  const out = new Float32Array(a.data.length + b.data.length);
  for (let p = 0; p < outer; p++) {
    out.set(a.data.subarray(p * ca, (p + 1) * ca), p * (ca + cb));
    out.set(b.data.subarray(p * cb, (p + 1) * cb), p * (ca + cb) + ca);
  }
  const shape = [...a.shape];
  shape[axis] = a.shape[axis]! + b.shape[axis]!;
  return constOf('float', shape, out);
}

/** Split: one top.Split with a fused location "<out_i>_Split" per output. */
const split: Converter = (ctx) => {
  const outs = ctx.node.output ?? [];
  const num = outs.length;
  const shape = ctx.shape(0);
  let axis = ctx.attrs.int('axis', 0);
  if (axis < 0) axis += shape.length;
  const given = ctx.param(1, 'split');
  let sizes = given ? toNumbers(given) : ctx.attrs.ints('split');
  if (sizes && sizes.length === 0) sizes = undefined;
  const op = top.split(
    ctx.b,
    { input: ctx.value(0) },
    { axis, num, ...(sizes ? { split_size: sizes } : {}) },
    { loc: ctx.fusedLoc(outs.map((o) => `${o}_${ctx.opType}`)) },
  );
  outs.forEach((_, i) => ctx.setOutput(op.result(i), i));
};

/** TPU-MLIR clamps INT64_MAX ends to INT32_MAX - 1024; we also keep INT64_MIN-like starts in i32 range. */
function clampIndex(v: number): number {
  const big = 2 ** 31 - 1 - 1024;
  return v > big ? big : v < -big ? -big : v;
}

const slice: Converter = (ctx) => {
  const rank = ctx.shape(0).length;
  const p = sliceParams(ctx.params(['starts', 'ends', 'axes', 'steps']), ctx.attrs, ctx.opset, rank, ctx.node);
  const op = top.slice(
    ctx.b,
    { input: ctx.value(0) },
    { offset: p.starts.map(clampIndex), ends: p.ends.map(clampIndex), steps: p.steps, axes: p.axes },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

/** Gather: a rank-0 index drops the axis (keepdims false), as OnnxConverter decides it. */
const gather: Converter = (ctx) => {
  const scalarIndex = ctx.isConst(1) && ctx.constant(1).shape.length === 0;
  const op = top.gather(
    ctx.b,
    { input: ctx.value(0), indices: ctx.value(1) },
    { axis: ctx.attrs.int('axis', 0), keepdims: !scalarIndex },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

/** Pad: paddings from the attribute (opset < 11) or the constant input; ONNX's order is already top.Pad's. */
const pad: Converter = (ctx) => {
  const mode = ctx.attrs.str('mode', 'constant') || 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw ctx.unsupported(`with mode "${mode}"`, 'supported modes: constant, reflect, edge');
  const rank = ctx.shape(0).length;
  let pads = ctx.opset < 11 ? ctx.attrs.ints('pads', []) : toNumbers(ctx.requiredParam(1, 'pads'));
  const padAxes = ctx.opset >= 18 ? ctx.param(3, 'axes') : undefined;
  if (padAxes) {
    // axes (opset 18): expand to every axis.
    const axes = toNumbers(padAxes).map((a) => (a < 0 ? a + rank : a));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i]!;
      full[a + rank] = pads[i + axes.length]!;
    });
    pads = full;
  }
  const val = ctx.opset < 11 ? ctx.attrs.float('value', 0) : ctx.param(2, 'constant_value')?.data[0] ?? 0;
  ctx.setOutput(top.pad(ctx.b, { input: ctx.value(0) }, { paddings: pads, val, mode }, { loc: ctx.loc() }));
};

const expand: Converter = (ctx) => {
  ctx.setOutput(top.expand(ctx.b, { input: ctx.value(0) }, { shape: toNumbers(ctx.requiredParam(1, 'shape')) }, { loc: ctx.loc() }));
};

const tile: Converter = (ctx) => {
  const t = toNumbers(ctx.requiredParam(1, 'repeats'));
  if (t.every((v) => v === 1)) return ctx.setOutput(ctx.value(0));
  ctx.setOutput(top.tile(ctx.b, { input: ctx.value(0) }, { tile: t }, { loc: ctx.loc() }));
};

/** Reductions: axes from the attribute or (ReduceSum >= 13, the others >= 18) the input; sorted. */
const reduce: Converter = (ctx) => {
  const rank = ctx.shape(0).length;
  let axes = (axesOf(ctx.params(['axes']), ctx.attrs) ?? []).map((a) => (a < 0 ? a + rank : a));
  if (axes.length === 0) {
    if (ctx.attrs.int('noop_with_empty_axes', 0) !== 0) return ctx.setOutput(ctx.value(0));
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  axes.sort((a, b) => a - b);
  const mode = ctx.opType as 'ReduceMean';
  const op = top.reduce(ctx.b, { input: ctx.value(0) }, { axes, keepdims: ctx.attrs.int('keepdims', 1) !== 0, mode }, { loc: ctx.loc() });
  ctx.setOutput(op);
};

/** BatchNormalization stays top.BatchNorm (operands mean, variance, gamma, beta), as OnnxConverter emits it. */
const batchNorm: Converter = (ctx) => {
  if ((ctx.node.output ?? []).slice(1).some((o) => o)) throw ctx.unsupported('in training mode (extra outputs)');
  // training_mode (opset 14) normalizes with the batch's own statistics, not the running ones.
  if (ctx.attrs.int('training_mode', 0) !== 0) throw ctx.unsupported('in training mode', 'export the model in eval mode');
  const op = top.batchNorm(
    ctx.b,
    { input: ctx.value(0), mean: ctx.value(3), variance: ctx.value(4), gamma: ctx.value(1), beta: ctx.value(2) },
    { epsilon: ctx.attrs.float('epsilon', 1e-5) },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

/**
 * LayerNormalization as convert_layer_norm_op: axis made non-negative, normalized_shape = the
 * input's dims from axis on, weight/bias (constants) retyped to [1, ..., 1, dims from axis on]
 * (the input's rank; same weight names); an all-ones weight or all-zeros bias is dropped.
 * Upstream's isScalar_ also drops any one-element weight whatever its value; we drop only
 * a true 1 / 0, so the result stays the same.
 */
const layerNorm: Converter = (ctx) => {
  if ((ctx.node.output ?? []).slice(1).some((o) => o)) throw ctx.unsupported('with Mean / InvStdDev outputs');
  const shape = ctx.shape(0);
  let axis = ctx.attrs.int('axis', -1);
  if (axis < 0) axis += shape.length;
  if (axis < 0 || axis >= shape.length) throw ctx.fail(`axis ${ctx.attrs.int('axis', -1)} is out of range for rank ${shape.length}`);
  const wbShape = shape.map((d, i) => (i < axis ? 1 : d));
  const affine = (i: number, dropValue: number): Value | undefined => {
    if (!ctx.hasInput(i)) return undefined;
    if (!ctx.isConst(i)) return ctx.value(i);
    const c = ctx.constant(i);
    if (c.data.every((v) => v === dropValue)) return undefined;
    if (c.data.length !== numel(wbShape)) return ctx.value(i); // a broadcasting one keeps its shape
    return ctx.weight(ctx.input(i), constOf('float', wbShape, c.data));
  };
  const op = top.layerNorm(
    ctx.b,
    { input: ctx.value(0), weight: affine(1, 1), bias: affine(2, 0) },
    { normalized_shape: shape.slice(axis), axis, eps: ctx.attrs.float('epsilon', 1e-5) },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

export const layoutConverters: Record<string, Converter> = {
  Identity: passThrough,
  Dropout: passThrough,
  // A Cast of a computed tensor changes nothing in the top dialect (all float), as in OnnxConverter.
  Cast: passThrough,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Pad: pad,
  Expand: expand,
  Tile: tile,
  ReduceMean: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceSum: reduce,
  ReduceProd: reduce,
  ReduceL1: reduce,
  ReduceL2: reduce,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
};
