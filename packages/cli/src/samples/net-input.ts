// One image -> the network input (calib's TPU-MLIR preprocessing), plus the map from network
// pixel coordinates back to the original image, so detections land on the picture they came from.
import { normalize, readImage, resizeFor, type ImageU8, type PreprocessConfig } from '@tpu-quant/calib';
import { UserError, type NdArray } from '@tpu-quant/ir';
import { customizationFormat, rawImageTensor } from './raw-input.js';

/** x_image = (x_net + ox) * sx, y_image = (y_net + oy) * sy */
export interface NetToImage {
  readonly sx: number;
  readonly sy: number;
  readonly ox: number;
  readonly oy: number;
}

export interface NetInput {
  /** f32 preprocessed, or for a fused model the raw uint8 pixels it takes */
  readonly tensor: NdArray;
  /** the decoded image (BGR, or 1 / 4 channels for gray / rgba), EXIF orientation applied */
  readonly image: ImageU8;
  readonly netH: number;
  readonly netW: number;
  readonly toImage: NetToImage;
}

export async function imageToNetInput(
  path: string,
  cfg: PreprocessConfig,
  shape: readonly number[],
  fused?: { readonly format: string; readonly netH: number; readonly netW: number },
): Promise<NetInput> {
  if (fused) {
    const fmt = customizationFormat(fused.format);
    const [n, c] = fmt.layout === 'nhwc' ? [shape[0]!, shape[3]!] : [shape[0]!, shape[1]!];
    const image = await readImage(path, fmt.color === 'gray' ? 'gray' : 'color');
    const tensor = rawImageTensor(image, cfg, fmt, n, c, fused.netH, fused.netW);
    return { tensor, image, netH: fused.netH, netW: fused.netW, toImage: netToImage(cfg, image.width, image.height, fused.netH, fused.netW) };
  }
  const nhwc = cfg.channel_format === 'nhwc';
  const [n, c, h, w] = nhwc ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
  const mode = cfg.pixel_format === 'gray' ? 'gray' : cfg.pixel_format === 'rgba' ? 'rgba' : 'color';
  const channels = mode === 'gray' ? 1 : mode === 'rgba' ? 4 : 3;
  if (c !== channels) {
    throw new UserError('E_SHAPE', `input shape [${shape.join(',')}] has ${c} channels, pixel_format ${cfg.pixel_format} gives ${channels}`, 'the sample programs feed colour (3-channel) or gray images');
  }
  const image = await readImage(path, mode);
  const [rh, rw] = cfg.resize_dims ?? [h, w];
  const tensor = normalize(resizeFor(image, rh, rw, cfg), { n, h, w }, cfg);
  return { tensor, image, netH: h, netW: w, toImage: netToImage(cfg, image.width, image.height, h, w) };
}

/**
 * The inverse of the resize (stretch, letterbox or short-side scale, as calib's resize-modes do
 * them, with Python's truncation) and of the centre crop to the net size. Pixel edges map to
 * pixel edges (OpenCV's half-pixel bilinear keeps the image extent).
 */
export function netToImage(cfg: PreprocessConfig, iw: number, ih: number, h: number, w: number): NetToImage {
  const [rh, rw] = cfg.resize_dims ?? [h, w];
  // the centre crop from resize_dims to the net size (preprocess.ts: normalize)
  const cropTop = Math.floor(rh / 2) - Math.floor(h / 2);
  const cropLeft = Math.floor(rw / 2) - Math.floor(w / 2);
  if (!cfg.keep_aspect_ratio) return { sx: iw / rw, sy: ih / rh, ox: cropLeft, oy: cropTop };
  if (cfg.keep_ratio_mode === 'letterbox') {
    const s = Math.min(rw / iw, rh / ih);
    const nw = Math.trunc(iw * s);
    const nh = Math.trunc(ih * s);
    const top = cfg.pad_type === 'center' ? Math.floor((rh - nh) / 2) : 0;
    const left = cfg.pad_type === 'center' ? Math.floor((rw - nw) / 2) : 0;
    return { sx: iw / nw, sy: ih / nh, ox: cropLeft - left, oy: cropTop - top };
  }
  // short_side_scale: resize so the short side covers the target, then take its centre
  const s = Math.max(rw / iw, rh / ih);
  const nw = iw * s >= rw ? Math.trunc(iw * s) : rw;
  const nh = ih * s >= rh ? Math.trunc(ih * s) : rh;
  const top = nh - rh > 0 ? Math.floor((nh - rh) / 2) : 0;
  const left = nw - rw > 0 ? Math.floor((nw - rw) / 2) : 0;
  return { sx: iw / nw, sy: ih / nh, ox: cropLeft + left, oy: cropTop + top };
}
