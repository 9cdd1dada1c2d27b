// One image file -> the network input tensor, as TPU-MLIR's preprocess.run does it
// (deploy spec §1.2, calibration spec §2.3): read, resize, HWC->CHW, centre crop to the net
// size, float32, channel order, (x - mean) * scale, NHWC if asked, batch repeated.
import { ndarray, UserError, type NdArray } from '@tpu-quant/ir';
import { preprocessConfig, type PreprocessConfig } from './config.js';
import { readImage } from './decode.js';
import type { ImageU8 } from './image.js';
import { letterboxResize, shortSideScaleResize, stretchResize } from './resize-modes.js';

/**
 * `inputShape` is the net input: [N, C, H, W] for nchw, [N, H, W, C] for nhwc (rank 3 means no
 * batch axis: N = 1 is assumed and the result keeps rank 4).
 */
export async function preprocessImage(path: string, p: PreprocessConfig, inputShape: readonly number[]): Promise<NdArray<'f32'>> {
  const cfg = preprocessConfig(p);
  const { n, h, w, c } = netDims(inputShape, cfg.channel_format);
  const channels = cfg.pixel_format === 'gray' ? 1 : cfg.pixel_format === 'rgba' ? 4 : 3;
  if (c !== channels) {
    throw new UserError('E_SHAPE', `input shape [${inputShape.join(',')}] has ${c} channels, pixel_format ${cfg.pixel_format} gives ${channels}`, 'check --pixel_format and --channel_format');
  }
  // colour images stay RGB (as decoded): resizing treats channels alike, normalize orders them
  const img = await readImage(path, cfg.pixel_format === 'gray' ? 'gray' : cfg.pixel_format === 'rgba' ? 'rgba' : 'color', 'rgb');
  const [rh, rw] = cfg.resize_dims ?? [h, w];
  const resized = resizeFor(img, rh, rw, cfg);
  return normalize(resized, { n, h, w }, cfg, channels === 3 ? 'rgb' : 'bgr');
}

/** Resizes an 8-bit HWC image to resize_dims as the config says (exported for tests and tools). */
export function resizeFor(img: ImageU8, rh: number, rw: number, cfg: PreprocessConfig): ImageU8 {
  if (!cfg.keep_aspect_ratio) return stretchResize(img, rh, rw);
  if (cfg.keep_ratio_mode === 'letterbox') return letterboxResize(img, rh, rw, cfg.pad_value, cfg.pad_type);
  return shortSideScaleResize(img, rh, rw);
}

/**
 * Centre crop to h x w, then per channel y = (x - mean) * scale in float32 (BGR order unless
 * rgb), laid out NCHW or NHWC, repeated n times. `order`: the channel order of a 3-channel `img`
 * (readImage's BGR by default).
 */
export function normalize(img: ImageU8, net: { n: number; h: number; w: number }, cfg: PreprocessConfig, order: 'bgr' | 'rgb' = 'bgr'): NdArray<'f32'> {
  const { n, h, w } = net;
  if (img.height < h || img.width < w) {
    throw new UserError('E_BAD_FLAG', `resize_dims ${img.height},${img.width} is smaller than the net input ${h},${w}`, 'resize_dims must be at least the input size (the image is centre-cropped to it)');
  }
  const top = Math.floor(img.height / 2) - Math.floor(h / 2);
  const left = Math.floor(img.width / 2) - Math.floor(w / 2);
  const cn = img.channels;
  // the output is RGB for pixel_format rgb, else BGR: reverse the channels when the image differs
  const flip = cn === 3 && (cfg.pixel_format === 'rgb') !== (order === 'rgb');
  const f = Math.fround;
  const mean = cfg.mean.map(f);
  const scale = cfg.scale.map(f);
  const one = new Float32Array(cn * h * w);
  const nhwc = cfg.channel_format === 'nhwc';
  const data = img.data;
  const step = nhwc ? cn : 1;
  for (let c = 0; c < cn; c++) {
    const src = flip ? 2 - c : c;
    const m = mean[c]!;
    const sc = scale[c]!;
    for (let y = 0; y < h; y++) {
      let i = ((top + y) * img.width + left) * cn + src;
      let o = nhwc ? y * w * cn + c : (c * h + y) * w;
      for (let x = 0; x < w; x++, i += cn, o += step) one[o] = f(f(data[i]! - m) * sc);
    }
  }
  const batch = new Float32Array(n * one.length);
  for (let b = 0; b < n; b++) batch.set(one, b * one.length);
  return ndarray('f32', nhwc ? [n, h, w, cn] : [n, cn, h, w], batch);
}

function netDims(shape: readonly number[], format: 'nchw' | 'nhwc'): { n: number; h: number; w: number; c: number } {
  const s = shape.length === 3 ? [1, ...shape] : shape;
  if (s.length !== 4 || s.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UserError('E_SHAPE', `image inputs need a static [N,C,H,W] or [N,H,W,C] shape, got [${shape.join(',')}]`, 'set --input_shapes');
  }
  return format === 'nhwc' ? { n: s[0]!, h: s[1]!, w: s[2]!, c: s[3]! } : { n: s[0]!, c: s[1]!, h: s[2]!, w: s[3]! };
}
