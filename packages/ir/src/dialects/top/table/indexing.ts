// Gathers, scatters, reductions, arg/top-k, and ops that produce shapes or index ranges.
import { bool, enumOf, f64, f64Array, i32, i32Array, i64, i64Array, omittable, op, optional, si32, tensor } from '../../op-dsl.js';
import { sameAs } from '../shapes/elementwise.js';
import { argShapes, gatherShape, reduceShape, topKShapes } from '../shapes/indexing.js';
import { constantFillShape, rangeShape, shapeOpShape } from '../shapes/misc.js';
import { isScalar, REDUCE_MODES, unary } from './common.js';

export const indexingOps = {
  Gather: op({
    summary: 'Takes input entries at indices along axis',
    operands: { input: tensor(), indices: tensor() },
    attrs: { keepdims: bool(true), axis: si32(0), is_scalar: isScalar() },
    shape: gatherShape,
  }),
  GatherElements: op({
    summary: 'output[i][j] = input[indices[i][j]][j] along axis (ONNX GatherElements)',
    operands: { input: tensor(), indices: tensor() },
    attrs: { axis: i64(2) },
    shape: sameAs('indices'),
  }),
  ScatterND: op({
    summary: 'A copy of input_data with updates written at indices (reduction: 0 none, 1 add, ...)',
    operands: { input_data: tensor(), indices: tensor(), updates: tensor() },
    attrs: { reduction: i32(0) },
    shape: sameAs('input_data'),
  }),
  Reduce: op({
    summary: 'Reduces over axes by mode',
    operands: { input: tensor() },
    attrs: { axes: i64Array(), keepdims: bool(), mode: enumOf(REDUCE_MODES), is_scalar: isScalar() },
    shape: reduceShape,
  }),
  Arg: op({
    summary: 'Index (and optionally value) of the max or min along axis',
    operands: { input: tensor() },
    results: { indices: tensor(), values: optional(tensor()) },
    attrs: { axis: i64(), keepdims: bool(), mode: enumOf(['ArgMin', 'ArgMax']), select_last_index: bool(true) },
    shapes: argShapes,
  }),
  TopK: op({
    summary: 'The K largest (or smallest) entries along axis and their indices',
    operands: { input: tensor(), kT: omittable(tensor()) },
    results: { values: optional(tensor()), indices: optional(tensor()) },
    attrs: {
      axis: i64(),
      K: i64(-1),
      largest: bool(true),
      sorted: bool(true),
      replace_topk_indices: optional(bool(false)),
    },
    shapes: topKShapes,
  }),
  Shape: op({
    summary: 'The input\'s dims as a 1-D tensor (sliced by start/end/step when given)',
    operands: { input: tensor() },
    attrs: { start: optional(i64()), end: optional(i64()), step: optional(i64()) },
    shape: shapeOpShape,
  }),
  ConstantFill: op({
    summary: 'A tensor of the shape held by input, filled with value',
    operands: { input: tensor() },
    attrs: { value: f64() },
    shape: constantFillShape,
  }),
  Range: op({
    summary: 'start, start + delta, ... below limit (ONNX Range)',
    operands: { start: optional(tensor()), limit: tensor(), delta: optional(tensor()) },
    shape: rangeShape,
  }),
  QuantizeLinear: unary('saturate(x / y_scale + y_zero_point) (ONNX QDQ import)', {
    y_scale: f64Array(),
    y_zero_point: i32Array(),
    axis: i64(1),
  }),
  DequantizeLinear: unary('(x − x_zero_point)·x_scale (ONNX QDQ import)', {
    x_scale: f64Array(),
    x_zero_point: i32Array(),
    axis: i64(1),
  }),
  CumSum: op({
    summary: 'Cumulative sum along axis',
    operands: { input: tensor(), dim: optional(tensor()) },
    attrs: { axis: i64() },
    shape: sameAs(),
  }),
  Reverse: unary('Reverses the order along axis', { axis: i64() }),
  ShuffleChannel: unary('Channel shuffle in group groups', { group: i64() }),
  Trilu: unary('Upper or lower triangle of the last two axes', { upper: si32(), diagonal: si32() }),
  Sort: op({
    summary: 'Sorts along axis; returns values and indices',
    operands: { input: tensor() },
    results: { values: optional(tensor()), indices: tensor() },
    attrs: { axis: i64(), descending: bool(true) },
    shapes: (s) => {
      const x = s.shape('input');
      return x && [x, x];
    },
  }),
} as const;

