// A small BMP reader (sharp/libvips has none): uncompressed 8-bit palette, 24- and 32-bit
// pixels, bottom-up or top-down rows, which is what cameras and datasets write.
import { UserError } from '@tpu-quant/ir';
import { imageU8, type ImageU8 } from './image.js';

export function isBmp(b: Uint8Array): boolean {
  return b.length > 26 && b[0] === 0x42 && b[1] === 0x4d;
}

/** RGB (or RGBA when `alpha`) pixels of a BMP file. */
export function decodeBmp(bytes: Uint8Array, path: string, alpha: boolean): ImageU8 {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new UserError('E_IMAGE', `${path} is not a BMP we can read: ${why}`, 'convert it to PNG or JPEG');
  if (bytes.length < 54) throw bad('truncated header');
  const offset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw bad('OS/2 bitmap headers are not supported');
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width * height > 1 << 28) throw bad(`size ${width}x${height}`);
  if (!(compression === 0 || (compression === 3 && bpp === 32))) throw bad(`compression ${compression}`);
  if (bpp !== 8 && bpp !== 24 && bpp !== 32) throw bad(`${bpp} bits per pixel`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (offset + stride * height > bytes.length) throw bad('truncated pixel data');
  const paletteAt = 14 + headerSize;
  const cn = alpha ? 4 : 3;
  const out = new Uint8Array(width * height * cn);
  for (let y = 0; y < height; y++) {
    const row = offset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      let b: number, g: number, r: number, a = 255;
      if (bpp === 8) {
        const p = paletteAt + bytes[row + x]! * 4;
        [b, g, r] = [bytes[p]!, bytes[p + 1]!, bytes[p + 2]!];
      } else {
        const p = row + x * (bpp / 8);
        [b, g, r] = [bytes[p]!, bytes[p + 1]!, bytes[p + 2]!];
        if (bpp === 32) a = bytes[p + 3]!;
      }
      const o = (y * width + x) * cn;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (alpha) out[o + 3] = a;
    }
  }
  return imageU8(width, height, cn, out);
}
