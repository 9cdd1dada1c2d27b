// model_deploy --fuse_preprocess: the raw uint8 test input (`<name>_in_ori.npz`, key
// `<input>_raw`, spec deploy.md §4.2) made from the test image as TPU-MLIR's preprocess.run does
// with fuse_pre (python/utils/preprocess.py): read (BGR), resized to resize_dims (stretch,
// letterbox or short-side as the top.Input says), no crop, no mean / scale; channels in the
// customization_format's colour order, planar [N, C, RH, RW] or packed [N, RH, RW, C], uint8,
// the batch repeated. The top reference is still made from the normally preprocessed image.
import { extname } from 'node:path';
import { preprocessFromInputOp, readImage, resizeFor } from '@tpu-quant/calib';
import { CUSTOMIZATION_FORMATS, hasPreprocess } from '@tpu-quant/chip-bm168x';
import { ndarray, UserError, type Module, type NdArray, type TensorType } from '@tpu-quant/ir';
import { inputOps } from '../model-files.js';

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
  const fmt = CUSTOMIZATION_FORMATS[format];
  if (!fmt) throw new UserError('E_BAD_FLAG', `--customization_format ${format} is not built`, `one of: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')}`);
  const out = new Map<string, NdArray>();
  const ops = inputOps(top);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const cfg = preprocessFromInputOp(op);
    const [n, c, h, w] = (op.result().type as TensorType).shape as [number, number, number, number];
    const [rh, rw] = cfg.resize_dims ?? [h, w];
    const img = resizeFor(await readImage(files[i]!, fmt.color === 'gray' ? 'gray' : 'color'), Math.max(rh, h), Math.max(rw, w), cfg);
    const one = new Uint8Array(img.data.length);
    const { width: W, height: H } = img;
    for (let ch = 0; ch < c; ch++) {
      const src = fmt.color === 'rgb' ? c - 1 - ch : ch; // the decoded image is BGR
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const v = img.data[(y * W + x) * c + src]!;
          one[fmt.layout === 'nhwc' ? (y * W + x) * c + ch : (ch * H + y) * W + x] = v;
        }
      }
    }
    const data = new Uint8Array(n * one.length);
    for (let b = 0; b < n; b++) data.set(one, b * one.length);
    out.set(`${op.name!}_raw`, ndarray('u8', fmt.layout === 'nhwc' ? [n, H, W, c] : [n, c, H, W], data));
  }
  return out;
}
