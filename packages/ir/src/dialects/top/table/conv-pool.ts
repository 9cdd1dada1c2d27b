// Convolutions, matrix products and pooling.
import {
  bool, enumOf, f64, fuseRelu, i64, i64Array, op, optional, perAxis, required, tensor, weight,
} from '../../op-dsl.js';
import { adaptivePoolShape, convShape, deconvShape, poolShape } from '../shapes/conv-pool.js';
import { matMulShape } from '../shapes/matmul.js';
import { AUTO_PAD_MODES, roundMode } from './common.js';

/** Sliding-window attributes; TPU-MLIR requires strides and pads, builders fill the identity. */
const window = {
  kernel_shape: i64Array(),
  strides: required(i64Array(perAxis(1))),
  pads: required(i64Array(perAxis(0, 2))),
};

/** Attributes of the int4 flow, set by TPU-MLIR's own passes. */
const int4 = {
  in_int4_scale: optional(f64()),
  in_int4_zp: optional(f64()),
  out_int8_scale: optional(f64()),
  out_int8_zp: optional(f64()),
};

const poolAttrs = {
  ...window,
  ceil_mode: optional(bool()),
  // Our extension for ONNX pools with dilations (TPU-MLIR's pools have none; its importer never
  // writes it and its generic parser ignores unknown attributes). Absent: 1 per kernel axis.
  dilations: optional(i64Array(perAxis(1))),
  auto_pad: optional(enumOf(AUTO_PAD_MODES)),
  is_adaptive: bool(false),
  keepdims: bool(true),
  pad_value: i64(0),
  count_include_pad: bool(false),
  ...fuseRelu,
  round_mode: roundMode(),
  first_round_mode: roundMode(),
};

export const convPoolOps = {
  Conv: op({
    summary: '1-D/2-D/3-D convolution; filter [oc, ic/group, k...]',
    operands: { input: tensor(), filter: weight(), bias: optional(weight()) },
    attrs: {
      ...window,
      group: i64(1),
      dilations: i64Array(perAxis(1)),
      inserts: optional(i64Array(perAxis(0))),
      ...fuseRelu,
      dynweight_reorderd: optional(bool(false)),
      weight_is_coeff: optional(i64(1)),
      do_winograd: optional(bool()),
      auto_pad: optional(enumOf(AUTO_PAD_MODES)),
      ...int4,
    },
    shape: convShape,
  }),
  Deconv: op({
    summary: 'Transposed convolution',
    operands: { input: tensor(), filter: weight(), bias: optional(weight()) },
    attrs: {
      ...window,
      group: i64(1),
      dilations: i64Array(perAxis(1)),
      output_padding: optional(i64Array(perAxis(0))),
      dynweight_reorderd: optional(bool(false)),
      ...fuseRelu,
    },
    shape: deconvShape,
  }),
  MatMul: op({
    summary: 'Batched matrix product / fully connected layer (right often a [K, N] weight)',
    operands: { input: tensor(), right: tensor(), bias: optional(weight()) },
    attrs: {
      right_transpose: bool(false),
      left_transpose: bool(false),
      output_transpose: bool(false),
      hdim_is_batch: bool(false),
      keep_dims: bool(true),
      ...fuseRelu,
      weight_bits: optional(i64()),
      ...int4,
    },
    shape: matMulShape,
  }),
  MaxPool: op({ summary: 'Max pooling; an empty kernel_shape pools globally', operands: { input: tensor() }, attrs: poolAttrs, shape: poolShape }),
  AvgPool: op({ summary: 'Average pooling; an empty kernel_shape pools globally', operands: { input: tensor() }, attrs: poolAttrs, shape: poolShape }),
  MaxPoolWithMask: op({
    summary: 'Max pooling that also returns the argmax mask',
    operands: { input: tensor() },
    results: { output: tensor(), mask: tensor() },
    attrs: poolAttrs,
    shapes: (s) => {
      const out = poolShape(s);
      return out && [out, out];
    },
  }),
  AdaptiveAvgPool: op({
    summary: 'Average pooling to a fixed output size',
    operands: { input: tensor() },
    attrs: { output_size: i64Array() },
    shape: adaptivePoolShape,
  }),
} as const;
