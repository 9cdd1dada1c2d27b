// The expansion of tpu.Preprocess (fuse-preprocess.ts) inside convert-top-to-tpu, as TPU-MLIR's
// tpu.Preprocess canonicalization does it (lib/Dialect/Tpu/Canonicalize/Preprocess.cpp, BM1684X
// family), on the raw uint8 image:
// 1. *_PACKED: tpu.Permute [0,3,1,2] (`<input>_transpose`) to planar;
// 2. resize_dims larger than the input: tpu.Slice (`<input>_slice`), the centre crop
//    top = RH/2 − H/2, left = RW/2 − W/2;
// 3. (x − mean)·scale, per channel in the raw image's colour order (mean / scale swapped when the
//    format's order differs from the model's):
//    - INT8: a table per channel, entry[x] = to_int8(x·scale/S − scale·mean/S, HalfUp) for the
//      256 pixel values, S the output's scale (th/127, or th/255 when the range is unsigned):
//      tpu.Lut (`<input>_lut`) when every channel has the same scale and mean, else tpu.ScaleLut
//      (`<input>_scale_lut`); nothing at all when scale/S is within 1 ± 0.01, the bias is 0 and
//      the range unsigned (upstream's shortcut: the pixels are taken as the codes);
//    - F32 / F16 / BF16: a cast of the pixels to the float type, then a depthwise 1x1 tpu.Conv2D
//      (`<input>_dwconv`), filter = scale (in the mode's type), bias = −scale·mean (f32);
// 4. the channel swap (rgb ↔ bgr) folded into the next Conv (group 1) by reordering its
//    filter's input channels (`<filter>_swap_channel`; done on the top filter before the Conv is
//    lowered, which gives the same quantized filter: per-output-channel scales do not depend on
//    the order of input channels), else a tpu.SwapChannel (`<input>_swap_channel`).
//
// Deliberate differences: the INT8 table's signedness follows the output type (unsigned when the
// calibrated range is ≥ 0), where upstream follows `sign` (some mean ≠ 0); they agree unless a
// model has a nonzero mean and a range that never goes below 0. An asymmetric output's zero point
// is added to the entries (upstream's table leaves it out; symmetric INT8 has none).
import type { NdArray, Op, TensorType, UniformQuantType, Value } from '@tpu-quant/ir';
import { ndarray, tensorType, top, UserError } from '@tpu-quant/ir';
import { preprocessAttrs } from '../dialect/generated/attrs.js';
import * as tpu from '../dialect/generated/builders.js';
import { toInt8, toUint8 } from '../quant/rounding.js';
import type { LoweringContext } from './context.js';
import { floatWeightData } from './float-weights.js';
import { CUSTOMIZATION_FORMATS } from './fuse-preprocess.js';
import { FLOAT_TYPES } from './lower-float.js';

export type PreprocessMode = 'INT8' | 'F32' | 'F16' | 'BF16';

/** Expands `op` (a tpu.Preprocess) before it; returns the value that replaces its result. */
export function lowerPreprocess(op: Op, cx: LoweringContext, mode: PreprocessMode): Value {
  const a = preprocessAttrs(op);
  const fmt = CUSTOMIZATION_FORMATS[a.customization_format];
  if (!fmt) throw new UserError('E_NOT_AVAILABLE', `tpu.Preprocess "${op.name ?? '?'}": customization_format ${a.customization_format} is not built`, `built: ${Object.keys(CUSTOMIZATION_FORMATS).join(', ')}`);
  const base = (op.name ?? 'input').replace(/_preprocess$/, '');
  const [n, c, h, w] = (op.result().type as TensorType).shape as [number, number, number, number];
  const [rh, rw] = a.resize_dims.length === 2 ? [a.resize_dims[0]!, a.resize_dims[1]!] : [h, w];
  const swap = c === 3 && fmt.color !== a.channel_order;
  const place = (t: TensorType, name: string) => {
    cx.b.setInsertionPointBefore(op);
    return { loc: cx.freshName(name), resultType: t };
  };
  const raw = (shape: number[]) => tensorType(shape, (op.operand(0).type as TensorType).element);

  let cur = op.operand(0);
  if (fmt.layout === 'nhwc') cur = tpu.permute(cx.b, { input: cur }, { order: [0, 3, 1, 2] }, place(raw([n, c, rh, rw]), `${base}_transpose`)).result();
  if (rh !== h || rw !== w) {
    const t0 = Math.floor(rh / 2) - Math.floor(h / 2);
    const l0 = Math.floor(rw / 2) - Math.floor(w / 2);
    cur = tpu.slice(cx.b, { input: cur }, { offset: [0, 0, t0, l0], steps: [1, 1, 1, 1], ends: [n, c, t0 + h, l0 + w], axes: [0, 1, 2, 3] }, place(raw([n, c, h, w]), `${base}_slice`)).result();
  }

  // per channel of the raw image: y = x·scale + bias, bias = −scale·mean (model order, then swapped)
  const scale = Array.from({ length: c }, (_, i) => a.scale[i] ?? 1);
  const bias = Array.from({ length: c }, (_, i) => -(a.scale[i] ?? 1) * (a.mean[i] ?? 0));
  if (swap) {
    [scale[0], scale[2]] = [scale[2]!, scale[0]!];
    [bias[0], bias[2]] = [bias[2]!, bias[0]!];
  }

  const qt = mode === 'INT8' ? cx.quantTypeOf(op.result()) : undefined;
  if (qt) cur = scaleInt8(op, cx, cur, qt, scale, bias, base, place);
  else cur = scaleFloat(op, cx, cur, mode === 'INT8' ? 'F32' : mode, scale, bias, base, place);

  if (swap && !foldSwapIntoConv(op, cx)) {
    cur = tpu.swapChannel(cx.b, { input: cur }, { channel_order: [2, 1, 0] }, place(cur.type as TensorType, `${base}_swap_channel`)).result();
  }
  return cur;
}

type Place = (t: TensorType, name: string) => { loc: string; resultType: TensorType };

/** INT8: the pixel → code tables (tpu.Lut / tpu.ScaleLut), or the pixels themselves (module doc). */
function scaleInt8(op: Op, cx: LoweringContext, x: Value, qt: TensorType, scale: number[], bias: number[], base: string, place: Place): Value {
  const u = qt.element as UniformQuantType;
  const S = u.scales[0]!;
  const zp = u.zeroPoints[0] ?? 0;
  const signed = u.storage.signedness !== 'unsigned';
  const s = scale.map((v) => v / S);
  const bq = bias.map((v) => v / S);
  const identity = s.every((v, i) => v >= 0.99 && v <= 1.01 && bq[i] === 0);
  if (identity && !signed && zp === 0) {
    x.type = qt; // the pixels are the codes: relabel them with the output's scale
    return x;
  }
  const c = s.length;
  const same = s.every((v, i) => v === s[0] && bq[i] === bq[0]);
  const channels = same ? 1 : c;
  const table = signed ? new Int8Array(channels * 256) : new Uint8Array(channels * 256);
  const round = signed ? toInt8 : toUint8;
  for (let ch = 0; ch < channels; ch++) for (let p = 0; p < 256; p++) table[ch * 256 + p] = round(p * s[ch]! + bq[ch]! + zp, 'HalfUp');
  const data: NdArray = signed ? ndarray('i8', [1, channels, 16, 16], table as Int8Array) : ndarray('u8', [1, channels, 16, 16], table as Uint8Array);
  if (same) {
    const t = cx.weight(`${base}_lut_table`, data, op);
    return tpu.lut(cx.b, { input: x, table: t }, {}, place(qt, `${base}_lut`)).result();
  }
  const t = cx.weight(`${base}_scale_lut_table`, data, op);
  return tpu.scaleLut(cx.b, { input: x, table: t }, { scale: s, bias: bq, sign: signed }, place(qt, `${base}_scale_lut`)).result();
}

/** Float modes: pixels cast to the float type, then a depthwise 1x1 conv (scale, −scale·mean). */
function scaleFloat(op: Op, cx: LoweringContext, x: Value, mode: 'F32' | 'F16' | 'BF16', scale: number[], bias: number[], base: string, place: Place): Value {
  const t = FLOAT_TYPES[mode];
  const c = scale.length;
  const shape = [...(x.type as TensorType).shape];
  const xf = cx.float(x, t);
  const f32Filter = ndarray('f32', [c, 1, 1, 1], Float32Array.from(scale));
  const filter = cx.weight(`${base}_dwconv_filter`, t.name === 'f32' ? f32Filter : floatWeightData(f32Filter, t), op);
  const b = cx.weight(`${base}_dwconv_bias`, ndarray('f32', [c], Float32Array.from(bias)), op);
  return tpu.conv2D(
    cx.b,
    { input: xf, filter, bias: b },
    { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], group: c, with_bias: true },
    place(tensorType(shape, t), `${base}_dwconv`),
  ).result();
}

/**
 * The swap folded into the only user of the preprocessed value when it is a top.Conv with group 1
 * and a loaded 3-input-channel filter: the filter's input channels reordered [2, 1, 0].
 */
function foldSwapIntoConv(op: Op, cx: LoweringContext): boolean {
  const users = op.result().uses.map((u) => u.op);
  const conv = users[0];
  if (users.length !== 1 || conv?.type !== 'top.Conv' || conv.operand(0) !== op.result() || top.convAttrs(conv).group !== 1) return false;
  const fv = conv.operand(1);
  const fname = fv.producer?.type === 'top.Weight' ? fv.producer.name : undefined;
  const w = fname !== undefined ? cx.module.weights.get(fname) : undefined;
  if (!w || (w.dtype !== 'f32' && w.dtype !== 'f64') || w.shape.length !== 4 || w.shape[1] !== 3) return false;
  const [oc, ic, kh, kw] = w.shape as [number, number, number, number];
  const frame = kh * kw;
  const src = w.data as Float32Array | Float64Array;
  const out = new Float32Array(src.length);
  for (let o = 0; o < oc; o++) for (let i = 0; i < ic; i++) out.set(src.subarray((o * ic + (2 - i)) * frame, (o * ic + (2 - i) + 1) * frame), (o * ic + i) * frame);
  conv.setOperand(1, cx.weight(`${fname}_swap_channel`, ndarray('f32', w.shape, out), conv));
  return true;
}
