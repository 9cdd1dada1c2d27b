// The flags both sample commands share: model_transform's preprocessing flags (used for .onnx
// models; a .mlir carries its own) and --category_file.
import type { Command } from 'commander';

export function addPreprocessOptions(cmd: Command, defaults: string): Command {
  return cmd
    .option('--input_shapes <shapes>', '.onnx: input shape, e.g. [[1,3,224,224]] (default: from the model)')
    .option('--resize_dims <h,w>', `.onnx: resize to these dims, then centre-crop to the net size (${defaults})`)
    .option('--keep_aspect_ratio', '.onnx: letterbox or short-side resize instead of stretching')
    .option('--keep_ratio_mode <mode>', '.onnx: letterbox or short_side_scale')
    .option('--mean <m0,m1,m2>', '.onnx: per-channel mean, subtracted first')
    .option('--scale <s0,s1,s2>', '.onnx: per-channel scale, multiplied after the mean')
    .option('--pixel_format <fmt>', '.onnx: rgb, bgr, gray')
    .option('--pad_value <v>', '.onnx: letterbox fill value')
    .option('--pad_type <type>', '.onnx: center or normal');
}
