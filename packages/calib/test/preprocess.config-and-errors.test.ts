import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { f64ArrayAttr, i64ArrayAttr, intAttr, Op, stringAttr, UserError, boolAttr } from '@tpu-quant/ir';
import { DEFAULT_PREPROCESS, preprocessConfig, preprocessFromInputOp, preprocessImage } from '@tpu-quant/calib';

const dir = fileURLToPath(new URL('./fixtures/preprocess/', import.meta.url));

describe('preprocessFromInputOp', () => {
  test('an Input without preprocessing attributes gets TPU-MLIR defaults', () => {
    expect(preprocessFromInputOp(new Op('top.Input'))).toEqual({ ...DEFAULT_PREPROCESS });
  });

  test('reads the attributes model_transform writes', () => {
    const op = new Op('top.Input');
    op.attrs.set('pixel_format', stringAttr('rgb'));
    op.attrs.set('channel_format', stringAttr('nhwc'));
    op.attrs.set('resize_dims', i64ArrayAttr([256, 256]));
    op.attrs.set('keep_aspect_ratio', boolAttr(true));
    op.attrs.set('keep_ratio_mode', stringAttr('short_side_scale'));
    op.attrs.set('pad_value', intAttr(114));
    op.attrs.set('pad_type', stringAttr('normal'));
    op.attrs.set('mean', f64ArrayAttr([1, 2, 3]));
    op.attrs.set('scale', f64ArrayAttr([0.5, 0.5, 0.5]));
    expect(preprocessFromInputOp(op)).toEqual({
      pixel_format: 'rgb', channel_format: 'nhwc', resize_dims: [256, 256], keep_aspect_ratio: true,
      keep_ratio_mode: 'short_side_scale', pad_value: 114, pad_type: 'normal', mean: [1, 2, 3], scale: [0.5, 0.5, 0.5],
    });
  });

  test('gray and rgba default mean/scale to their channel count; Bayer formats are refused', () => {
    expect(preprocessConfig({ pixel_format: 'rgba' }).mean).toEqual([0, 0, 0, 0]);
    expect(preprocessConfig({ pixel_format: 'gray' }).scale).toEqual([1]);
    expect(() => preprocessConfig({ pixel_format: 'rggb' })).toThrow(/pixel_format "rggb"/);
  });
});

describe('errors a user can act on', () => {
  const cfg = preprocessConfig();
  test('not an image: E_IMAGE with a hint', async () => {
    const e = await preprocessImage(dir + 'not-an-image.png', cfg, [1, 3, 8, 8]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e).toMatchObject({ code: 'E_IMAGE' });
    expect((e as UserError).hint).toMatch(/JPEG, PNG/);
  });

  test('a missing file says which', async () => {
    const e = await preprocessImage(dir + 'nope.jpg', cfg, [1, 3, 8, 8]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_IO' });
    expect((e as Error).message).toContain('nope.jpg');
  });

  test('a truncated BMP is E_IMAGE', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'tpuq-bmp-')), 'cut.bmp');
    const head = Buffer.alloc(60);
    head.write('BM', 0, 'latin1');
    head.writeUInt32LE(54, 10);
    head.writeUInt32LE(40, 14);
    head.writeInt32LE(100, 18);
    head.writeInt32LE(100, 22);
    head.writeUInt16LE(24, 28);
    writeFileSync(p, head);
    await expect(preprocessImage(p, cfg, [1, 3, 8, 8])).rejects.toMatchObject({ code: 'E_IMAGE' });
  });

  test('a BMP cut inside its header is E_IMAGE, not a RangeError', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'tpuq-bmp-')), 'head.bmp');
    const head = Buffer.alloc(30);
    head.write('BM', 0, 'latin1');
    writeFileSync(p, head);
    await expect(preprocessImage(p, cfg, [1, 3, 8, 8])).rejects.toMatchObject({ code: 'E_IMAGE' });
  });

  test('channels that disagree with pixel_format', async () => {
    await expect(preprocessImage(dir + 'img37x23.png', cfg, [1, 1, 8, 8])).rejects.toMatchObject({ code: 'E_SHAPE' });
  });

  test('batch > 1 repeats the image', async () => {
    const a = await preprocessImage(dir + 'img37x23.png', cfg, [3, 3, 5, 7]);
    expect(a.shape).toEqual([3, 3, 5, 7]);
    expect(Array.from(a.data.subarray(0, 105))).toEqual(Array.from(a.data.subarray(210, 315)));
  });
});
