// Upsample (integer nearest) and Interp, following ONNX Resize: the output coordinate maps back
// to the input by coord_mode, with the scale from scale_h/scale_w when given (ONNX uses the given
// scale, not out/in) and out/in otherwise. Linear is separable bilinear with the source
// coordinate clamped to the input; nearest rounds half down (ONNX's round_prefer_floor) except
// for asymmetric, which floors (PyTorch's nearest export); the optional nearest_mode attribute
// (our extension of top.Interp, set from ONNX Resize) overrides that rounding.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, f32, size } from '../../tensor.js';

type CoordMode = 'align_corners' | 'half_pixel' | 'pytorch_half_pixel' | 'asymmetric';

/** Source coordinate of output index o. */
export function sourceCoord(o: number, inSize: number, outSize: number, scale: number, mode: CoordMode): number {
  switch (mode) {
    case 'align_corners':
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case 'asymmetric':
      return o / scale;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    default:
      return (o + 0.5) / scale - 0.5;
  }
}

const ROUNDERS: Record<string, (v: number) => number> = {
  round_prefer_floor: (v) => Math.ceil(v - 0.5),
  round_prefer_ceil: (v) => Math.floor(v + 0.5),
  floor: Math.floor,
  ceil: Math.ceil,
};

function nearestRounder(nearestMode: string | undefined, mode: CoordMode): (v: number) => number {
  if (nearestMode) return ROUNDERS[nearestMode]!;
  return mode === 'asymmetric' ? Math.floor : ROUNDERS.round_prefer_floor!;
}

interface Axis { i0: Int32Array; i1: Int32Array; t: Float64Array }

function axisMap(outSize: number, inSize: number, scale: number, mode: CoordMode, linear: boolean, round: (v: number) => number): Axis {
  const ax: Axis = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), t: new Float64Array(outSize) };
  for (let o = 0; o < outSize; o++) {
    const s = sourceCoord(o, inSize, outSize, scale, mode);
    if (linear) {
      const c = Math.min(Math.max(s, 0), inSize - 1);
      const lo = Math.floor(c);
      ax.i0[o] = lo;
      ax.i1[o] = Math.min(lo + 1, inSize - 1);
      ax.t[o] = c - lo;
    } else {
      ax.i0[o] = Math.min(Math.max(round(s), 0), inSize - 1);
    }
  }
  return ax;
}

function interp(ctx: KernelContext): NdArray {
  const a = top.interpAttrs(ctx.op);
  const x = input0(ctx);
  const shape = outShape(ctx);
  const r = x.shape.length;
  const [ih, iw] = r >= 4 ? [x.shape[r - 2]!, x.shape[r - 1]!] : [1, x.shape[r - 1]!];
  const [oh, ow] = r >= 4 ? [shape[r - 2]!, shape[r - 1]!] : [1, shape[r - 1]!];
  const mode = a.coord_mode as CoordMode;
  const linear = a.mode === 'linear';
  const round = nearestRounder(a.nearest_mode, mode);
  const scaleH = a.scale_h > 0 ? a.scale_h : oh / ih;
  const scaleW = a.scale_w > 0 ? a.scale_w : ow / iw;
  const H = r >= 4 ? axisMap(oh, ih, scaleH, mode, linear, round) : axisMap(1, 1, 1, 'asymmetric', linear, Math.floor);
  const W = axisMap(ow, iw, scaleW, mode, linear, round);
  const planes = size(x.shape) / (ih * iw);
  const xd = x.data as Float32Array;
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const base = p * ih * iw;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        const o = (p * oh + y) * ow + xx;
        if (!linear) {
          out[o] = xd[base + H.i0[y]! * iw + W.i0[xx]!]!;
          continue;
        }
        const [y0, y1, ty] = [H.i0[y]!, H.i1[y]!, H.t[y]!];
        const [x0, x1, tx] = [W.i0[xx]!, W.i1[xx]!, W.t[xx]!];
        const top0 = xd[base + y0 * iw + x0]! * (1 - tx) + xd[base + y0 * iw + x1]! * tx;
        const bot0 = xd[base + y1 * iw + x0]! * (1 - tx) + xd[base + y1 * iw + x1]! * tx;
        out[o] = top0 * (1 - ty) + bot0 * ty;
      }
    }
  }
  return f32(shape, out);
}

jsKernel('Interp', interp);

jsKernel('Upsample', (ctx) => {
  const a = top.upsampleAttrs(ctx.op);
  const x = input0(ctx);
  const shape = outShape(ctx);
  const r = x.shape.length;
  const [ih, iw] = [x.shape[r - 2]!, x.shape[r - 1]!];
  const [oh, ow] = [ih * a.scale_h, iw * a.scale_w];
  const planes = size(x.shape) / (ih * iw);
  const xd = x.data as Float32Array;
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        out[(p * oh + y) * ow + xx] = xd[(p * ih + Math.floor(y / a.scale_h)) * iw + Math.floor(xx / a.scale_w)]!;
      }
    }
  }
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
});
