// Reading an image file the way cv2.imread does, with sharp (libvips) doing the decoding:
// IMREAD_COLOR gives BGR with EXIF orientation applied, alpha dropped (not composited), ICC
// profiles ignored; IMREAD_GRAYSCALE converts to one channel; IMREAD_UNCHANGED (used for rgba)
// keeps alpha and does not orient. sharp has no BMP loader, so BMP goes through bmp.ts.
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { UserError } from '@tpu-quant/ir';
import { decodeBmp, isBmp } from './bmp.js';
import { imageU8, type ImageU8 } from './image.js';

export type ReadMode = 'color' | 'gray' | 'rgba';

/**
 * Decodes `path`: 'color' -> BGR (3 channels), 'gray' -> 1 channel, 'rgba' -> RGBA (4 channels,
 * which is what TPU-MLIR makes of IMREAD_UNCHANGED's BGRA). `order` 'rgb' leaves a colour image
 * in the decoder's RGB order (one pass less, for a caller that picks channels later anyway).
 */
export async function readImage(path: string, mode: ReadMode, order: 'bgr' | 'rgb' = 'bgr'): Promise<ImageU8> {
  try {
    await stat(path);
  } catch {
    throw new UserError('E_IO', `image ${path} does not exist or cannot be read`, 'check the path (dataset lists are read relative to the working directory)');
  }
  const bytes = await readFile(path);
  let rgb: ImageU8; // RGB, or RGBA for 'rgba'
  let gray: ImageU8 | undefined;
  if (isBmp(bytes)) {
    rgb = decodeBmp(bytes, path, mode === 'rgba');
  } else {
    const decoded = await decodeWithSharp(bytes, path, mode);
    rgb = decoded.image;
    gray = decoded.gray;
  }
  if (mode === 'rgba') return rgb;
  if (mode === 'gray') return gray ?? toGray(rgb, isPng(bytes));
  return order === 'rgb' ? rgb : swapRB(rgb);
}

async function decodeWithSharp(bytes: Buffer, path: string, mode: ReadMode): Promise<{ image: ImageU8; gray?: ImageU8 }> {
  try {
    let s = sharp(bytes, { ignoreIcc: true, autoOrient: mode !== 'rgba', failOn: 'error' });
    const meta = await s.metadata();
    if (mode === 'rgba') s = s.ensureAlpha();
    else s = s.removeAlpha();
    // A grayscale source read as gray needs no conversion; anything else is expanded to sRGB.
    if (mode === 'gray' && (meta.channels ?? 3) <= 2) {
      const { data, info } = await s.extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      return { image: imageU8(info.width, info.height, 1, new Uint8Array(data)), gray: imageU8(info.width, info.height, 1, new Uint8Array(data)) };
    }
    const { data, info } = await s.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { image: imageU8(info.width, info.height, info.channels, new Uint8Array(data)) };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError('E_IMAGE', `${path} is not an image we can decode (${(err as Error).message})`, 'supported: JPEG, PNG, BMP, WebP (also TIFF, GIF); use .npy/.npz for non-image inputs');
  }
}

function isPng(b: Uint8Array): boolean {
  return b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function swapRB(img: ImageU8): ImageU8 {
  const out = new Uint8Array(img.data);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = img.data[i + 2]!;
    out[i + 2] = img.data[i]!;
  }
  return imageU8(img.width, img.height, 3, out);
}

/**
 * RGB -> gray as OpenCV's decoders do it: libpng's png_set_rgb_to_gray(0.299, 0.587) for PNG
 * (15-bit weights, truncated), cvtColor's 14-bit rounded weights for the others. (For JPEG,
 * OpenCV asks libjpeg for the luma plane itself; recomputing it from RGB can differ by 1.)
 */
function toGray(rgb: ImageU8, png: boolean): ImageU8 {
  const n = rgb.width * rgb.height;
  const out = new Uint8Array(n);
  const d = rgb.data;
  for (let i = 0; i < n; i++) {
    const r = d[i * 3]!;
    const g = d[i * 3 + 1]!;
    const b = d[i * 3 + 2]!;
    if (png) out[i] = r === g && r === b ? r : (9797 * r + 19234 * g + 3737 * b) >> 15;
    else out[i] = (4899 * r + 9617 * g + 1868 * b + 8192) >> 14;
  }
  return imageU8(rgb.width, rgb.height, 1, out);
}
