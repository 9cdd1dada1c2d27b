// Conv, ConvTranspose, pooling, Gemm and MatMul (OnnxConverter: convert_conv_op,
// convert_conv_transpose_op, convert_maxpool_op / convert_avgpool_op / convert_global_*_op,
// convert_gemm_op).
import { top } from '@tpu-quant/ir';
import { constOf, numel, type ConstTensor } from '../const-tensor.js';
import type { Converter, NodeContext } from './context.js';

type AutoPad = 'SAME_UPPER' | 'SAME_LOWER' | 'NOTSET' | 'VALID';

function autoPad(ctx: NodeContext): AutoPad {
  const p = ctx.attrs.str('auto_pad', 'NOTSET') || 'NOTSET';
  if (p !== 'NOTSET' && p !== 'SAME_UPPER' && p !== 'SAME_LOWER' && p !== 'VALID') throw ctx.fail(`unknown auto_pad "${p}"`);
  return p;
}

const conv: Converter = (ctx) => {
  const w = ctx.shape(1);
  const kernel = ctx.attrs.ints('kernel_shape') ?? w.slice(2);
  const dim = kernel.length;
  const op = top.conv(
    ctx.b,
    { input: ctx.value(0), filter: ctx.value(1), bias: ctx.hasInput(2) ? ctx.value(2) : undefined },
    {
      kernel_shape: kernel,
      strides: ctx.attrs.ints('strides', ones(dim)),
      dilations: ctx.attrs.ints('dilations', ones(dim)),
      auto_pad: autoPad(ctx),
      pads: ctx.attrs.ints('pads', zeros(2 * dim)),
      group: ctx.attrs.int('group', 1),
      weight_is_coeff: ctx.isConst(1) ? 1 : 0,
      do_relu: false,
    },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

/**
 * ConvTranspose: ONNX filters are [ic, oc/g, k...]; TPU-MLIR reorders a constant filter in place
 * (same weight name) to [oc, ic, k...] for group 1, and to [oc/g, ic, k...] for groups.
 */
const convTranspose: Converter = (ctx) => {
  if (ctx.attrs.has('output_shape')) throw ctx.unsupported('with output_shape', 'export the model with explicit pads');
  if (autoPad(ctx) !== 'NOTSET') throw ctx.unsupported('with auto_pad', 'export the model with explicit pads');
  const group = ctx.attrs.int('group', 1);
  const filter = ctx.isConst(1) ? ctx.weight(ctx.input(1), reorderDeconvFilter(ctx.constant(1), group)) : ctx.value(1);
  const ws = ctx.shape(1);
  const kernel = ctx.attrs.ints('kernel_shape') ?? ws.slice(2);
  const dim = kernel.length;
  const op = top.deconv(
    ctx.b,
    { input: ctx.value(0), filter, bias: ctx.hasInput(2) ? ctx.value(2) : undefined },
    {
      kernel_shape: kernel,
      strides: ctx.attrs.ints('strides', ones(dim)),
      dilations: ctx.attrs.ints('dilations', ones(dim)),
      pads: ctx.attrs.ints('pads', zeros(2 * dim)),
      output_padding: ctx.attrs.ints('output_padding', zeros(dim)),
      group,
      do_relu: false,
    },
    { loc: ctx.loc() },
  );
  ctx.setOutput(op);
};

function reorderDeconvFilter(c: ConstTensor, group: number): ConstTensor {
  const [ic, ocg, ...k] = c.shape as number[];
  const ks = numel(k);
  const icg = ic! / group;
  // group 1: [ic, oc, k] -> [oc, ic, k]; groups: [g, ic/g, oc/g, k] -> [g, oc/g, ic/g, k] read as [oc/g, ic, k].
  const out = new Float32Array(c.data.length);
  for (let g = 0; g < group; g++)
    for (let i = 0; i < icg; i++)
      for (let o = 0; o < ocg!; o++)
        for (let q = 0; q < ks; q++) out[((g * ocg! + o) * icg + i) * ks + q] = c.data[((g * icg + i) * ocg! + o) * ks + q]!;
  const shape = group === 1 ? [ocg!, ic!, ...k] : [ocg!, ic!, ...k];
  return constOf('float', shape, out);
}

function pool(kind: 'max' | 'avg'): Converter {
  return (ctx) => {
    const kernel = ctx.attrs.ints('kernel_shape', []);
    const dim = kernel.length;
    // ONNX strides default to 1 (OnnxConverter defaults them to the kernel, which ONNX does not).
    const strides = ctx.attrs.ints('strides', ones(dim));
    const pads = ctx.attrs.ints('pads', zeros(2 * dim));
    // dilations: our extension of top pools (TPU-MLIR's have none), written only when not all 1.
    const dilations = ctx.attrs.ints('dilations', ones(dim));
    if (kind === 'max' && ctx.outputUsed(1)) throw ctx.unsupported('with an Indices output');
    if (kind === 'avg' && numel(kernel) === 1 && pads.every((p) => p === 0) && numel(strides) === 1) {
      ctx.setOutput(ctx.value(0));
      return;
    }
    const attrs = {
      kernel_shape: kernel,
      strides,
      pads,
      auto_pad: autoPad(ctx),
      ceil_mode: ctx.attrs.int('ceil_mode', 0) !== 0,
      ...(dilations.some((d) => d !== 1) ? { dilations } : {}),
      count_include_pad: ctx.attrs.int('count_include_pad', 0) !== 0,
      do_relu: false,
      ...(kind === 'avg' ? { keepdims: true } : {}),
    };
    const op = kind === 'max'
      ? top.maxPool(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() })
      : top.avgPool(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() });
    ctx.setOutput(op);
  };
}

function globalPool(kind: 'max' | 'avg'): Converter {
  return (ctx) => {
    const attrs = { kernel_shape: [], strides: [], pads: [], count_include_pad: true, do_relu: false, keepdims: true };
    const op = kind === 'max'
      ? top.maxPool(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() })
      : top.avgPool(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() });
    ctx.setOutput(op);
  };
}

function transposed2d(c: ConstTensor, scale: number): ConstTensor {
  if (c.shape.length !== 2) return constOf('float', c.shape, Float32Array.from(c.data, (v) => v * scale));
  const [r, k] = c.shape as [number, number];
  const out = new Float32Array(r * k);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = c.data[i * k + j]! * scale;
  return constOf('float', [k, r], out);
}

/** Gemm / MatMul -> top.MatMul; transposed or alpha-scaled constant operands become "<name>_fix". */
const gemm: Converter = (ctx) => {
  const isGemm = ctx.opType === 'Gemm';
  const alpha = isGemm ? ctx.attrs.float('alpha', 1) : 1;
  const beta = isGemm ? ctx.attrs.float('beta', 1) : 1;
  const transA = isGemm && ctx.attrs.int('transA', 0) !== 0;
  const transB = isGemm && ctx.attrs.int('transB', 0) !== 0;
  let alphaDone = false;
  const side = (i: number, trans: boolean): { v: ReturnType<NodeContext['value']>; trans: boolean } => {
    if (!ctx.isConst(i)) return { v: ctx.value(i), trans };
    if (!trans && (alpha === 1 || alphaDone)) return { v: ctx.value(i), trans: false };
    const scale = alphaDone ? 1 : alpha;
    alphaDone = true;
    const c = ctx.constant(i);
    const fixed = trans ? transposed2d(c, scale) : constOf('float', c.shape, Float32Array.from(c.data, (v) => v * scale));
    return { v: ctx.weight(`${ctx.input(i)}_fix`, fixed), trans: false };
  };
  let a = side(0, transA);
  const b = side(1, transB);
  if (a.trans) {
    a = { v: top.permute(ctx.b, { input: a.v }, { order: [1, 0] }, { loc: ctx.loc('transA') }).result(), trans: false };
  }
  let input = a.v;
  if (alpha !== 1 && !alphaDone) input = top.mulConst(ctx.b, { input }, { const_val: alpha }, { loc: ctx.loc('alpha') }).result();
  let bias;
  if (isGemm && ctx.hasInput(2) && beta !== 0) {
    if (beta === 1) bias = ctx.value(2);
    else if (ctx.isConst(2)) {
      const c = ctx.constant(2);
      bias = ctx.weight(`${ctx.input(2)}_fix`, constOf('float', c.shape, Float32Array.from(c.data, (v) => v * beta)));
    } else {
      // a computed C still needs beta (OnnxConverter passes it through unscaled)
      bias = top.mulConst(ctx.b, { input: ctx.value(2) }, { const_val: beta }, { loc: ctx.loc('beta') }).result();
    }
  }
  const op = top.matMul(ctx.b, { input, right: b.v, bias }, { right_transpose: b.trans, do_relu: false }, { loc: ctx.loc() });
  ctx.setOutput(op);
};

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

export const convConverters: Record<string, Converter> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Gemm: gemm,
  MatMul: gemm,
};
