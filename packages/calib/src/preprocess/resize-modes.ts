// TPU-MLIR's ImageResizeTool (python/utils/preprocess.py): stretch, letterbox, short-side scale.
// Sizes follow Python: int() truncates, // floors.
import { UserError } from '@tpu-quant/ir';
import { cropImage, pasteImage, type ImageU8 } from './image.js';
import { resizeLinearU8 } from './resize-linear.js';

export function stretchResize(img: ImageU8, h: number, w: number): ImageU8 {
  return resizeLinearU8(img, w, h);
}

/** Scale to fit inside h x w keeping the aspect ratio, then pad with `padValue`. */
export function letterboxResize(img: ImageU8, h: number, w: number, padValue: number, padType: 'center' | 'normal'): ImageU8 {
  const s = Math.min(w / img.width, h / img.height);
  const rw = Math.trunc(img.width * s);
  const rh = Math.trunc(img.height * s);
  if (rw <= 0 || rh <= 0) throw tooSmall(img, h, w);
  const resized = resizeLinearU8(img, rw, rh);
  const top = padType === 'center' ? Math.floor((h - rh) / 2) : 0;
  const left = padType === 'center' ? Math.floor((w - rw) / 2) : 0;
  return pasteImage(resized, h, w, top, left, padValue);
}

/** Scale so the short side covers h x w, then take the centre h x w. */
export function shortSideScaleResize(img: ImageU8, h: number, w: number): ImageU8 {
  const s = Math.max(w / img.width, h / img.height);
  const rw = img.width * s >= w ? Math.trunc(img.width * s) : w;
  const rh = img.height * s >= h ? Math.trunc(img.height * s) : h;
  const resized = resizeLinearU8(img, rw, rh);
  const top = rh - h > 0 ? Math.floor((rh - h) / 2) : 0;
  const left = rw - w > 0 ? Math.floor((rw - w) / 2) : 0;
  return cropImage(resized, top, left, h, w);
}

function tooSmall(img: ImageU8, h: number, w: number): UserError {
  return new UserError('E_IMAGE', `a ${img.width}x${img.height} image letterboxed into ${w}x${h} would have no pixels`, 'check resize_dims');
}
