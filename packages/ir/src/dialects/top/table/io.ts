// Graph inputs, weights and the None placeholder.
import { bool, enumOf, f64Array, i64, i64Array, op, optional, str, tensor } from '../../op-dsl.js';
import { PIXEL_FORMATS } from './common.js';

export const ioOps = {
  Input: op({
    summary: 'Graph input; carries the preprocessing model_transform recorded (deploy spec §1.3)',
    operands: { input: tensor() },
    attrs: {
      shape_tensor: optional(i64Array()),
      do_preprocess: optional(bool(false)),
      pixel_format: optional(enumOf(PIXEL_FORMATS)),
      channel_format: optional(enumOf(['nhwc', 'nchw'])),
      resize_dims: optional(i64Array()),
      keep_aspect_ratio: optional(bool()),
      keep_ratio_mode: optional(str()),
      pad_value: optional(i64()),
      pad_type: optional(enumOf(['normal', 'center'])),
      scale: optional(f64Array()),
      mean: optional(f64Array()),
      customization_format: optional(str()),
      aligned: optional(bool()),
    },
    // The argument's type is given, not inferred: unknown dims pass through.
    shape: (s) => s.rawShape('input'),
  }),
  Weight: op({
    summary: 'Constant loaded from the weight npz by its location name; its type is its data\'s',
    operands: {},
    attrs: {
      scale: optional(f64Array()),
      store_mode: optional(enumOf(['1N', '2N', '4N'])),
      allow_split: optional(i64Array()),
      do_compress: optional(bool()),
      bias0: optional(i64()),
      bias1: optional(i64()),
      is_signed: optional(bool()),
      zero_guard: optional(bool()),
      inline_bytes: optional(str()),
    },
    handBuilt: 'OpBuilder.weight',
  }),
  None: op({
    summary: 'Placeholder for an absent optional operand (type none)',
    operands: {},
    results: { output: optional(tensor()) },
    handBuilt: 'OpBuilder.none',
  }),
} as const;
