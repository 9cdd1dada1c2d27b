// MaxPool / AvgPool (1-D and 2-D, global, adaptive, ceil_mode, count_include_pad) and
// AdaptiveAvgPool. ceil_mode follows TPU-MLIR (ir's poolShape): the "after" pad grows so the last
// window fits. Averages divide by the window's count within the input, or — with
// count_include_pad — within input plus the declared pads (never the ceil_mode extension), as ORT does.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, f32 } from '../../tensor.js';
import { nchw, resolveAutoPad } from './conv.js';

interface Win { start: number; end: number; full: number }

/** Window bounds along one axis: [start, end) inside the input, and the size counting pads. */
function windows(out: number, inp: number, k: number, s: number, padBefore: number, padAfter: number): Win[] {
  const res: Win[] = [];
  for (let o = 0; o < out; o++) {
    const lo = o * s - padBefore;
    const hi = Math.min(lo + k, inp + padAfter);
    res.push({ start: Math.max(lo, 0), end: Math.min(hi, inp), full: hi - lo });
  }
  return res;
}

/** Adaptive windows: floor(o·in/out) .. ceil((o+1)·in/out). */
function adaptive(out: number, inp: number): Win[] {
  const res: Win[] = [];
  for (let o = 0; o < out; o++) {
    const start = Math.floor((o * inp) / out);
    const end = Math.ceil(((o + 1) * inp) / out);
    res.push({ start, end, full: end - start });
  }
  return res;
}

function poolCore(x: NdArray, wh: Win[], ww: Win[], max: boolean, includePad: boolean, padValue: number): Float32Array {
  const [n, c, ih, iw] = nchw(x.shape);
  const oh = wh.length;
  const ow = ww.length;
  const xd = x.data as Float32Array;
  const out = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) {
    const base = p * ih * iw;
    for (let y = 0; y < oh; y++) {
      const h = wh[y]!;
      for (let xo = 0; xo < ow; xo++) {
        const w = ww[xo]!;
        let acc = max ? Number.NEGATIVE_INFINITY : 0;
        for (let iy = h.start; iy < h.end; iy++) {
          for (let ix = w.start; ix < w.end; ix++) {
            const v = xd[base + iy * iw + ix]!;
            if (max) acc = v > acc ? v : acc;
            else acc += v;
          }
        }
        if (!max) {
          const inside = (h.end - h.start) * (w.end - w.start);
          const full = h.full * w.full;
          acc = includePad ? (acc + padValue * (full - inside)) / full : acc / inside;
        }
        out[(p * oh + y) * ow + xo] = acc;
      }
    }
  }
  return out;
}

function pool(ctx: KernelContext, max: boolean): NdArray {
  const a = max ? top.maxPoolAttrs(ctx.op) : top.avgPoolAttrs(ctx.op);
  const x = input0(ctx);
  const shape = outShape(ctx);
  const [, , ih, iw] = nchw(x.shape);
  const oneD = x.shape.length === 3;
  // the output's spatial dims, before keepdims = false drops trailing 1s
  const r = x.shape.length - 2;
  const spatial = shape.slice(2).concat(new Array<number>(Math.max(0, r - (shape.length - 2))).fill(1));
  const [oh, ow] = oneD ? [1, spatial[0]!] : [spatial[0]!, spatial[1]!];
  let wh: Win[];
  let ww: Win[];
  if (a.is_adaptive) {
    wh = adaptive(oh, ih);
    ww = adaptive(ow, iw);
  } else if (a.kernel_shape.length === 0) {
    wh = [{ start: 0, end: ih, full: ih }];
    ww = [{ start: 0, end: iw, full: iw }];
  } else {
    const k = a.kernel_shape;
    const pads = resolveAutoPad(a.auto_pad, x.shape.slice(2), k, a.strides, k.map(() => 1), a.pads);
    if (oneD) {
      wh = [{ start: 0, end: 1, full: 1 }];
      ww = windows(ow, iw, k[0]!, a.strides[0]!, pads[0]!, pads[1]!);
    } else {
      wh = windows(oh, ih, k[0]!, a.strides[0]!, pads[0]!, pads[2]!);
      ww = windows(ow, iw, k[1]!, a.strides[1]!, pads[1]!, pads[3]!);
    }
  }
  const out = poolCore(x, wh, ww, max, a.count_include_pad, a.pad_value);
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
}

jsKernel('MaxPool', (ctx) => pool(ctx, true));
jsKernel('AvgPool', (ctx) => pool(ctx, false));
jsKernel('AdaptiveAvgPool', (ctx) => {
  const x = input0(ctx);
  const shape = outShape(ctx);
  const [, , ih, iw] = nchw(x.shape);
  const [, , oh, ow] = nchw(shape);
  return f32(shape, poolCore(x, adaptive(oh, ih), adaptive(ow, iw), false, false, 0));
});
