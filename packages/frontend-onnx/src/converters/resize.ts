// Resize and Upsample (OnnxConverter: convert_resize_op, convert_upsample_op, resize_to_interp).
// Nearest with integer scales on H and W becomes top.Upsample (spec 1.4, what TPU-MLIR's
// canonicalizer makes of it); everything else top.Interp, by scales or by a target_shape weight
// "<out>_target_shape" holding the output spatial sizes.
import { top } from '@tpu-quant/ir';
import { constOf, toNumbers } from '../const-tensor.js';
import type { Converter, NodeContext } from './context.js';

type CoordMode = 'align_corners' | 'half_pixel' | 'pytorch_half_pixel' | 'asymmetric';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Resize's nearest_mode (opset 11 on); Upsample and Resize-10 floor when upsampling, as ORT does. */
function nearestModeOf(ctx: NodeContext): NearestMode {
  if (ctx.opType === 'Upsample' || ctx.opset < 11) return 'floor';
  const m = ctx.attrs.str('nearest_mode', 'round_prefer_floor') || 'round_prefer_floor';
  if (m === 'round_prefer_floor' || m === 'round_prefer_ceil' || m === 'floor' || m === 'ceil') return m;
  throw ctx.unsupported(`with nearest_mode "${m}"`, 'supported: round_prefer_floor, round_prefer_ceil, floor, ceil');
}

/** What top.Interp does without a nearest_mode attribute (TPU-MLIR's behaviour). */
function interpDefaultRounding(coord: CoordMode): NearestMode {
  return coord === 'asymmetric' ? 'floor' : 'round_prefer_floor';
}

/**
 * Whether nearest with this rounding picks input floor(o / s) for integer scales s, which is what
 * top.Upsample computes. Half-pixel sources sit strictly inside (q − ½, q + ½), so either
 * round-half rule gives q; asymmetric ones are exactly o / s.
 */
function upsampleEquivalent(coord: CoordMode, nearest: NearestMode, sh: number, sw: number): boolean {
  if (coord === 'asymmetric') return nearest === 'floor' || (nearest === 'round_prefer_floor' && sh <= 2 && sw <= 2);
  if (coord === 'half_pixel' || coord === 'pytorch_half_pixel') return nearest === 'round_prefer_floor' || nearest === 'round_prefer_ceil';
  return false;
}

function coordMode(ctx: NodeContext, def: string): CoordMode {
  const m = ctx.attrs.str('coordinate_transformation_mode', def) || def;
  if (m === 'tf_half_pixel_for_nn') return 'half_pixel';
  if (m === 'align_corners' || m === 'half_pixel' || m === 'pytorch_half_pixel' || m === 'asymmetric') return m;
  throw ctx.unsupported(`with coordinate_transformation_mode "${m}"`, 'supported: half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn');
}

function modeOf(ctx: NodeContext): 'nearest' | 'linear' {
  const m = ctx.attrs.str('mode', 'nearest') || 'nearest';
  if (m === 'nearest' || m === 'linear' || m === 'bilinear') return m === 'nearest' ? 'nearest' : 'linear';
  throw ctx.unsupported(`with mode "${m}"`, 'supported modes: nearest, linear');
}

function build(ctx: NodeContext, scales: number[] | undefined, sizes: number[] | undefined, coord: CoordMode): void {
  const mode = modeOf(ctx);
  // Attributes that change the result and that top.Interp cannot express: refuse rather than
  // compute something else silently.
  if (ctx.attrs.int('antialias', 0) !== 0) throw ctx.unsupported('with antialias', 'export the model without antialiasing');
  if (ctx.attrs.has('axes')) throw ctx.unsupported('with an axes attribute', 'give scales or sizes for every axis');
  if (ctx.attrs.str('keep_aspect_ratio_policy', 'stretch') !== 'stretch') {
    throw ctx.unsupported('with keep_aspect_ratio_policy', 'only "stretch" is supported');
  }
  const x = ctx.shape(0);
  const rank = x.length;
  if (rank < 3) throw ctx.unsupported(`of a rank-${rank} input`);
  const given = (sizes ?? scales)!;
  if (given.length !== rank) throw ctx.fail(`scales/sizes have ${given.length} entries for a rank-${rank} input`);
  const outShape = sizes ?? x.map((d, i) => Math.floor(d * scales![i]!));
  // top.Interp resizes the last two axes (only the last one of a rank-3 input).
  const fixed = rank >= 4 ? rank - 2 : rank - 1;
  if (outShape.slice(0, fixed).some((d, i) => d !== x[i])) {
    throw ctx.unsupported(`resizing axis ${outShape.slice(0, fixed).findIndex((d, i) => d !== x[i])} of a rank-${rank} input`, `only the last ${rank - fixed === 1 ? 'axis' : 'two axes'} can be resized`);
  }
  const hIdx = rank - 2;
  const wIdx = rank - 1;
  const sh = scales ? scales[hIdx]! : outShape[hIdx]! / x[hIdx]!;
  const sw = scales ? scales[wIdx]! : outShape[wIdx]! / x[wIdx]!;
  if (outShape.every((d, i) => d === x[i])) return ctx.setOutput(ctx.value(0));
  const integer = Number.isInteger(sh) && Number.isInteger(sw) && sh >= 1 && sw >= 1;
  const nearest = nearestModeOf(ctx);
  if (mode === 'nearest' && integer && rank === 4 && upsampleEquivalent(coord, nearest, sh, sw)) {
    return ctx.setOutput(top.upsample(ctx.b, { input: ctx.value(0) }, { scale_h: sh, scale_w: sw }, { loc: ctx.loc() }));
  }
  // nearest_mode only where it differs from what top.Interp does without it
  const rounding = mode === 'nearest' && nearest !== interpDefaultRounding(coord) ? { nearest_mode: nearest } : {};
  if (scales) {
    const attrs = { mode, coord_mode: coord, scale_h: rank >= 4 ? sh : -1, scale_w: sw, ...rounding };
    return ctx.setOutput(top.interp(ctx.b, { input: ctx.value(0) }, attrs, { loc: ctx.loc() }));
  }
  const target = ctx.weight(`${ctx.name}_target_shape`, constOf('float', [rank - 2], outShape.slice(2)));
  const attrs = { mode, coord_mode: coord, scale_h: -1, scale_w: -1, ...rounding };
  ctx.setOutput(top.interp(ctx.b, { input: ctx.value(0), target_shape: target }, attrs, { loc: ctx.loc() }));
}

const resize: Converter = (ctx) => {
  const coord = coordMode(ctx, 'half_pixel');
  if (ctx.opset < 11) return build(ctx, toNumbers(ctx.requiredParam(1, 'scales')), undefined, 'asymmetric');
  const given = ctx.param(2, 'scales');
  const scales = given ? toNumbers(given) : [];
  if (scales.length > 0) return build(ctx, scales, undefined, coord);
  const sizes = ctx.param(3, 'sizes');
  if (!sizes) throw ctx.fail('has neither scales nor sizes');
  build(ctx, undefined, toNumbers(sizes), coord);
};

/** Upsample (opsets 7-9): scales from the attribute (7) or the input (9); ONNX defines it as asymmetric. */
const upsample: Converter = (ctx) => {
  const given = ctx.param(1, 'scales');
  const scales = given ? toNumbers(given) : ctx.attrs.floats('scales');
  if (!scales) throw ctx.fail('has no scales');
  build(ctx, scales, undefined, 'asymmetric');
};

export const resizeConverters: Record<string, Converter> = { Resize: resize, Upsample: upsample };
