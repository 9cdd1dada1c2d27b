// Ops that rearrange, join, split or resize tensors without arithmetic on the values.
import {
  bool, enumOf, f64, fuseRelu, i64, i64Array, omittable, op, optional, required, si32, tensor, variadic,
} from '../../op-dsl.js';
import { concatShape, sliceShape, splitShapes, stridedSliceShape } from '../shapes/indexing.js';
import {
  depth2SpaceShape, expandShape, flattenShape, interpShape, padShape, permuteShape, reshapeShape, squeezeShape,
  tileShape, transposeShape, unsqueezeShape, upsampleShape,
} from '../shapes/layout.js';
import { isScalar, roundMode } from './common.js';

export const layoutOps = {
  Reshape: op({
    summary: 'New shape, same data: 0 keeps the input dim, -1 takes the rest',
    operands: { input: tensor(), shapeT: omittable(tensor()) },
    attrs: { shape: optional(i64Array()), flatten_start_dim: optional(i64(-1)) },
    shape: reshapeShape,
  }),
  Flatten: op({
    summary: 'Merges axes start_dim..end_dim into one',
    operands: { input: tensor() },
    attrs: { start_dim: i64(0), end_dim: i64(-1) },
    shape: flattenShape,
  }),
  Squeeze: op({
    summary: 'Removes size-1 axes',
    operands: { input: tensor() },
    attrs: { axes: i64Array(), is_scalar: isScalar() },
    shape: squeezeShape,
  }),
  Unsqueeze: op({
    summary: 'Inserts size-1 axes at the given output positions',
    operands: { input: tensor() },
    attrs: { axes: i64Array() },
    shape: unsqueezeShape,
  }),
  Permute: op({ summary: 'Transposes by order', operands: { input: tensor() }, attrs: { order: i64Array() }, shape: permuteShape }),
  Transpose: op({
    summary: 'Swaps two axes (torch.transpose)',
    operands: { input: tensor() },
    attrs: { dim0: si32(), dim1: si32() },
    shape: transposeShape,
  }),
  Depth2Space: op({
    summary: 'Pixel shuffle (or space-to-depth when is_inversed), NCHW or NHWC',
    operands: { input: tensor() },
    attrs: {
      block_h: i64(),
      block_w: i64(),
      is_CRD: bool(),
      is_inversed: bool(),
      in_is_NCHW: bool(true),
      out_is_NCHW: bool(true),
      swap_cr: bool(false),
    },
    shape: depth2SpaceShape,
  }),
  Tile: op({
    summary: 'Repeats the input tile[i] times along axis i',
    operands: { input: tensor(), tileT: omittable(tensor()) },
    attrs: { tile: optional(i64Array()) },
    shape: tileShape,
  }),
  Expand: op({
    summary: 'Broadcasts the input to shape',
    operands: { input: tensor(), shapeT: omittable(tensor()) },
    attrs: { shape: i64Array([]) },
    shape: expandShape,
  }),
  Pad: op({
    summary: 'Pads each axis; paddings lists all "before" amounts, then all "after" amounts',
    operands: { input: tensor(), paddingsT: omittable(optional(tensor())) },
    attrs: { paddings: i64Array(), val: f64(0), mode: required(enumOf(['constant', 'reflect', 'symmetric', 'edge'], 'constant')) },
    shape: padShape,
  }),
  Upsample: op({
    summary: 'Nearest-neighbour upscale by integer factors',
    operands: { input: tensor() },
    attrs: { scale_h: i64(), scale_w: i64(), ...fuseRelu },
    shape: upsampleShape,
  }),
  Interp: op({
    summary: 'Resize by scale or to a target shape (nearest or linear)',
    operands: { input: tensor(), target_shape: optional(tensor()) },
    attrs: {
      mode: required(enumOf(['nearest', 'linear'], 'nearest')),
      coord_mode: enumOf(['align_corners', 'half_pixel', 'pytorch_half_pixel', 'asymmetric']),
      scale_h: f64(-1),
      scale_w: f64(-1),
      // Our extension (TPU-MLIR has no such attribute; its generic parser ignores unknown ones):
      // ONNX Resize's nearest rounding. Absent, nearest floors for asymmetric (PyTorch's export,
      // ONNX Upsample) and rounds half down otherwise, as TPU-MLIR's Interp does.
      nearest_mode: optional(enumOf(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'])),
    },
    shape: interpShape,
  }),
  Concat: op({
    summary: 'Joins the inputs along axis',
    operands: { inputs: variadic(tensor()) },
    attrs: { axis: si32(1), ...fuseRelu, round_mode: roundMode() },
    shape: concatShape,
  }),
  Split: op({
    summary: 'Splits into num pieces along axis (sizes by split_size, else equal)',
    operands: { input: tensor() },
    results: { outputs: variadic(tensor()) },
    attrs: { axis: si32(), num: i64(), split_size: optional(i64Array()) },
    shapes: splitShapes,
  }),
  Slice: op({
    summary: 'Strided slice by offset/ends/steps (on axes, when given); constant *T operands override',
    operands: { input: tensor(), offsetT: optional(tensor()), endsT: optional(tensor()), stepsT: optional(tensor()) },
    attrs: {
      offset: i64Array(),
      steps: i64Array(),
      ends: i64Array(),
      axes: i64Array([]),
      hasparamConvert_axes: optional(i64Array([])),
    },
    shape: sliceShape,
  }),
  StridedSlice: op({
    summary: 'TFLite strided slice with begin/end/shrink-axis masks',
    operands: { input: tensor(), starts: tensor(), ends: tensor(), strides: tensor() },
    attrs: {
      begin_mask: required(i64(0)),
      end_mask: required(i64(0)),
      ellipsis_mask: required(i64(0)),
      new_axis_mask: required(i64(0)),
      shrink_axis_mask: required(i64(0)),
    },
    shape: stridedSliceShape,
  }),
} as const;
