// An 8-bit interleaved image (HWC), as OpenCV's cv::Mat of CV_8UC<channels> holds it.

export interface ImageU8 {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** row-major, channels interleaved: data[(y * width + x) * channels + c] */
  readonly data: Uint8Array;
}

export function imageU8(width: number, height: number, channels: number, data?: Uint8Array): ImageU8 {
  const n = width * height * channels;
  const d = data ?? new Uint8Array(n);
  if (d.length !== n) throw new RangeError(`image data has ${d.length} bytes, ${width}x${height}x${channels} needs ${n}`);
  return { width, height, channels, data: d };
}

/** The rectangle [top, top+h) x [left, left+w) (numpy slicing clips it to the image). */
export function cropImage(img: ImageU8, top: number, left: number, h: number, w: number): ImageU8 {
  const y1 = Math.min(img.height, top + h);
  const x1 = Math.min(img.width, left + w);
  const oh = Math.max(0, y1 - top);
  const ow = Math.max(0, x1 - left);
  const c = img.channels;
  const out = new Uint8Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const src = ((top + y) * img.width + left) * c;
    out.set(img.data.subarray(src, src + ow * c), y * ow * c);
  }
  return imageU8(ow, oh, c, out);
}

/** `img` pasted at (top, left) on a canvas of `h` x `w` filled with `fill` (np.full + slice assign). */
export function pasteImage(img: ImageU8, h: number, w: number, top: number, left: number, fill: number): ImageU8 {
  const c = img.channels;
  const out = new Uint8Array(h * w * c).fill(fill & 0xff);
  for (let y = 0; y < img.height; y++) {
    const src = y * img.width * c;
    out.set(img.data.subarray(src, src + img.width * c), ((top + y) * w + left) * c);
  }
  return imageU8(w, h, c, out);
}
