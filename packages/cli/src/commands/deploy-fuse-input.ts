// model_deploy --fuse_preprocess: the raw uint8 test input (`<name>_in_ori.npz`, key
// `<input>_raw`, spec deploy.md §4.2) made from the test image as TPU-MLIR's preprocess.run does
// with fuse_pre (python/utils/preprocess.py): read (BGR), resized to resize_dims (stretch,
// letterbox or short-side as the top.Input says), no crop, no mean / scale; channels in the
// customization_format's colour order, planar [N, C, RH, RW] or packed [N, RH, RW, C], uint8,
// the batch repeated. The top reference is still made from the normally preprocessed image.
import { extname } from 'node:path';
import { preprocessFromInputOp, readImage } from '@tpu-quant/calib';
import { hasPreprocess } from '@tpu-quant/chip-bm168x';
import { UserError, type Module, type NdArray, type TensorType } from '@tpu-quant/ir';
import { inputOps } from '../model-files.js';
import { customizationFormat, rawImageTensor } from '../samples/raw-input.js';

const IMAGE_EXTS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

/**
 * TPU-MLIR asserts that a fused model is verified from an image (it cannot rebuild the raw pixels
 * from preprocessed floats); here that is a UserError naming the file.
 */
export function checkFusedTestInputs(files: readonly string[], top: Module): void {
  const bad = files.filter((f) => !IMAGE_EXTS.has(extname(f).toLowerCase()));
  if (bad.length > 0) {
    throw new UserError(
      'E_INPUT',
      `--fuse_preprocess verifies from the original image, but ${bad.join(', ')} is not one`,
      'give the image (jpg, png, ...) as --test_input, as TPU-MLIR requires: a .npz/.npy holds preprocessed floats, from which the raw uint8 input cannot be rebuilt',
    );
  }
  const ops = inputOps(top);
  if (files.length !== ops.length) {
    throw new UserError('E_INPUT', `the model has ${ops.length} inputs but ${files.length} test inputs were given`, 'give one image per input');
  }
  const plain = ops.filter((op) => !hasPreprocess(op)).map((op) => op.name ?? '?');
  if (plain.length > 0) {
    throw new UserError('E_INPUT', `--fuse_preprocess with an image for input${plain.length > 1 ? 's' : ''} ${plain.join(', ')}, which carr${plain.length > 1 ? 'y' : 'ies'} no preprocessing`, 'transform the model with preprocessing for every image input');
  }
}

/** The raw uint8 inputs of the fused model, keyed `<input>_raw`; `top` is the module before fusing. */
export async function rawImageInputs(files: readonly string[], top: Module, format: string): Promise<Map<string, NdArray>> {
  const fmt = customizationFormat(format);
  const out = new Map<string, NdArray>();
  const ops = inputOps(top);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const [n, c, h, w] = (op.result().type as TensorType).shape as [number, number, number, number];
    const image = await readImage(files[i]!, fmt.color === 'gray' ? 'gray' : 'color');
    out.set(`${op.name!}_raw`, rawImageTensor(image, preprocessFromInputOp(op), fmt, n, c, h, w));
  }
  return out;
}
