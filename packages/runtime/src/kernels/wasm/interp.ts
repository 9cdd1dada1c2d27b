// top.Interp on wasm (assembly/interp.ts) for 4-D NCHW inputs resized along H and W: nearest (any
// nearest_mode) and bilinear, in every coordinate mode of the js kernel, whose coordinate rule
// (`sourceCoord`) and rounding the source maps below follow. The maps depend only on the shapes
// and attributes, so they are made once per op and kept resident. Other ranks stay on js.
import type { Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { input0, outShape } from '../../registry.js';
import { size } from '../../tensor.js';
import { sourceCoord } from '../js/resize.js';
import { heap, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

type CoordMode = Parameters<typeof sourceCoord>[4];

/** Nearest rounding as js/resize.ts: ONNX's nearest_mode when given, else floor for asymmetric
 * and round-half-down otherwise. */
const ROUNDERS: Record<string, (v: number) => number> = {
  round_prefer_floor: (v) => Math.ceil(v - 0.5),
  round_prefer_ceil: (v) => Math.floor(v + 0.5),
  floor: Math.floor,
  ceil: Math.ceil,
};

const rank = (t: Op['operands'][number]['type'] | undefined): number => (t?.kind === 'tensor' ? t.shape.length : -1);

function supports(op: Op): boolean {
  return rank(op.operands[0]?.type) === 4 && rank(op.results[0]?.type) === 4;
}

/**
 * Source indices and weights of one axis into i0 / i1 / t (outSize each), as js/resize.ts's
 * axisMap: linear clamps the coordinate into the input; nearest rounds, then clamps.
 */
function axisMap(
  outSize: number, inSize: number, scale: number, mode: CoordMode, linear: boolean, round: (v: number) => number,
  i0: Int32Array, i1: Int32Array, t: Float32Array,
): void {
  for (let o = 0; o < outSize; o++) {
    const s = sourceCoord(o, inSize, outSize, scale, mode);
    if (linear) {
      const c = Math.min(Math.max(s, 0), inSize - 1);
      const lo = Math.floor(c);
      i0[o] = lo;
      i1[o] = Math.min(lo + 1, inSize - 1);
      t[o] = c - lo;
    } else {
      i0[o] = Math.min(Math.max(round(s), 0), inSize - 1);
    }
  }
}

wasmKernel('Interp', (ctx) => {
  const a = top.interpAttrs(ctx.op);
  const x = input0(ctx);
  const shape = outShape(ctx);
  const [, , ih, iw] = x.shape as [number, number, number, number];
  const [, , oh, ow] = shape as [number, number, number, number];
  const mode = a.coord_mode as CoordMode;
  const linear = a.mode === 'linear';
  const [maps] = residentFor(ctx.op, [ih, iw, oh, ow], (alloc) => {
    const ptr = alloc((3 * oh + 3 * ow) * 4);
    const buf = wasm.memory.buffer;
    const at = (k: number): number => ptr + k * 4;
    const round = a.nearest_mode ? ROUNDERS[a.nearest_mode]! : mode === 'asymmetric' ? Math.floor : ROUNDERS.round_prefer_floor!;
    axisMap(oh, ih, a.scale_h > 0 ? a.scale_h : oh / ih, mode, linear, round,
      new Int32Array(buf, at(0), oh), new Int32Array(buf, at(oh), oh), new Float32Array(buf, at(2 * oh), oh));
    axisMap(ow, iw, a.scale_w > 0 ? a.scale_w : ow / iw, mode, linear, round,
      new Int32Array(buf, at(3 * oh), ow), new Int32Array(buf, at(3 * oh + ow), ow), new Float32Array(buf, at(3 * oh + 2 * ow), ow));
    return [ptr];
  });
  const planes = ih * iw > 0 ? size(x.shape) / (ih * iw) : 0;
  const xp = heap.put(x.data as Float32Array);
  const yn = planes * oh * ow;
  const yp = heap.scratch(yn * 4);
  const rows = heap.scratch(2 * ow * 4);
  if (yn > 0) wasm.interp(xp, planes, ih, iw, oh, ow, linear ? 1 : 0, maps!, yp, rows);
  return takeOut(ctx, shape, yp, yn);
}, supports);
