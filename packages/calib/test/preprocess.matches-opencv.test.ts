// Our decoding, resize and preprocessing against OpenCV 4.6 (Debian), fixtures from
// test/fixtures/preprocess/gen_fixtures.py.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseNpy, type NdArray } from '@tpu-quant/ir';
import { imageU8, preprocessConfig, preprocessImage, readImage, resizeLinearU8, type ImageU8, type PreprocessConfig } from '@tpu-quant/calib';

const dir = fileURLToPath(new URL('./fixtures/preprocess/', import.meta.url));
const npy = (name: string): NdArray => parseNpy(readFileSync(dir + name));
const cases = JSON.parse(readFileSync(dir + 'cases.json', 'utf8')) as {
  srcs: Record<string, string>;
  sizes: [number, number][];
  cases: Record<string, { src: string; shape: number[] } & Record<string, unknown>>;
};

/** An HxWxC uint8 npy as an image. */
function asImage(a: NdArray): ImageU8 {
  const [h, w, c = 1] = a.shape;
  return imageU8(w!, h!, c, a.data as Uint8Array);
}

function firstDiff(a: Uint8Array, b: Uint8Array): string {
  let n = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { n++; if (first < 0) first = i; }
  return n === 0 ? 'equal' : `${n} differ, first at ${first}: ${a[first]} vs ${b[first]}`;
}

describe('decoding matches cv2.imread', () => {
  test.each(['png', 'bmp', 'jpg'])('%s, IMREAD_COLOR (BGR)', async (key) => {
    const img = await readImage(dir + cases.srcs[key]!, 'color');
    const want = npy(`decode_${key}.npy`);
    expect([img.height, img.width, img.channels]).toEqual(want.shape);
    expect(firstDiff(img.data, want.data as Uint8Array)).toBe('equal');
  });

  test('png, IMREAD_GRAYSCALE', async () => {
    const img = await readImage(dir + cases.srcs.png!, 'gray');
    expect(firstDiff(img.data, npy('gray_png.npy').data as Uint8Array)).toBe('equal');
  });
});

describe('resizeLinearU8 matches cv2.resize INTER_LINEAR to the integer', () => {
  const src = asImage(npy('decode_png.npy'));
  test.each(cases.sizes)('37x23 -> %ix%i', (w, h) => {
    const want = npy(`resize_png_${w}x${h}.npy`);
    const got = resizeLinearU8(src, w, h);
    expect(firstDiff(got.data, want.data as Uint8Array)).toBe('equal');
  });

  test('exact 2x reduction (OpenCV uses INTER_AREA there)', () => {
    const even = imageU8(36, 22, 3, new Uint8Array(36 * 22 * 3));
    for (let y = 0; y < 22; y++) even.data.set(src.data.subarray(y * 37 * 3, y * 37 * 3 + 36 * 3), y * 36 * 3);
    expect(firstDiff(resizeLinearU8(even, 18, 11).data, npy('resize_half_36x22_to_18x11.npy').data as Uint8Array)).toBe('equal');
  });

  test('one channel', () => {
    const gray = asImage(npy('gray_png.npy'));
    expect(firstDiff(resizeLinearU8(gray, 29, 17).data, npy('resize_gray_29x17.npy').data as Uint8Array)).toBe('equal');
  });
});

describe('preprocessImage matches TPU-MLIR preprocess.py on OpenCV', () => {
  test.each(Object.keys(cases.cases))('%s', async (name) => {
    const c = cases.cases[name]!;
    const [n, h, w] = c.shape as [number, number, number];
    const cfg: PreprocessConfig = preprocessConfig({
      pixel_format: c.pixel_format as PreprocessConfig['pixel_format'],
      channel_format: c.channel_format as PreprocessConfig['channel_format'],
      keep_aspect_ratio: Boolean(c.keep_aspect_ratio),
      ...(c.keep_ratio_mode !== undefined && { keep_ratio_mode: c.keep_ratio_mode as PreprocessConfig['keep_ratio_mode'] }),
      ...(c.pad_value !== undefined && { pad_value: c.pad_value as number }),
      ...(c.pad_type !== undefined && { pad_type: c.pad_type as PreprocessConfig['pad_type'] }),
      ...(c.resize_dims !== undefined && { resize_dims: c.resize_dims as [number, number] }),
      mean: c.mean as number[],
      scale: c.scale as number[],
    });
    const ch = cfg.pixel_format === 'gray' ? 1 : 3;
    const shape = cfg.channel_format === 'nhwc' ? [n, h, w, ch] : [n, ch, h, w];
    const got = await preprocessImage(dir + cases.srcs[c.src]!, cfg, shape);
    const want = npy(`pre_${name}.npy`);
    expect(got.shape).toEqual(want.shape);
    let worst = 0;
    for (let i = 0; i < got.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - (want.data as Float32Array)[i]!));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});
