// The fused preprocessing's numbers (fuse-preprocess + convert-top-to-tpu, chip-bm168x) on a real
// image against @tpu-quant/calib's preprocessing of the same image: a tiny model whose output is
// its preprocessed input (rgb, per-channel mean / scale, resize_dims larger than the input so the
// fused op crops). The raw input comes from model_deploy's builder (deploy-fuse-input.ts).
// - F32 / F16: the depthwise conv's result equals calib's float32 (x − mean)·scale within f32
//   rounding (f16: the scale rounded to f16 and the result to f16);
// - INT8: the codes equal a hand reference, to_int8(x·scale/S − scale·mean/S, HalfUp) on the
//   pixel read from the decoded image (crop and channel order by hand), and dequantize to within
//   S/2 of calib's floats where calib's value is inside the range;
// - the channel swap (formats in bgr order, and a non-Conv user) is a tpu.SwapChannel.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { preprocessFromInputOp, preprocessImage, readImage, resizeFor } from '@tpu-quant/calib';
import { fusePreprocess, importCalibration, lowerTopToTpu } from '@tpu-quant/chip-bm168x';
import { f32, Func, Module, Op, OpBuilder, tensorType, top, type NdArray, type TensorType } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { rawImageInputs } from '../src/commands/deploy-fuse-input.js';

const image = fileURLToPath(new URL('../../../examples/images/skimage/chelsea.png', import.meta.url));
const MEAN = [123.675, 116.28, 103.53];
const SCALE = [0.0171, 0.0175, 0.0174];
const SHAPE = [1, 3, 6, 7];
const RESIZE = [9, 12];
const TH = 2.2;

/** in (rgb, per-channel mean / scale, resize 9x12) → return. */
function tinyModel(mean = MEAN, scale = SCALE): Module {
  const m = new Module('tiny', { 'module.state': { kind: 'string', value: 'TOP_F32' } });
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const arg = f.addArgument(tensorType(SHAPE, f32));
  const x = top.input(
    b,
    { input: arg },
    { channel_format: 'nchw', pixel_format: 'rgb', resize_dims: RESIZE, keep_aspect_ratio: false, keep_ratio_mode: 'letterbox', pad_type: 'center', pad_value: 0, mean, scale },
    { loc: 'in' },
  ).result();
  f.resultTypes = [x.type];
  f.append(new Op('func.return', { operands: [x] }));
  return m;
}

/** Deploys the tiny model fused in `mode` / `format`; returns every tensor of one run on the image. */
async function runFused(mode: string, format: string, m = tinyModel()): Promise<{ tensors: Map<string, NdArray>; module: Module; raw: NdArray }> {
  const inputs = await rawImageInputs([image], m, format);
  if (mode === 'INT8') importCalibration(m, [{ name: 'in', threshold: TH, min: -TH, max: TH }]);
  fusePreprocess(m, { chip: 'bm1684x', mode, customizationFormat: format });
  lowerTopToTpu(m, { chip: 'bm1684x', mode });
  const s = await createSession(m);
  try {
    const { tensors, outputs } = await s.run(inputs, { capture: 'all' });
    return { tensors: new Map([...tensors, ...outputs]), module: m, raw: inputs.get('in_raw')! };
  } finally {
    await s.dispose();
  }
}

/** The value the return reads before its final cast: the preprocessed tensor. */
function preprocessed(module: Module, tensors: Map<string, NdArray>): { name: string; data: ArrayLike<number> } {
  let v = module.main.outputs[0]!;
  if (v.producer?.type === 'tpu.Cast') v = v.producer.operand(0);
  const a = tensors.get(v.name!);
  if (!a) throw new Error(`no tensor ${v.name}`);
  return { name: v.name!, data: a.data as ArrayLike<number> };
}

const opTypes = (m: Module) => m.main.ops.map((o) => o.type);

async function calibFloats(): Promise<Float32Array> {
  const op = tinyModel().main.ops.find((o) => o.type === 'top.Input')!;
  return (await preprocessImage(image, preprocessFromInputOp(op), SHAPE)).data as Float32Array;
}

describe('fused preprocessing matches calib preprocessing of the same image', () => {
  for (const format of ['RGB_PLANAR', 'BGR_PACKED']) {
    test(`F32 ${format}: crop, channel order and (x - mean)·scale within f32 rounding`, async () => {
      const expected = await calibFloats();
      const { tensors, module, raw } = await runFused('F32', format);
      expect(raw.dtype).toBe('u8');
      expect(raw.shape).toEqual(format.endsWith('PACKED') ? [1, 9, 12, 3] : [1, 3, 9, 12]);
      expect(opTypes(module)).toContain('tpu.Slice');
      expect(opTypes(module).includes('tpu.Permute')).toBe(format.endsWith('PACKED'));
      expect(opTypes(module).includes('tpu.SwapChannel')).toBe(format.startsWith('BGR'));
      const got = preprocessed(module, tensors).data;
      expect(got.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / 2 ** -21);
      console.log(`F32 ${format}: max |fused - calib| = ${worst.toFixed(2)} x 2^-21`);
      expect(worst).toBeLessThanOrEqual(1); // |values| < 2.3: one f32 ulp is at most 2^-22
    });
  }

  test('F16 BGR_PLANAR: within f16 rounding of calib (scale and result rounded to f16)', async () => {
    const expected = await calibFloats();
    const { tensors, module } = await runFused('F16', 'BGR_PLANAR');
    const got = preprocessed(module, tensors).data;
    // y = x·scale16 + bias, rounded to f16: |error| <= 2^-11·x·scale (the scale) + 2^-11·|y| (the result)
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      const c = Math.floor(i / 42);
      const bound = 2 ** -11 * (Math.abs(expected[i]! + SCALE[c]! * MEAN[c]!) + Math.abs(expected[i]!)) + 1e-6;
      worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / bound);
    }
    console.log(`F16 BGR_PLANAR: max |fused - calib| = ${worst.toFixed(2)} of the f16 rounding bound`);
    expect(worst).toBeLessThanOrEqual(1);
  });

  for (const format of ['BGR_PLANAR', 'RGB_PACKED']) {
    test(`INT8 ${format}: tpu.ScaleLut codes equal the hand reference, within S/2 of calib`, async () => {
      const { tensors, module } = await runFused('INT8', format);
      expect(opTypes(module)).toContain('tpu.ScaleLut');
      const { data: codes } = preprocessed(module, tensors);
      // hand reference from the decoded image: cv2-style BGR, resized to 9x12, centre crop 6x7
      const op = tinyModel().main.ops.find((o) => o.type === 'top.Input')!;
      const img = resizeFor(await readImage(image, 'color'), RESIZE[0]!, RESIZE[1]!, preprocessFromInputOp(op));
      const S = TH / 127;
      const [top0, left0] = [Math.floor(9 / 2) - Math.floor(6 / 2), Math.floor(12 / 2) - Math.floor(7 / 2)];
      const expected = await calibFloats();
      let i = 0;
      let inRange = 0;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 6; y++) {
          for (let x = 0; x < 7; x++, i++) {
            const p = img.data[((top0 + y) * 12 + left0 + x) * 3 + (2 - c)]!; // model channel c (rgb) = BGR channel 2 - c
            const v = p * (SCALE[c]! / S) + -SCALE[c]! * MEAN[c]! / S;
            const q = Math.min(127, Math.max(-128, Math.floor(v + 0.5)));
            expect(codes[i], `element ${i}`).toBe(q);
            if (Math.abs(expected[i]!) <= TH) {
              inRange++;
              expect(Math.abs(codes[i]! * S - expected[i]!)).toBeLessThanOrEqual(S / 2 + 1e-6);
            }
          }
        }
      }
      expect(inRange).toBeGreaterThan(0);
    });
  }

  test('INT8 with one mean / scale for every channel: a single tpu.Lut table', async () => {
    const m = tinyModel([128, 128, 128], [0.0078125, 0.0078125, 0.0078125]);
    const { module, tensors } = await runFused('INT8', 'RGB_PLANAR', m);
    expect(opTypes(module)).toContain('tpu.Lut');
    expect(opTypes(module)).not.toContain('tpu.ScaleLut');
    const raw = await rawImageInputs([image], tinyModel(), 'RGB_PLANAR');
    const px = raw.get('in_raw')!.data as Uint8Array;
    const codes = preprocessed(module, tensors).data;
    // crop of the planar raw image, then to_int8(p·(1/128)/S − 1/S, HalfUp)
    const S = TH / 127;
    let i = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 6; y++) for (let x = 0; x < 7; x++, i++) {
      const p = px[(c * 9 + 1 + y) * 12 + 3 + x]!; // crop top 9/2 - 6/2 = 1, left 12/2 - 7/2 = 3
      expect(codes[i]).toBe(Math.min(127, Math.max(-128, Math.floor(p * (0.0078125 / S) - (0.0078125 * 128) / S + 0.5))));
    }
  });

  test('INT8 with scale 1, mean 0 and an unsigned range [0, 255]: no table, the pixels are the codes (upstream shortcut)', async () => {
    const m = tinyModel([0, 0, 0], [1, 1, 1]);
    const inputs = await rawImageInputs([image], m, 'RGB_PLANAR');
    importCalibration(m, [{ name: 'in', threshold: 255, min: 0, max: 255 }]);
    fusePreprocess(m, { chip: 'bm1684x', mode: 'INT8', customizationFormat: 'RGB_PLANAR' });
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' });
    expect(opTypes(m).filter((t) => t.startsWith('tpu.') && t !== 'tpu.Cast')).toEqual(['tpu.Slice']);
    const s = await createSession(m);
    const { outputs } = await s.run(inputs, {});
    await s.dispose();
    const px = inputs.get('in_raw')!.data as Uint8Array;
    const got = [...outputs.values()][0]!.data as Float32Array; // dequantized: S = 255 / 255
    let i = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 6; y++) for (let x = 0; x < 7; x++, i++) expect(got[i]).toBe(px[(c * 9 + 1 + y) * 12 + 3 + x]);
  });

  test('the fused module takes the raw uint8 image: ui8 argument, input `in_raw`', async () => {
    const m = tinyModel();
    const fused = fusePreprocess(m, { chip: 'bm1684x', mode: 'F32', customizationFormat: 'BGR_PACKED' });
    expect(fused).toEqual([{ name: 'in', rawName: 'in_raw', format: 'BGR_PACKED', rawShape: [1, 9, 12, 3] }]);
    const t = m.main.args[0]!.type as TensorType;
    expect(t.shape).toEqual([1, 9, 12, 3]);
    expect(t.element).toMatchObject({ kind: 'int', width: 8, signedness: 'unsigned' });
    const input = m.main.ops.find((o) => o.type === 'top.Input')!;
    expect(input.name).toBe('in_raw');
    expect(top.inputAttrs(input)).toMatchObject({ customization_format: 'BGR_PACKED', pixel_format: 'bgr', channel_format: 'nhwc', mean: [0, 0, 0], scale: [1, 1, 1] });
    expect(m.main.ops.some((o) => o.type === 'tpu.Preprocess' && o.name === 'in_preprocess')).toBe(true);
  });
});
