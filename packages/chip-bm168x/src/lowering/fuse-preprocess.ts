// `fuse-preprocess{mode customization_format align}` (TPU-MLIR's FusePreprocess.cpp, spec deploy.md
// §1.3, §4.3): the preprocessing model_transform recorded on a top.Input moves into the model.
// The input becomes the raw uint8 image (`<input>_raw`, shape [N, C, RH, RW] for *_PLANAR and
// GRAYSCALE, [N, RH, RW, C] for *_PACKED, RH x RW = resize_dims, channels in the
// customization_format's colour order) and a tpu.Preprocess op (`<input>_preprocess`) carrying
// mean / scale / channel order / resize_dims feeds the model in its place; the top.Input's
// mean / scale are reset to 0 / 1, as upstream does. convert-top-to-tpu expands the op
// (lower-preprocess.ts): packed → planar permute, centre crop, (x − mean)·scale (an INT8 table or
// a float depthwise 1x1 conv), channel swap.
//
// Deliberate differences from TPU-MLIR:
// - upstream inserts top.Preprocess, lowered to tpu.Preprocess; the top op table lives in
//   @tpu-quant/ir, so the pass inserts tpu.Preprocess directly (same attributes);
// - an input counts as preprocessed when it carries pixel_format and channel_format (our
//   model_transform does not write do_preprocess; an explicit do_preprocess = false opts out);
// - refused with a UserError where upstream aborts or computes nonsense: BM1684 and CV18xx (no
//   Preprocess lowering here; upstream's BM1684 has none), YUV / RGBA / Bayer RAW formats (not
//   built), --aligned_input (CV18xx VPSS alignment only), NHWC model inputs, GRAYSCALE for a
//   colour model (and colour formats for a gray one), resize_dims smaller than the input.
import type { Module, Op, TensorType } from '@tpu-quant/ir';
import {
  f32, f64ArrayAttr, getPass, nameLoc, OpBuilder, registerPass, stringAttr, tensorType, top, ui8, uniformType, UserError, verifyModule,
} from '@tpu-quant/ir';
import { calibratedOf } from '../calibration/calibrated.js';
import { preprocess as tpuPreprocess } from '../dialect/generated/builders.js';

/** customization_format → (colour order, layout), TPU-MLIR's table for the formats built here. */
export const CUSTOMIZATION_FORMATS: Readonly<Record<string, { color: 'rgb' | 'bgr' | 'gray'; layout: 'nchw' | 'nhwc' }>> = {
  RGB_PLANAR: { color: 'rgb', layout: 'nchw' },
  RGB_PACKED: { color: 'rgb', layout: 'nhwc' },
  BGR_PLANAR: { color: 'bgr', layout: 'nchw' },
  BGR_PACKED: { color: 'bgr', layout: 'nhwc' },
  GRAYSCALE: { color: 'gray', layout: 'nchw' },
};

/** TPU-MLIR's other formats: known, not built (YUV needs a colour-space op, RAW a Bayer packer). */
const NOT_BUILT = ['YUV420_PLANAR', 'YUV_NV21', 'YUV_NV12', 'RGBA_PLANAR', 'GBRG_RAW', 'GRBG_RAW', 'BGGR_RAW', 'RGGB_RAW'];

const FAMILY = ['bm1684x', 'bm1688', 'bm1690', 'cv186x'];
const MODES = ['INT8', 'F32', 'F16', 'BF16'];

export interface FusePreprocessOptions {
  readonly chip: string;
  /** The module's quantization mode (INT8, F32, F16, BF16). */
  readonly mode: string;
  /** '' or undefined: from the first preprocessed input's pixel_format / channel_format (model_deploy's getCustomFormat). */
  readonly customizationFormat?: string;
  readonly aligned?: boolean;
}

/** What happened to one input. */
export interface FusedInput {
  /** The input's name before fusing (the top tensors use it). */
  readonly name: string;
  /** The new input name, `<name>_raw`. */
  readonly rawName: string;
  readonly format: string;
  /** The raw uint8 input's shape. */
  readonly rawShape: number[];
}

/** `getCustomFormat(pixel_format, channel_format)` of model_deploy.py. */
export function customFormatOf(pixelFormat: string, channelFormat: string): string {
  if (pixelFormat === 'gray') return 'GRAYSCALE';
  if (pixelFormat === 'rgb' || pixelFormat === 'bgr') return `${pixelFormat.toUpperCase()}_${channelFormat === 'nhwc' ? 'PACKED' : 'PLANAR'}`;
  throw new UserError('E_NOT_AVAILABLE', `fused preprocessing of a ${pixelFormat} input is not available yet`, `built formats: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')}`);
}

/** Whether a top.Input carries model_transform's preprocessing (and does not opt out). */
export function hasPreprocess(op: Op): boolean {
  const dp = op.attrs.get('do_preprocess');
  if (dp?.kind === 'bool' && !dp.value) return false;
  return op.attrs.has('pixel_format') && op.attrs.has('channel_format');
}

/** Checks the options without changing the module; returns the format the pass will use. */
export function checkFusePreprocess(module: Module, opts: FusePreprocessOptions): string {
  const chip = opts.chip.toLowerCase();
  if (chip === 'bm1684') {
    throw new UserError('E_UNSUPPORTED', '--fuse_preprocess on bm1684: TPU-MLIR has no Preprocess lowering for BM1684 (its docs list fused preprocessing for BM168x except BM1684)', 'deploy for bm1684x (or bm1688, bm1690, cv186x), or preprocess outside the model');
  }
  if (!FAMILY.includes(chip)) {
    throw new UserError('E_NOT_AVAILABLE', `--fuse_preprocess on ${chip} is not available yet`, `fused preprocessing is built for ${FAMILY.join(', ')}`);
  }
  const mode = opts.mode.toUpperCase();
  if (!MODES.includes(mode)) throw new UserError('E_NOT_AVAILABLE', `--fuse_preprocess with --quantize ${mode} is not available yet`, `modes: ${MODES.join(', ')}`);
  if (opts.aligned) {
    throw new UserError('E_UNSUPPORTED', `--aligned_input on ${chip}: input alignment is CV18xx's VPSS layout (row / channel padding), which the BM168x fused preprocessing does not use`, 'leave --aligned_input out');
  }
  const inputs = module.main.ops.filter((o) => o.type === 'top.Input' && hasPreprocess(o));
  if (inputs.length === 0) {
    throw new UserError('E_NO_PREPROCESS', `--fuse_preprocess: no input of ${module.name ?? 'the module'} carries preprocessing attributes`, 'run model_transform with the image preprocessing (--mean, --scale, --pixel_format, --resize_dims) so top.Input records it');
  }
  const given = opts.customizationFormat ?? '';
  if (given !== '' && !(given in CUSTOMIZATION_FORMATS)) {
    if (NOT_BUILT.includes(given)) {
      throw new UserError('E_NOT_AVAILABLE', `--customization_format ${given} is not available yet`, `built formats: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')} (YUV needs a colour-space op, RAW a Bayer packer, RGBA a fourth channel)`);
    }
    throw new UserError('E_BAD_FLAG', `--customization_format ${given} is not a format`, `one of: ${[...Object.keys(CUSTOMIZATION_FORMATS), ...NOT_BUILT].join(', ')}`);
  }
  const first = top.inputAttrs(inputs[0]!);
  const format = given !== '' ? given : customFormatOf(first.pixel_format ?? 'bgr', first.channel_format ?? 'nchw');
  for (const op of inputs) inputPlan(op, format);
  return format;
}

interface InputPlan {
  n: number; c: number; h: number; w: number; rh: number; rw: number;
  pixelFormat: string;
  mean: number[];
  scale: number[];
}

function inputPlan(op: Op, format: string): InputPlan {
  const a = top.inputAttrs(op);
  const name = op.name ?? '?';
  const shape = (op.result().type as TensorType).shape;
  if (a.channel_format === 'nhwc') throw new UserError('E_NOT_AVAILABLE', `--fuse_preprocess: input "${name}" is NHWC; fused preprocessing is built for NCHW inputs`, 'transform the model with --channel_format nchw');
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UserError('E_SHAPE', `--fuse_preprocess: input "${name}" has shape [${shape.join(',')}], not a static [N,C,H,W] image`, 'set --input_shapes in model_transform');
  }
  const [n, c, h, w] = shape as [number, number, number, number];
  const pixelFormat = a.pixel_format ?? 'bgr';
  const gray = CUSTOMIZATION_FORMATS[format]!.color === 'gray';
  if (pixelFormat === 'rgba' || pixelFormat.length === 4) throw new UserError('E_NOT_AVAILABLE', `--fuse_preprocess: input "${name}" has pixel_format ${pixelFormat}`, 'fused preprocessing is built for rgb, bgr and gray inputs');
  if (gray !== (pixelFormat === 'gray') || c !== (gray ? 1 : 3)) {
    throw new UserError('E_BAD_FLAG', `--customization_format ${format} does not fit input "${name}" (pixel_format ${pixelFormat}, ${c} channels)`, gray ? 'GRAYSCALE is for one-channel gray models' : 'a gray model takes GRAYSCALE');
  }
  const rd = a.resize_dims ?? [];
  const [rh, rw] = rd.length === 2 ? [rd[0]!, rd[1]!] : [h, w];
  if (rh < h || rw < w) {
    throw new UserError('E_BAD_FLAG', `--fuse_preprocess: resize_dims ${rh},${rw} of input "${name}" is smaller than its size ${h},${w}`, 'resize_dims must be at least the input size (the fused op centre-crops)');
  }
  const mean = a.mean && a.mean.length > 0 ? a.mean : new Array<number>(c).fill(0);
  const scale = a.scale && a.scale.length > 0 ? a.scale : new Array<number>(c).fill(1);
  if (mean.length < c || scale.length < c) throw new UserError('E_BAD_FLAG', `input "${name}": mean / scale have fewer than ${c} values`, 'check model_transform --mean / --scale');
  return { n, c, h, w, rh, rw, pixelFormat, mean: mean.slice(0, c), scale: scale.slice(0, c) };
}

/**
 * Runs the pass: every preprocessed input becomes the raw uint8 image followed by a tpu.Preprocess.
 * Must run before convert-top-to-tpu (after the calibration import: the op takes the input's range).
 */
export function fusePreprocess(module: Module, opts: FusePreprocessOptions): FusedInput[] {
  const format = checkFusePreprocess(module, opts);
  const { color, layout } = CUSTOMIZATION_FORMATS[format]!;
  const mode = opts.mode.toUpperCase();
  const f = module.main;
  const b = new OpBuilder(f);
  const fused: FusedInput[] = [];
  for (const input of f.ops.filter((o) => o.type === 'top.Input' && hasPreprocess(o))) {
    const p = inputPlan(input, format);
    const name = input.name!;
    const v = input.result();
    const rawShape = layout === 'nhwc' ? [p.n, p.rh, p.rw, p.c] : [p.n, p.c, p.rh, p.rw];
    const range = calibratedOf(v);
    // the raw image: ui8 argument, `!quant.uniform<u8:f32, 1.0>` input (codes are the pixel values)
    const arg = input.operands[0];
    if (arg) arg.type = tensorType(rawShape, ui8);
    const uses = v.uses.map((u) => u.op);
    v.type = tensorType(rawShape, uniformType(ui8, 1, 0, f32));
    input.loc = nameLoc(`${name}_raw`);
    input.attrs.set('pixel_format', stringAttr(color));
    input.attrs.set('channel_format', stringAttr(layout));
    input.attrs.set('customization_format', stringAttr(format));
    b.setInsertionPointAfter(input);
    const pre = tpuPreprocess(
      b,
      { input: v },
      {
        quant_mode: mode, customization_format: format, channel_order: p.pixelFormat, resize_dims: [p.rh, p.rw],
        scale: p.scale, mean: p.mean, sign: p.mean.some((m) => m !== 0),
      },
      { loc: `${name}_preprocess`, resultType: tensorType([p.n, p.c, p.h, p.w], range ?? f32) },
    ).result();
    for (const u of uses) u.operands.forEach((o, i) => o === v && u.setOperand(i, pre));
    input.attrs.set('mean', f64ArrayAttr(new Array<number>(p.c).fill(0)));
    input.attrs.set('scale', f64ArrayAttr(new Array<number>(p.c).fill(1)));
    fused.push({ name, rawName: `${name}_raw`, format, rawShape });
  }
  verifyModule(module);
  return fused;
}

/** Registers the `fuse-preprocess` pass (TPU-MLIR's option names) once. */
export function registerFusePreprocessPass(): void {
  if (getPass('fuse-preprocess')) return;
  registerPass({
    name: 'fuse-preprocess',
    summary: 'take the raw uint8 image as input and do the recorded preprocessing in the model (TPU-MLIR fuse-preprocess; run before convert-top-to-tpu)',
    options: {
      chip: { type: 'enum', default: 'bm1684x', values: [...FAMILY, 'bm1684'], doc: 'processor (bm1684 is refused: TPU-MLIR has no lowering for it)' },
      mode: { type: 'enum', default: 'INT8', values: MODES, doc: 'quantization mode of the lowering that follows' },
      customization_format: { type: 'string', default: '', doc: `raw input format: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')} ('' = the model's)` },
      align: { type: 'bool', default: false, doc: 'CV18xx VPSS-aligned input (refused on BM168x)' },
    },
    run: (m, o) => {
      fusePreprocess(m, { chip: o.chip, mode: o.mode, customizationFormat: o.customization_format, aligned: o.align });
    },
  });
}
