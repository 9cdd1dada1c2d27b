// The `tpu` dialect ops the BM1684X-family lowering (INT8 and float modes) produces, declared once
// with ir's op DSL (tools/gen-ops turns this table into ./generated: typed builders and attribute
// readers).
// Names, operands and attributes follow TPU-MLIR's include/tpu_mlir/Dialect/Tpu/IR/TpuOps.td.
//
// Deliberate differences from TPU-MLIR (first slice of issue #6):
// - Enum attributes (`quant_mode`, `pool_mode`, `round_mode`, `mode` of tpu.Active) are plain strings here
//   ("MultiplierShift"), where TPU-MLIR prints `#tpu<rq_mode MultiplierShift>`; our readers
//   accept both spellings.
// - Only the operands and attributes this lowering writes or its kernels read are declared
//   (e.g. no `buffer` operands, no f8/int4 attributes, no layer-group `ginfo`).
// - tpu.Softmax carries its lookup-table operands as None: it is lowered in float only.
// - Float modes (F32/F16/BF16) reuse these ops with f32/f16/bf16 element types, as TPU-MLIR does;
//   tpu.Active declares only the modes we lower.
// - Result types are always given by the lowering (quantized element types cannot be inferred),
//   so only the shape-preserving ops have shape functions.
import { defineDialect, opDsl } from '@tpu-quant/ir';
import type { ShapeContext } from '@tpu-quant/ir';

const { op, tensor, weight, optional, omittable, variadic, i64, i64Array, f64, f64Array, bool, si32, enumOf, required, perAxis } = opDsl;

const ROUND_MODES = [
  'HalfAwayFromZero', 'HalfUp', 'HalfDown', 'HalfToEven', 'HalfToOdd', 'HalfTowardsZero', 'TowardsZero', 'Up', 'Down',
] as const;
/** `tpu::RequantMode`. */
export const REQUANT_MODES = ['TFLite_LShift', 'TFLite', 'MultiplierShift', 'OnlyShift', 'QDM', 'OnlyScale'] as const;
/** `tpu::PoolMode`. */
export const POOL_MODES = ['Avg', 'Max'] as const;
/** The subset of `tpu::ActiveMode` the float lowering emits (TPU-MLIR has ~30 more). */
export const ACTIVE_MODES = ['SIGMOID', 'TANH', 'SILU', 'EXP', 'LOG', 'SQRT', 'ABS', 'GELU', 'TGELU', 'QGELU', 'HSWISH', 'HSIGMOID'] as const;

const roundMode = () => optional(enumOf(ROUND_MODES, 'HalfAwayFromZero'));
const fuseRelu = { do_relu: bool(false), relu_limit: f64(-1) };
const sameShape = (s: ShapeContext): number[] | undefined => s.shape('input');

export const tpuOps = defineDialect('tpu', {
  Conv2D: op({
    summary: '2-D convolution; INT8: int8/uint8 input and output, per-channel int8 filter, int32 bias, per-channel multiplier/rshift requant',
    operands: { input: tensor(), filter: weight(), bias: optional(weight()) },
    attrs: {
      kernel_shape: i64Array(),
      strides: required(i64Array(perAxis(1))),
      pads: required(i64Array(perAxis(0, 2))),
      group: i64(1),
      dilations: optional(i64Array(perAxis(1))),
      inserts: optional(i64Array(perAxis(0))),
      ...fuseRelu,
      with_bias: bool(false),
      coeff_merged: optional(bool(false)),
      kernel_zp: optional(i64(0)),
      multiplier: optional(i64Array()),
      rshift: optional(i64Array()),
      quant_mode: optional(enumOf(REQUANT_MODES, 'MultiplierShift')),
      round_mode: roundMode(),
    },
  }),
  Add: op({
    summary: 'Elementwise sum (broadcast); INT8: y = saturate(Σ_i (q_i · m_i) >> r_i)',
    operands: { inputs: variadic(tensor()) },
    attrs: {
      ...fuseRelu,
      coeff: optional(f64Array()),
      multipliers: optional(i64Array()),
      rshifts: optional(i64Array()),
      round_mode: roundMode(),
    },
  }),
  Pool2D: op({
    summary: '2-D average or max pooling; INT8 average: window sum · multiplier >> rshift',
    operands: { input: tensor() },
    attrs: {
      kernel_shape: i64Array(),
      strides: required(i64Array(perAxis(1))),
      pads: required(i64Array(perAxis(0, 2))),
      pool_mode: enumOf(POOL_MODES),
      ceil_mode: optional(bool()),
      pad_value: i64(0),
      count_include_pad: bool(false),
      ...fuseRelu,
      multiplier: optional(i64()),
      rshift: optional(i64()),
      scale: optional(f64()),
      offset: optional(f64()),
      is_adaptive: bool(false),
      keepdims: bool(true),
      round_mode: roundMode(),
      first_round_mode: roundMode(),
    },
  }),
  MatMul: op({
    summary: 'Matrix product / fully connected; INT8: int8 weight, int32 bias, per-tensor multiplier/rshift',
    operands: { input: tensor(), right: tensor(), bias: optional(weight()) },
    attrs: {
      right_transpose: bool(false),
      left_transpose: bool(false),
      output_transpose: bool(false),
      hdim_is_batch: bool(false),
      keep_dims: bool(true),
      ...fuseRelu,
      multipliers: optional(i64Array([1])),
      rshifts: optional(i64Array([0])),
      right_zp: optional(i64(0)),
      input_zp: optional(i64(0)),
      quant_mode: optional(enumOf(REQUANT_MODES, 'MultiplierShift')),
      round_mode: roundMode(),
    },
  }),
  Lut: op({
    summary: '256-entry lookup table indexed by the raw byte of an int8/uint8 input',
    operands: { input: tensor(), table: weight() },
    shape: sameShape,
  }),
  Cast: op({
    summary: 'Type conversion: f32 → int8/uint8 (quantize), int8/uint8 → f32 (dequantize), float ↔ float',
    operands: { input: tensor() },
    attrs: { with_scale: optional(bool(true)), round_mode: roundMode() },
    shape: sameShape,
  }),
  Softmax: op({
    summary: 'Softmax along axis (lowered in float here; table operands None)',
    operands: {
      input: tensor(),
      table: optional(weight()),
      slope_table: optional(weight()),
      reciprocal_table: optional(weight()),
      reciprocal_mantissa_table: optional(weight()),
      buffer: omittable(optional(tensor())),
    },
    attrs: { axis: si32(), log: bool(false), beta: f64(1), round_mode: roundMode() },
    shape: sameShape,
  }),
  Active: op({
    summary: 'Elementwise activation in float (F32/F16/BF16): computes in f32, result rounded to its element type',
    operands: { input: tensor() },
    attrs: { mode: enumOf(ACTIVE_MODES), coeffs: optional(f64Array()) },
    shape: sameShape,
  }),
  Reshape: op({
    summary: 'Reshape (Flatten, Squeeze, Unsqueeze): the data passes through with its type',
    operands: { input: tensor(), shapeT: omittable(optional(tensor())) },
    attrs: { shape: optional(i64Array()), flatten_start_dim: optional(i64(-1)) },
  }),
  // ---- INT8 data movement and elementwise ops of the detection / OCR models (H2) ----
  Concat: op({
    summary: 'Joins the inputs along axis; INT8: inputs already share the output type (MulShift inserted before)',
    operands: { inputs: variadic(tensor()) },
    attrs: { axis: si32(), only_merge: optional(bool(false)), multipliers: optional(i64Array()), rshifts: optional(i64Array()), ...fuseRelu },
  }),
  AddConst: op({
    summary: 'x + const_val; INT8: y = saturate(RightShiftRound((q − zx) · multiplier + const_val, rshift, HalfUp)), const_val = round(c / So) << rshift',
    operands: { input: tensor() },
    attrs: { const_val: f64(), ...fuseRelu, multiplier: si32(1), rshift: si32(0) },
    shape: sameShape,
  }),
  MulShift: op({
    summary: 'Requant by an 8-bit multiplier: y = saturate(RightShiftRound((x − zx) · multiplier, rshift, HalfUp) + zy)',
    operands: { input: tensor() },
    attrs: { multiplier: si32(), rshift: si32() },
    shape: sameShape,
  }),
  Mul: op({
    summary: 'Elementwise product (broadcast); INT8: y = saturate(RightShiftRound(q1 · q2 · multiplier, rshift, HalfUp))',
    operands: { inputs: variadic(tensor()) },
    attrs: { ...fuseRelu, multiplier: si32(1), rshift: si32(0), quant_mode: optional(enumOf(REQUANT_MODES, 'MultiplierShift')) },
  }),
  Sub: op({
    summary: 'inputs[0] − inputs[1] (broadcast); INT8: each side RightShiftRound(q_i · m_i, r_i, HalfUp), then saturate',
    operands: { inputs: variadic(tensor()) },
    attrs: { is_reverse: bool(false), ...fuseRelu, coeff: optional(f64Array()), multipliers: optional(i64Array()), rshifts: optional(i64Array()) },
  }),
  Slice: op({
    summary: 'Strided slice by offset/ends/steps on axes; the data passes through with its type',
    operands: { input: tensor(), offsetT: optional(tensor()), endsT: optional(tensor()), stepsT: optional(tensor()), buffer: optional(tensor()) },
    attrs: { offset: i64Array(), steps: i64Array(), ends: i64Array(), axes: i64Array([1]) },
  }),
  Permute: op({
    summary: 'Transposes by order; the data passes through with its type',
    operands: { input: tensor(), buffer: optional(tensor()) },
    attrs: { order: i64Array() },
  }),
  Upsample: op({
    summary: 'Nearest-neighbour upscale by integer factors; the data passes through with its type',
    operands: { input: tensor() },
    attrs: { scale_h: i64(), scale_w: i64(), ...fuseRelu },
  }),
  Pad: op({
    summary: 'Pads each axis (all "before" amounts, then all "after"); INT8: val is the quantized pad code',
    operands: { input: tensor(), paddingsT: optional(tensor()), left_select: optional(tensor()), right_select: optional(tensor()), buffer: optional(tensor()) },
    attrs: { paddings: i64Array(), val: f64(0), mode: enumOf(['constant', 'reflect', 'symmetric', 'edge'], 'constant') },
  }),
  Deconv: op({
    summary: '2-D transposed convolution; INT8: per-channel int8 filter, int32 bias, int32 result (a tpu.RequantIntAxis follows)',
    operands: { input: tensor(), filter: weight(), bias: optional(weight()) },
    attrs: {
      kernel_shape: i64Array(),
      strides: i64Array(),
      pads: i64Array(),
      group: i64(1),
      dilations: optional(i64Array()),
      output_padding: optional(i64Array()),
      ...fuseRelu,
      with_bias: bool(false),
      multiplier: optional(i64Array()),
      rshift: optional(i64Array()),
      quant_mode: optional(enumOf(REQUANT_MODES, 'MultiplierShift')),
    },
  }),
  RequantInt: op({
    summary: 'Requant of 8-bit codes to another scale and zero point: y = saturate(zy + RightShiftRound((x − zx) · multiplier, rshift, round_mode))',
    operands: { input: tensor() },
    attrs: { multiplier: si32(), rshift: si32(), quant_mode: enumOf(REQUANT_MODES), round_mode: roundMode() },
    shape: sameShape,
  }),
  RequantIntAxis: op({
    summary: 'Per-channel requant of int32 data to int8/uint8: quant holds [multiplier, −rshift, zero point] per channel',
    operands: { input: tensor(), quant: weight() },
    attrs: { quant_mode: enumOf(REQUANT_MODES), round_mode: roundMode(), rq_axis: si32(1), fuse_rq_axis: bool(false) },
    shape: sameShape,
  }),
  // ---- float-only ops of the transformer / OCR models (lower-float.ts) ----
  LayerNorm: op({
    summary: 'Normalises over the axes from axis on, then weight·x + bias; float only (f32 compute, BF16 stepwise as upstream)',
    operands: { input: tensor(), weight: optional(weight()), bias: optional(weight()), table: optional(weight()), mantissa_table: optional(weight()) },
    attrs: { normalized_shape: i64Array(), axis: si32(), eps: f64() },
    shape: sameShape,
  }),
  MulConst: op({
    summary: 'x · const_val in float (INT8 MulConst is a tpu.MulShift)',
    operands: { input: tensor() },
    attrs: { const_val: f64(), ...fuseRelu },
    shape: sameShape,
  }),
  Scale: op({
    summary: 'x · scale[c] + bias[c] per channel (axis 1) in float; lshift None',
    operands: { input: tensor(), scale: weight(), bias: weight(), lshift: optional(weight()) },
    attrs: { ...fuseRelu },
    shape: sameShape,
  }),
  // ---- fused preprocessing (model_deploy --fuse_preprocess; lowering/fuse-preprocess.ts) ----
  Preprocess: op({
    summary: 'Preprocessing of a raw uint8 image input (crop, channel order, (x − mean)·scale); fuse-preprocess inserts it, the lowering expands it',
    operands: { input: tensor() },
    attrs: {
      quant_mode: opDsl.str(), customization_format: opDsl.str(), channel_order: opDsl.str(), resize_dims: i64Array([]),
      scale: f64Array(), mean: f64Array(), sign: bool(false),
    },
  }),
  ScaleLut: op({
    summary: 'Per-channel 256-entry table indexed by a uint8 input: y[n,c,h,w] = table[c][x] (INT8 (x − mean)·scale of the fused preprocessing)',
    operands: { input: tensor(), table: weight() },
    attrs: { scale: f64Array(), bias: f64Array(), sign: bool(false) },
    shape: sameShape,
  }),
  SwapChannel: op({
    summary: 'Channels (axis 1) reordered: output channel i is input channel channel_order[i]; the data passes through with its type',
    operands: { input: tensor() },
    attrs: { channel_order: i64Array() },
    shape: sameShape,
  }),
});
