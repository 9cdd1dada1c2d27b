// TPU-MLIR's preprocessing settings (model_transform flags, stored on top.Input; deploy spec
// §1.1-1.3), with TPU-MLIR's defaults.
import { top, UserError, type Op } from '@tpu-quant/ir';

/** Field names are TPU-MLIR's attribute and flag names, so configs map 1:1 onto both. */
export interface PreprocessConfig {
  readonly pixel_format: 'rgb' | 'bgr' | 'gray' | 'rgba';
  readonly channel_format: 'nchw' | 'nhwc';
  /** [h, w] the image is resized to before the centre crop; undefined = the net's H, W */
  readonly resize_dims?: readonly [number, number];
  readonly keep_aspect_ratio: boolean;
  readonly keep_ratio_mode: 'letterbox' | 'short_side_scale';
  readonly pad_value: number;
  readonly pad_type: 'center' | 'normal';
  /** per channel; y = (x - mean[c]) * scale[c] */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
}

export const DEFAULT_PREPROCESS: PreprocessConfig = {
  pixel_format: 'bgr',
  channel_format: 'nchw',
  keep_aspect_ratio: false,
  keep_ratio_mode: 'letterbox',
  pad_value: 0,
  pad_type: 'center',
  mean: [0, 0, 0],
  scale: [1, 1, 1],
};

/** Partial settings as a user or a file gives them (formats as plain strings, checked here). */
export type PreprocessInput = Omit<Partial<PreprocessConfig>, 'pixel_format' | 'keep_ratio_mode'> & {
  readonly pixel_format?: string;
  readonly keep_ratio_mode?: string;
};

/** Builds a full config from partial settings, checking them. */
export function preprocessConfig(p: PreprocessInput = {}): PreprocessConfig {
  const merged = { ...DEFAULT_PREPROCESS, ...p } as PreprocessConfig;
  const n = merged.pixel_format === 'gray' ? 1 : merged.pixel_format === 'rgba' ? 4 : 3;
  const c: PreprocessConfig = {
    ...merged,
    mean: p.mean ?? new Array<number>(n).fill(0),
    scale: p.scale ?? new Array<number>(n).fill(1),
  };
  if (!['rgb', 'bgr', 'gray', 'rgba'].includes(c.pixel_format)) {
    throw new UserError('E_UNSUPPORTED', `pixel_format "${c.pixel_format}" is not supported for image files`, 'supported: rgb, bgr, gray, rgba (raw Bayer inputs need .npy/.npz data)');
  }
  if (c.keep_ratio_mode !== 'letterbox' && c.keep_ratio_mode !== 'short_side_scale') {
    throw new UserError('E_BAD_FLAG', `keep_ratio_mode "${c.keep_ratio_mode}" is unknown`, 'use letterbox or short_side_scale');
  }
  if (c.mean.length < n || c.scale.length < n) {
    throw new UserError('E_BAD_FLAG', `mean [${c.mean.join(',')}] / scale [${c.scale.join(',')}] need ${n} values for pixel_format ${c.pixel_format}`, `example: --mean ${Array(n).fill(0).join(',')}`);
  }
  return c;
}

/** The preprocessing recorded on a `top.Input` op, TPU-MLIR's defaults for what is missing. */
export function preprocessFromInputOp(op: Op): PreprocessConfig {
  const a = top.inputAttrs(op);
  const rd = a.resize_dims;
  return preprocessConfig({
    ...(a.pixel_format !== undefined && { pixel_format: a.pixel_format as PreprocessConfig['pixel_format'] }),
    ...(a.channel_format !== undefined && { channel_format: a.channel_format }),
    ...(rd !== undefined && rd.length === 2 && { resize_dims: [rd[0]!, rd[1]!] as const }),
    ...(a.keep_aspect_ratio !== undefined && { keep_aspect_ratio: a.keep_aspect_ratio }),
    ...(a.keep_ratio_mode !== undefined && a.keep_ratio_mode !== '' && { keep_ratio_mode: a.keep_ratio_mode as PreprocessConfig['keep_ratio_mode'] }),
    ...(a.pad_value !== undefined && { pad_value: a.pad_value }),
    ...(a.pad_type !== undefined && { pad_type: a.pad_type }),
    ...(a.mean !== undefined && a.mean.length > 0 && { mean: a.mean }),
    ...(a.scale !== undefined && a.scale.length > 0 && { scale: a.scale }),
  });
}
