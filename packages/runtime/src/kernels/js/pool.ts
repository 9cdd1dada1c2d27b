// MaxPool / AvgPool over any number of spatial axes (1-D, 2-D, 3-D ...: global, adaptive,
// dilations, ceil_mode, count_include_pad) and AdaptiveAvgPool. The output size comes from the
// IR type (ir's poolShape: ONNX's ceil_mode rule). Each axis is reduced to a list of input
// positions per output index, and a window is their cartesian product. Averages divide by the
// window's count within the input, or — with count_include_pad — within input plus the declared
// pads (never the ceil_mode extension), as ORT does.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, f32, size } from '../../tensor.js';
import { resolveAutoPad } from './conv.js';

/** One output index along one axis: the input positions it reads, and its size counting pads. */
interface Win { taps: number[]; full: number }

/** Windows along one axis of a strided, dilated, padded pool. */
function windows(out: number, inp: number, k: number, s: number, d: number, padBefore: number, padAfter: number): Win[] {
  const res: Win[] = [];
  for (let o = 0; o < out; o++) {
    const taps: number[] = [];
    let full = 0;
    for (let j = 0; j < k; j++) {
      const p = o * s - padBefore + j * d;
      if (p >= inp + padAfter) break;
      full++;
      if (p >= 0 && p < inp) taps.push(p);
    }
    res.push({ taps, full });
  }
  return res;
}

/** Adaptive windows: floor(o·in/out) .. ceil((o+1)·in/out). */
function adaptive(out: number, inp: number): Win[] {
  const res: Win[] = [];
  for (let o = 0; o < out; o++) {
    const start = Math.floor((o * inp) / out);
    const end = Math.ceil(((o + 1) * inp) / out);
    res.push({ taps: range(start, end), full: end - start });
  }
  return res;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** Pools every [N, C] plane of x; `axes[i]` holds the windows of spatial axis i. */
function poolCore(x: NdArray, axes: Win[][], max: boolean, includePad: boolean, padValue: number): Float32Array {
  const spatialIn = x.shape.slice(2);
  const r = spatialIn.length;
  const inStrides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * spatialIn[i + 1]!;
  const planeIn = size(spatialIn);
  const outSpatial = axes.map((a) => a.length);
  const planeOut = size(outSpatial);
  const planes = size(x.shape.slice(0, 2));
  const xd = x.data as Float32Array;
  const out = new Float32Array(planes * planeOut);
  const oIdx = new Array<number>(r).fill(0);
  for (let q = 0; q < planeOut; q++) {
    const wins = axes.map((a, i) => a[oIdx[i]!]!);
    // flat offsets of the window's taps inside one plane
    let offs = [0];
    for (let i = 0; i < r; i++) offs = offs.flatMap((b) => wins[i]!.taps.map((t) => b + t * inStrides[i]!));
    const full = wins.reduce((n, w) => n * w.full, 1);
    for (let p = 0; p < planes; p++) {
      const base = p * planeIn;
      let acc = max ? Number.NEGATIVE_INFINITY : 0;
      for (const o of offs) {
        const v = xd[base + o]!;
        if (max) acc = v > acc ? v : acc;
        else acc += v;
      }
      if (!max) acc = includePad ? (acc + padValue * (full - offs.length)) / full : acc / offs.length;
      out[p * planeOut + q] = acc;
    }
    for (let i = r - 1; i >= 0; i--) {
      if (++oIdx[i]! < outSpatial[i]!) break;
      oIdx[i] = 0;
    }
  }
  return out;
}

function pool(ctx: KernelContext, max: boolean): NdArray {
  const a = max ? top.maxPoolAttrs(ctx.op) : top.avgPoolAttrs(ctx.op);
  const x = input0(ctx);
  const shape = outShape(ctx);
  const spatialIn = x.shape.slice(2);
  const r = spatialIn.length;
  // the output's spatial dims, before keepdims = false drops trailing 1s
  const spatialOut = shape.slice(2).concat(new Array<number>(Math.max(0, r - (shape.length - 2))).fill(1));
  let axes: Win[][];
  if (a.is_adaptive) {
    axes = spatialIn.map((d, i) => adaptive(spatialOut[i]!, d));
  } else if (a.kernel_shape.length === 0) {
    axes = spatialIn.map((d) => [{ taps: range(0, d), full: d }]);
  } else {
    const k = a.kernel_shape;
    const dil = a.dilations.length === k.length ? a.dilations : k.map(() => 1);
    const pads = resolveAutoPad(a.auto_pad, spatialIn, k, a.strides, dil, a.pads);
    axes = spatialIn.map((d, i) => windows(spatialOut[i]!, d, k[i]!, a.strides[i]!, dil[i]!, pads[i]!, pads[i + r]!));
  }
  const out = poolCore(x, axes, max, a.count_include_pad, a.pad_value);
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(shape, out);
}

jsKernel('MaxPool', (ctx) => pool(ctx, true));
jsKernel('AvgPool', (ctx) => pool(ctx, false));
jsKernel('AdaptiveAvgPool', (ctx) => {
  const x = input0(ctx);
  const shape = outShape(ctx);
  return f32(shape, poolCore(x, x.shape.slice(2).map((d, i) => adaptive(shape[i + 2]!, d)), false, false, 0));
});
