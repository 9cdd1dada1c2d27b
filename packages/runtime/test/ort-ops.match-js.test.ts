// The ort backend op by op: one small module per top op (or attribute combination), exported to
// ONNX and run in onnxruntime-node, against the js reference kernels on the same random inputs.
import { describe, expect, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { f32 as F32, i32 as I32, tensorType, top } from '@tpu-quant/ir';
import { createSession, listKernels, ORT_OPS } from '../src/index.js';
import type { Built } from './helpers/build.js';
import { arr, finish, maxAbsDiff, moduleWithInputs, random } from './helpers/build.js';

const y = { loc: 'y' };
/** Values in [lo, hi): random() rescaled, deterministic. */
const uniform = (shape: readonly number[], seed: number, lo: number, hi: number): NdArray<'f32'> =>
  arr(shape, Array.from(random(shape, seed).data, (v) => lo + ((v + 1) / 2) * (hi - lo)));
const w = (b: Built, name: string, shape: readonly number[], seed = 7, lo = -1, hi = 1): Value =>
  b.b.weight(name, uniform(shape, seed, lo, hi));
const ints = (b: Built, name: string, values: readonly number[], shape = [values.length]): Value => b.b.weight(name, arr(shape, values));

interface Case {
  readonly name: string;
  readonly inputs: readonly (readonly number[])[];
  /** Input value range (default [-1, 1)). */
  readonly range?: readonly [number, number];
  readonly build: (b: Built, x: readonly Value[]) => Value[];
}

const unary = (name: string, make: (b: Built, x: Value) => Value, range?: readonly [number, number]): Case => ({
  name, inputs: [[2, 3, 4, 5]], range, build: (b, x) => [make(b, x[0]!)],
});

const CASES: Case[] = [
  // convolutions and products
  {
    name: 'Conv 2-D, groups, dilations, asymmetric pads, bias, relu6-style limit',
    inputs: [[1, 4, 9, 8]],
    build: (b, x) => [top.conv(b.b, { input: x[0]!, filter: w(b, 'f', [6, 2, 3, 3]), bias: w(b, 'bias', [6], 3) }, {
      kernel_shape: [3, 3], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [2, 1], group: 2, do_relu: true, relu_limit: 0.5,
    }, y).result()],
  },
  {
    name: 'Conv 1-D, SAME_UPPER, no bias',
    inputs: [[2, 3, 11]],
    build: (b, x) => [top.conv(b.b, { input: x[0]!, filter: w(b, 'f', [4, 3, 4]) }, { kernel_shape: [4], strides: [2], pads: [0, 0], auto_pad: 'SAME_UPPER' }, y).result()],
  },
  {
    name: 'Conv depthwise with a computed filter',
    inputs: [[1, 3, 6, 6], [3, 1, 3, 3]],
    build: (b, x) => [top.conv(b.b, { input: x[0]!, filter: x[1]! }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 3 }, y).result()],
  },
  {
    name: 'Deconv with a weight filter (TPU-MLIR layout), groups, strides, pads, output_padding, relu',
    inputs: [[1, 4, 5, 4]],
    build: (b, x) => [top.deconv(b.b, { input: x[0]!, filter: w(b, 'f', [3, 4, 3, 3]), bias: w(b, 'bias', [6], 2) }, {
      kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], group: 2, output_padding: [1, 0], do_relu: true,
    }, y).result()],
  },
  {
    name: 'Deconv with a computed filter (ONNX layout)',
    inputs: [[1, 2, 4, 4], [2, 3, 2, 2]],
    build: (b, x) => [top.deconv(b.b, { input: x[0]!, filter: x[1]! }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, y).result()],
  },
  {
    name: 'MatMul by a weight with bias and relu',
    inputs: [[2, 3, 4]],
    build: (b, x) => [top.matMul(b.b, { input: x[0]!, right: w(b, 'r', [4, 5]), bias: w(b, 'bias', [5], 2) }, { do_relu: true }, y).result()],
  },
  {
    name: 'MatMul right_transpose (weight and computed), batch broadcast',
    inputs: [[2, 1, 3, 4], [3, 6, 4]],
    build: (b, x) => [
      top.matMul(b.b, { input: x[0]!, right: w(b, 'r', [6, 4]) }, { right_transpose: true }, { loc: 'a' }).result(),
      top.matMul(b.b, { input: x[0]!, right: x[1]! }, { right_transpose: true }, { loc: 'b' }).result(),
    ],
  },
  {
    name: 'MatMul flattening the left side to K, and a rank-1 right side',
    inputs: [[1, 2, 2, 3], [3, 4]],
    build: (b, x) => [
      top.matMul(b.b, { input: x[0]!, right: w(b, 'r', [12, 5]) }, {}, { loc: 'a' }).result(),
      top.matMul(b.b, { input: x[1]!, right: w(b, 'v', [4], 3) }, {}, { loc: 'b' }).result(),
    ],
  },
  // pooling
  {
    name: 'MaxPool ceil_mode with pads; AvgPool count_include_pad; global; adaptive; keepdims false',
    inputs: [[1, 2, 7, 6]],
    build: (b, x) => [
      top.maxPool(b.b, { input: x[0]! }, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil_mode: true, do_relu: true }, { loc: 'a' }).result(),
      top.avgPool(b.b, { input: x[0]! }, { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], count_include_pad: true }, { loc: 'b' }).result(),
      top.avgPool(b.b, { input: x[0]! }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { loc: 'c' }).result(),
      top.maxPool(b.b, { input: x[0]! }, { kernel_shape: [], strides: [], pads: [] }, { loc: 'd' }).result(),
      top.avgPool(b.b, { input: x[0]! }, { kernel_shape: [], strides: [], pads: [], keepdims: false }, { loc: 'e' }).result(),
      top.adaptiveAvgPool(b.b, { input: x[0]! }, { output_size: [1, 3] }, { loc: 'f', resultType: tensorType([1, 2, 1, 3], F32) }).result(),
      top.maxPool(b.b, { input: x[0]! }, { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [2, 2] }, { loc: 'g' }).result(),
    ],
  },
  // elementwise
  {
    name: 'Add with coeff and broadcasting, Sub/Div reversed, Mul of three, relu limit',
    inputs: [[2, 3, 4], [3, 1]],
    build: (b, x) => [
      top.add(b.b, { inputs: [x[0]!, x[1]!] }, { coeff: [0.5, -2], do_relu: true, relu_limit: 0.75 }, { loc: 'a' }).result(),
      top.sub(b.b, { inputs: [x[0]!, w(b, 'c', [4])] }, { is_reverse: true }, { loc: 'b' }).result(),
      top.div(b.b, { inputs: [x[1]!, x[0]!] }, { is_reverse: true }, { loc: 'c' }).result(),
      top.mul(b.b, { inputs: [x[0]!, x[1]!, w(b, 'd', [1, 4], 5)] }, {}, { loc: 'd' }).result(),
      top.max(b.b, { inputs: [x[0]!, x[1]!] }, {}, { loc: 'e' }).result(),
      top.min(b.b, { inputs: [x[0]!, x[1]!] }, {}, { loc: 'f' }).result(),
    ],
  },
  {
    name: 'Mod (fmod), Remainder (divisor sign), Pow3',
    inputs: [[2, 3, 4], [2, 3, 4]],
    range: [0.5, 3],
    build: (b, x) => {
      const neg = top.mulConst(b.b, { input: x[1]! }, { const_val: -1 }, { loc: 'neg' }).result();
      return [
        top.mod(b.b, { inputs: [x[0]!, x[1]!] }, {}, { loc: 'a' }).result(),
        top.remainder(b.b, { inputs: [x[0]!, neg] }, {}, { loc: 'b' }).result(),
        top.pow3(b.b, { inputs: [x[0]!, x[1]!] }, {}, { loc: 'c' }).result(),
      ];
    },
  },
  {
    name: 'the *Const ops, Pow, Pow2, Reciprocal, Clip',
    inputs: [[2, 3, 4]],
    range: [0.1, 2],
    build: (b, x) => [
      top.addConst(b.b, { input: x[0]! }, { const_val: -1, do_relu: true }, { loc: 'a' }).result(),
      top.subConst(b.b, { input: x[0]! }, { const_val: 0.5, is_reverse: true }, { loc: 'b' }).result(),
      top.mulConst(b.b, { input: x[0]! }, { const_val: 1 / 6 }, { loc: 'c' }).result(),
      top.divConst(b.b, { input: x[0]! }, { const_val: 3, is_reverse: true }, { loc: 'd' }).result(),
      top.maxConst(b.b, { input: x[0]! }, { const_val: 1 }, { loc: 'e' }).result(),
      top.minConst(b.b, { input: x[0]! }, { const_val: 1 }, { loc: 'f' }).result(),
      top.pow(b.b, { input: x[0]! }, { exponent: 1.5 }, { loc: 'g' }).result(),
      top.pow2(b.b, { input: x[0]! }, { const_val: 2 }, { loc: 'h' }).result(),
      top.reciprocal(b.b, { input: x[0]! }, { const_val: 2 }, { loc: 'i' }).result(),
      top.clip(b.b, { inputs: x[0]! }, { min: 0.5, max: 1.5 }, { loc: 'j' }).result(),
    ],
  },
  {
    name: 'Compare, CompareConst, Where, MaskedFill',
    inputs: [[2, 3, 4], [3, 4]],
    build: (b, x) => {
      const gt = top.compare(b.b, { lhs: x[0]!, rhs: x[1]! }, { mode: 'Greater' }, { loc: 'gt' }).result();
      const ge = top.compareConst(b.b, { input: x[1]! }, { mode: 'GreaterOrEqual', const_val: 0, inversed: true }, { loc: 'ge' }).result();
      return [
        gt, ge,
        top.compare(b.b, { lhs: gt, rhs: ge }, { mode: 'And' }, { loc: 'and' }).result(),
        top.compare(b.b, { lhs: gt, rhs: ge }, { mode: 'Xor' }, { loc: 'xor' }).result(),
        top.compare(b.b, { lhs: x[0]!, rhs: x[0]! }, { mode: 'NotEqual' }, { loc: 'ne' }).result(),
        top.compareConst(b.b, { input: x[0]! }, { mode: 'Less', const_val: 0.25, inversed: false }, { loc: 'lt' }).result(),
        top.where(b.b, { cond: gt, tbrn: x[0]!, fbrn: x[1]! }, {}, { loc: 'w1' }).result(),
        top.where(b.b, { cond: ge, fbrn: x[0]! }, { x_is_const: true, x_const_val: -5 }, { loc: 'w2' }).result(),
        top.maskedFill(b.b, { cond: gt, brn: x[0]! }, { const_val: 9, inversed: true }, { loc: 'mf' }).result(),
      ];
    },
  },
  // activations
  unary('Relu with a limit', (b, x) => top.relu(b.b, { input: x }, { relu_limit: 0.5 }, y).result()),
  unary('LeakyRelu', (b, x) => top.leakyRelu(b.b, { input: x }, { alpha: 0.1 }, y).result()),
  unary('Elu', (b, x) => top.elu(b.b, { input: x }, { alpha: 0.7 }, y).result()),
  unary('PRelu per channel', (b, x) => top.pRelu(b.b, { input: x, slope: w(b, 's', [3]) }, {}, y).result()),
  unary('Sigmoid with scale, bias, log', (b, x) => top.sigmoid(b.b, { input: x }, { scale: 2, bias: 0.1, log: true }, y).result()),
  unary('SiLU', (b, x) => top.siLU(b.b, { input: x }, {}, y).result()),
  unary('Swish', (b, x) => top.swish(b.b, { input: x }, { beta: 1.5 }, y).result()),
  unary('GELU normal', (b, x) => top.gelu(b.b, { input: x }, {}, y).result(), [-4, 4]),
  unary('GELU tanh', (b, x) => top.gelu(b.b, { input: x }, { approx_mode: 'tanh' }, y).result(), [-4, 4]),
  unary('GELU sigm', (b, x) => top.gelu(b.b, { input: x }, { approx_mode: 'sigm' }, y).result(), [-4, 4]),
  unary('HardSigmoid', (b, x) => top.hardSigmoid(b.b, { input: x }, { alpha: 0.2, beta: 0.5 }, y).result(), [-6, 6]),
  unary('HardSwish', (b, x) => top.hardSwish(b.b, { input: x }, {}, y).result(), [-6, 6]),
  unary('Mish', (b, x) => top.mish(b.b, { input: x }, {}, y).result(), [-4, 4]),
  ...(['tanh', 'exp', 'abs', 'sign', 'erf', 'softplus', 'softsign', 'sin', 'cos', 'tan', 'sinh', 'cosh', 'arccos', 'arctanh', 'floor', 'ceil'] as const)
    .map((f) => unary(f, (b, x) => top[f](b.b, { input: x }, {}, y).result(), [-0.99, 0.99])),
  unary('Round (half to even)', (b, x) => top.round(b.b, { input: top.mulConst(b.b, { input: x }, { const_val: 4 }, { loc: 'x4' }).result() }, {}, y).result()),
  ...(['log', 'sqrt', 'rsqrt'] as const).map((f) => unary(f, (b, x) => top[f](b.b, { input: x }, {}, y).result(), [0.1, 3])),
  unary('LogB', (b, x) => top.logB(b.b, { input: x }, { base: 2 }, y).result(), [0.1, 3]),
  unary('Cast to float and to an integer type', (b, x) => {
    const s = top.mulConst(b.b, { input: x }, { const_val: 5 }, { loc: 'x5' }).result();
    const c = top.cast(b.b, { input: s }, {}, { loc: 'ci', resultType: tensorType([2, 3, 4, 5], I32) }).result();
    return top.cast(b.b, { input: c }, {}, { loc: 'y', resultType: tensorType([2, 3, 4, 5], F32) }).result();
  }),
  unary('Lut on 8-bit values', (b, x) => {
    const q = top.round(b.b, { input: top.mulConst(b.b, { input: x }, { const_val: 127 }, { loc: 'q' }).result() }, {}, { loc: 'qr' }).result();
    return top.lut(b.b, { input: q, table: w(b, 't', [256], 3, -2, 2) }, {}, y).result();
  }),
  unary('Softmax beta', (b, x) => top.softmax(b.b, { input: x }, { axis: 1, beta: 0.5 }, y).result(), [-5, 5]),
  unary('LogSoftmax', (b, x) => top.softmax(b.b, { input: x }, { axis: -1, log: true }, y).result(), [-5, 5]),
  // normalisations
  unary('BatchNorm with relu', (b, x) => top.batchNorm(b.b, {
    input: x, mean: w(b, 'm', [3]), variance: w(b, 'v', [3], 3, 0.5, 2), gamma: w(b, 'g', [3], 4), beta: w(b, 'be', [3], 5),
  }, { epsilon: 1e-3, do_relu: true }, y).result()),
  unary('BatchNorm without gamma/beta', (b, x) => top.batchNorm(b.b, { input: x, mean: w(b, 'm', [3]), variance: w(b, 'v', [3], 3, 0.5, 2) }, {}, y).result()),
  unary('Scale', (b, x) => top.scale(b.b, { input: x, scale: w(b, 's', [1, 3, 1, 1]), bias: w(b, 'b', [1, 3, 1, 1], 9) }, {}, y).result()),
  unary('LayerNorm over the last axis', (b, x) => top.layerNorm(b.b, { input: x, weight: w(b, 'g', [5]), bias: w(b, 'be', [5], 3) }, {
    axis: -1, eps: 1e-5, normalized_shape: [5],
  }, y).result()),
  unary('LayerNorm over two axes, weight of the last only', (b, x) => top.layerNorm(b.b, { input: x, weight: w(b, 'g', [5]) }, {
    axis: 2, eps: 1e-5, normalized_shape: [4, 5],
  }, y).result()),
  {
    name: 'GroupNorm, InstanceNorm, RMSNorm, LRN',
    inputs: [[2, 4, 3, 5]],
    build: (b, x) => [
      top.groupNorm(b.b, { input: x[0]!, weight: w(b, 'g', [4]), bias: w(b, 'be', [4], 3) }, { num_groups: 2, eps: 1e-5 }, { loc: 'a' }).result(),
      top.instanceNorm(b.b, { input: x[0]!, weight: w(b, 'g2', [4], 4) }, { eps: 1e-5 }, { loc: 'b' }).result(),
      top.rmsNorm(b.b, { input: x[0]!, gamma: w(b, 'g3', [5], 5) }, { eps: 1e-6 }, { loc: 'c' }).result(),
      top.lrn(b.b, { input: x[0]! }, { size: 3, alpha: 0.001, beta: 0.75, bias: 1 }, { loc: 'd' }).result(),
    ],
  },
  // layout
  {
    name: 'Reshape, Flatten, Squeeze, Unsqueeze, Permute, Transpose',
    inputs: [[2, 1, 3, 4]],
    build: (b, x) => [
      top.reshape(b.b, { input: x[0]! }, { shape: [6, 4] }, { loc: 'a' }).result(),
      top.flatten(b.b, { input: x[0]! }, { start_dim: 1 }, { loc: 'b' }).result(),
      top.squeeze(b.b, { input: x[0]! }, { axes: [1] }, { loc: 'c' }).result(),
      top.unsqueeze(b.b, { input: x[0]! }, { axes: [0] }, { loc: 'd' }).result(),
      top.permute(b.b, { input: x[0]! }, { order: [3, 0, 2, 1] }, { loc: 'e' }).result(),
      top.transpose(b.b, { input: x[0]! }, { dim0: 1, dim1: -1 }, { loc: 'f' }).result(),
    ],
  },
  {
    name: 'Concat with relu, Split by sizes, Tile, Expand',
    inputs: [[2, 3, 4], [2, 2, 4]],
    build: (b, x) => {
      const parts = top.split(b.b, { input: x[0]! }, { axis: 1, num: 2, split_size: [1, 2] }, { loc: 'sp' });
      return [
        top.concat(b.b, { inputs: [x[0]!, x[1]!] }, { axis: -2, do_relu: true }, { loc: 'a' }).result(),
        parts.result(0), parts.result(1),
        top.tile(b.b, { input: x[1]! }, { tile: [1, 2, 1, 3] }, { loc: 't' }).result(),
        top.expand(b.b, { input: w(b, 'e', [3, 1]) }, { shape: [2, 3, 4] }, { loc: 'x' }).result(),
      ];
    },
  },
  {
    name: 'Slice (negative steps, clamped ends, weight offsets), StridedSlice, Reverse',
    inputs: [[4, 6, 5]],
    build: (b, x) => [
      top.slice(b.b, { input: x[0]! }, { offset: [-1, 1], steps: [-2, 2], ends: [-100, 100], axes: [0, 2] }, { loc: 'a' }).result(),
      top.slice(b.b, { input: x[0]!, offsetT: ints(b, 'off', [1, 2, 0]), stepsT: ints(b, 'st', [1, 1, 2]) }, {
        offset: [0, 0, 0], steps: [1, 1, 1], ends: [3, 6, 5],
      }, { loc: 'b' }).result(),
      top.stridedSlice(b.b, { input: x[0]!, starts: ints(b, 'ss', [1, 0, 4]), ends: ints(b, 'se', [3, 6, 0]), strides: ints(b, 'sd', [1, 2, -2]) }, {
        begin_mask: 2, end_mask: 0, ellipsis_mask: 0, new_axis_mask: 0, shrink_axis_mask: 1,
      }, { loc: 'c' }).result(),
      top.reverse(b.b, { input: x[0]! }, { axis: 1 }, { loc: 'd' }).result(),
    ],
  },
  {
    name: 'Pad constant / reflect / edge',
    inputs: [[1, 2, 4, 5]],
    build: (b, x) => [
      top.pad(b.b, { input: x[0]! }, { paddings: [0, 0, 1, 2, 0, 1, 2, 0], val: 0.5, mode: 'constant' }, { loc: 'a' }).result(),
      top.pad(b.b, { input: x[0]! }, { paddings: [0, 0, 2, 1, 0, 0, 1, 3], mode: 'reflect' }, { loc: 'b' }).result(),
      top.pad(b.b, { input: x[0]! }, { paddings: [0, 1, 1, 0, 0, 0, 2, 2], mode: 'edge' }, { loc: 'c' }).result(),
    ],
  },
  {
    name: 'Depth2Space DCR / CRD / inversed / NHWC, ShuffleChannel',
    inputs: [[1, 8, 2, 3]],
    build: (b, x) => [
      top.depth2Space(b.b, { input: x[0]! }, { block_h: 2, block_w: 2, is_CRD: false, is_inversed: false }, { loc: 'a' }).result(),
      top.depth2Space(b.b, { input: x[0]! }, { block_h: 2, block_w: 2, is_CRD: true, is_inversed: false }, { loc: 'b' }).result(),
      top.depth2Space(b.b, { input: x[0]! }, { block_h: 1, block_w: 3, is_CRD: true, is_inversed: true }, { loc: 'c' }).result(),
      top.depth2Space(b.b, { input: x[0]! }, { block_h: 2, block_w: 1, is_CRD: false, is_inversed: true, out_is_NCHW: false }, { loc: 'd' }).result(),
      top.shuffleChannel(b.b, { input: x[0]! }, { group: 4 }, { loc: 'e' }).result(),
    ],
  },
  {
    name: 'Interp linear / nearest in each coordinate mode, Upsample',
    inputs: [[1, 2, 5, 4]],
    build: (b, x) => [
      top.interp(b.b, { input: x[0]! }, { mode: 'linear', coord_mode: 'half_pixel', scale_h: 2, scale_w: 2 }, { loc: 'a' }).result(),
      top.interp(b.b, { input: x[0]! }, { mode: 'linear', coord_mode: 'align_corners' }, { loc: 'b', resultType: tensorType([1, 2, 9, 7], F32) }).result(),
      top.interp(b.b, { input: x[0]! }, { mode: 'linear', coord_mode: 'pytorch_half_pixel' }, { loc: 'c', resultType: tensorType([1, 2, 3, 1], F32) }).result(),
      top.interp(b.b, { input: x[0]! }, { mode: 'nearest', coord_mode: 'asymmetric', scale_h: 2, scale_w: 3 }, { loc: 'd' }).result(),
      top.interp(b.b, { input: x[0]! }, { mode: 'nearest', coord_mode: 'half_pixel', scale_h: 0.6, scale_w: 0.75 }, { loc: 'e' }).result(),
      top.interp(b.b, { input: x[0]! }, { mode: 'nearest', coord_mode: 'half_pixel', nearest_mode: 'ceil' }, { loc: 'f', resultType: tensorType([1, 2, 8, 6], F32) }).result(),
      top.upsample(b.b, { input: x[0]! }, { scale_h: 2, scale_w: 3, do_relu: true }, { loc: 'g' }).result(),
    ],
  },
  {
    name: 'Gather (weight indices, negative, scalar), GatherElements, ScatterND',
    inputs: [[3, 4, 5]],
    build: (b, x) => [
      top.gather(b.b, { input: x[0]!, indices: ints(b, 'i', [0, -1, 2, 1], [2, 2]) }, { axis: 1 }, { loc: 'a' }).result(),
      top.gather(b.b, { input: x[0]!, indices: ints(b, 'j', [2], []) }, { axis: 0, keepdims: false }, { loc: 'b' }).result(),
      top.gatherElements(b.b, { input: x[0]!, indices: ints(b, 'k', Array.from({ length: 3 * 2 * 5 }, (_, i) => i % 4), [3, 2, 5]) }, { axis: 1 }, { loc: 'c' }).result(),
      top.scatterND(b.b, { input_data: x[0]!, indices: ints(b, 'l', [0, 1, 2, 3], [2, 2]), updates: w(b, 'u', [2, 5]) }, { reduction: 1 }, { loc: 'd' }).result(),
    ],
  },
  {
    name: 'Reduce in every mode, Arg with values, CumSum, Trilu',
    inputs: [[2, 3, 4]],
    build: (b, x) => {
      const modes = ['ReduceMin', 'ReduceMax', 'ReduceMean', 'ReduceL2', 'ReduceL1', 'ReduceSum', 'ReduceProd'] as const;
      const arg = top.arg(b.b, { input: x[0]! }, { axis: 1, keepdims: false, mode: 'ArgMax', select_last_index: true }, { loc: 'arg' });
      return [
        ...modes.map((mode, i) => top.reduce(b.b, { input: x[0]! }, { axes: i % 2 ? [0, -1] : [1], keepdims: i % 3 === 0, mode }, { loc: `r${i}` }).result()),
        arg.result(0), arg.result(1),
        top.cumSum(b.b, { input: x[0]! }, { axis: -1 }, { loc: 'cs' }).result(),
        top.trilu(b.b, { input: x[0]! }, { upper: 1, diagonal: -1 }, { loc: 'tr' }).result(),
      ];
    },
  },
  {
    name: 'Shape, ConstantFill, Range: results from static shapes',
    inputs: [[2, 3, 4]],
    build: (b, x) => [
      top.shape(b.b, { input: x[0]! }, { start: 1 }, { loc: 'a' }).result(),
      top.constantFill(b.b, { input: ints(b, 's', [2, 2]) }, { value: 3 }, { loc: 'b', resultType: tensorType([2, 2], F32) }).result(),
      top.range(b.b, { start: ints(b, 'r0', [1]), limit: ints(b, 'r1', [7]), delta: ints(b, 'r2', [2]) }, {}, { loc: 'c', resultType: tensorType([3], F32) }).result(),
      top.addConst(b.b, { input: x[0]! }, { const_val: 1 }, { loc: 'd' }).result(),
    ],
  },
];

/** The ort backend's results against the js reference, output by output. */
async function compare(c: Case): Promise<void> {
  const b = moduleWithInputs(c.inputs);
  const m = finish(b, c.build(b, b.inputs));
  const [lo, hi] = c.range ?? [-1, 1];
  const feeds = Object.fromEntries(c.inputs.map((s, i) => [`x${i}`, uniform(s, 11 + i, lo, hi)]));
  const js = await createSession(m, { backend: 'js' });
  const ort = await createSession(m, { backend: 'ort' });
  expect(ort.backend).toBe('ort');
  const want = (await js.run(feeds)).outputs;
  const got = (await ort.run(feeds)).outputs;
  await ort.dispose();
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, v] of want) {
    const g = got.get(name)!;
    expect(g.shape, name).toEqual(v.shape);
    const scale = Math.max(1, ...Array.from(v.data as Float32Array, Math.abs));
    expect(maxAbsDiff(g, v), name).toBeLessThanOrEqual(2e-5 * scale);
  }
}

describe('the ort backend matches the js kernels op by op', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => compare(c));

  it('maps only ops the js backend can check it against', () => {
    const js = new Set(listKernels('js'));
    expect(ORT_OPS.filter((op) => !js.has(op))).toEqual([]);
  });
});
