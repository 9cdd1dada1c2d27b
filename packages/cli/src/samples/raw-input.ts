// The raw uint8 input of a model deployed with --fuse_preprocess (TPU-MLIR's fuse_pre input,
// spec deploy.md §4.2): the image resized to resize_dims as the top.Input says (stretch, letterbox
// or short-side), no crop, no mean / scale, channels in the customization_format's colour order,
// planar [N, C, H, W] or packed [N, H, W, C], the batch repeated. model_deploy's `_in_ori.npz`
// and the sample programs both build it here.
import { resizeFor, type ImageU8, type PreprocessConfig } from '@tpu-quant/calib';
import { CUSTOMIZATION_FORMATS } from '@tpu-quant/chip-bm168x';
import { ndarray, UserError, type NdArray, type Op } from '@tpu-quant/ir';

export type CustomizationFormat = (typeof CUSTOMIZATION_FORMATS)[string];

export function customizationFormat(name: string): CustomizationFormat {
  const fmt = CUSTOMIZATION_FORMATS[name];
  if (!fmt) throw new UserError('E_BAD_FLAG', `customization_format ${name} is not built`, `one of: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')}`);
  return fmt;
}

/** The customization_format of a top.Input that model_deploy --fuse_preprocess rewrote, if it was. */
export function fusedFormatOf(input: Op): string | undefined {
  const a = input.attrs.get('customization_format');
  return a?.kind === 'string' && a.value !== '' ? a.value : undefined;
}

/** `image` (decoded BGR, or gray) resized to at least [h, w] and packed as `fmt` wants it. */
export function rawImageTensor(image: ImageU8, cfg: PreprocessConfig, fmt: CustomizationFormat, n: number, c: number, h: number, w: number): NdArray<'u8'> {
  const [rh, rw] = cfg.resize_dims ?? [h, w];
  const img = resizeFor(image, Math.max(rh, h), Math.max(rw, w), cfg);
  const { width: W, height: H } = img;
  const one = new Uint8Array(W * H * c);
  for (let ch = 0; ch < c; ch++) {
    const src = fmt.color === 'rgb' ? c - 1 - ch : ch; // the decoded image is BGR
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        one[fmt.layout === 'nhwc' ? (y * W + x) * c + ch : (ch * H + y) * W + x] = img.data[(y * W + x) * c + src]!;
      }
    }
  }
  const data = new Uint8Array(n * one.length);
  for (let b = 0; b < n; b++) data.set(one, b * one.length);
  return ndarray('u8', fmt.layout === 'nhwc' ? [n, H, W, c] : [n, c, H, W], data);
}
