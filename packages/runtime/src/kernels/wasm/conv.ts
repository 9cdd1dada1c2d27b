// top.Conv on wasm: depthwise (group = C, OC a multiple of C) as a direct SIMD kernel, everything
// else as a grouped GEMM with the filter packed once per op (1×1 stride-1 unpadded convs read the
// input in place as the B matrix; the rest through a row-major im2col per column chunk).
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { allocOut, input0, outShape } from '../../registry.js';
import type { Window2d } from '../js/conv.js';
import { nchw, resolveAutoPad, window2d } from '../js/conv.js';
import { trySplit } from '../../parallel/hook.js';
import { dataOf, epilogue, heap, keep, padded, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

const MR = 4;

/** 1-D and 2-D convs without `inserts`; sessions send the rest to js. */
function supports(op: Op): boolean {
  const a = top.convAttrs(op);
  return !a.inserts?.some((v) => v !== 0) && (a.kernel_shape.length === 1 || a.kernel_shape.length === 2);
}

function conv(ctx: KernelContext): NdArray {
  // a session with intra-op threads may compute it in parts (src/parallel/)
  const split = trySplit(ctx);
  if (split) return split;
  const a = top.convAttrs(ctx.op);
  const x = input0(ctx);
  const w = dataOf(ctx.inputs[1])!;
  const bias = dataOf(ctx.inputs[2]);
  const pads = resolveAutoPad(a.auto_pad, x.shape.slice(2), a.kernel_shape, a.strides, a.dilations, a.pads);
  const win = window2d('top.Conv', a.kernel_shape, a.strides, a.dilations, pads);
  const [n, ic, ih, iw] = nchw(x.shape);
  const shape = outShape(ctx);
  const [, oc, oh, ow] = nchw(shape);
  const g = a.group;
  const { kh, kw, sh, sw, dh, dw, pt, pl, pb, pr } = win;
  const [flags, hi] = epilogue(a.do_relu, a.relu_limit);
  // depthwise: one input channel per group, m = oc / ic outputs from each
  const depthwise = g === ic && oc % ic === 0;
  const k = (ic / g) * kh * kw;

  // resident: the filter (packed per group for the GEMM, as is for depthwise) and the bias
  const [pw, pbias] = residentFor(ctx.op, [w, bias], (alloc) => [
    depthwise ? keep(alloc, w) : packFilter(alloc, w, g, oc / g, k),
    bias ? keep(alloc, bias, padded(oc)) : 0,
  ]);

  if (depthwise) return depthwiseBlocks(ctx, x, shape, win, pw!, pbias!, flags, hi);
  const xp = heap.put(x.data as Float32Array);
  const yn = n * oc * oh * ow;
  const yp = heap.scratch(yn * 4);
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && pb === 0 && pr === 0;
  // im2col chunk (a direct conv reads its input in place; one output position spreads its column here)
  const scratch = direct && oh * ow > 1 ? 0 : heap.scratch(wasm.chunkCols(k, oh * ow) * k * 4);
  wasm.conv2d(xp, n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, g, direct ? 1 : 0, pw!, pbias!, flags, hi, yp, scratch);
  return takeOut(ctx, shape, yp, yn);
}

/** Floats of input (or output) per depthwise block: with the padded plane, well inside L2 (32 Ki
 * measured best of 8, 32 and 128 Ki on mobilenet_v2). */
const DW_BLOCK = 32768;

/**
 * Depthwise conv in blocks of whole channels: a block's input is copied into wasm memory, convolved
 * and its output copied out while both are still in cache, rather than streaming the whole tensor
 * through memory on each of the three passes. The plane is zeroed on the first block only (every
 * block has the same shapes).
 */
function depthwiseBlocks(
  ctx: KernelContext, x: NdArray, shape: readonly number[], win: Window2d, w: number, bias: number, flags: number, hi: number,
): NdArray {
  const [n, c, ih, iw] = nchw(x.shape);
  const [, oc, oh, ow] = nchw(shape);
  const { kh, kw, sh, sw, dh, dw, pt, pl } = win;
  const m = oc / c;
  const inPer = ih * iw;
  const outPer = m * oh * ow;
  const cb = Math.max(1, Math.min(c, Math.floor(DW_BLOCK / Math.max(inPer, outPer))));
  const xs = heap.scratch(cb * inPer * 4);
  // 4 spare floats: rows end in whole vectors
  const ys = heap.scratch((cb * outPer + 4) * 4);
  const plane = heap.scratch(wasm.depthwisePlane(oh, ow, kh, kw, sh, sw, dh, dw) * 4);
  const xv = heap.f32(xs, cb * inPer);
  const yv = heap.f32(ys, cb * outPer);
  const xd = x.data as Float32Array;
  const out = allocOut(ctx, shape);
  if (n * c * outPer === 0) return out;
  const od = out.data as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let c0 = 0; c0 < c; c0 += cb) {
      const k = Math.min(cb, c - c0);
      const at = (b * c + c0) * inPer;
      xv.set(xd.subarray(at, at + k * inPer));
      const wk = w + c0 * m * kh * kw * 4;
      const bk = bias ? bias + c0 * m * 4 : 0;
      wasm.depthwise(xs, 1, k, m, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, wk, bk, flags, hi, ys, plane, b === 0 && c0 === 0 ? 1 : 0);
      od.set(k === cb ? yv : yv.subarray(0, k * outPer), (b * c + c0) * outPer);
    }
  }
  return out;
}

/** Each group's [ocg, k] filter block into MR-row panels, groups back to back (assembly/conv.ts). */
function packFilter(alloc: (bytes: number) => number, w: Float32Array, g: number, ocg: number, k: number): number {
  const per = Math.ceil(ocg / MR) * MR * k;
  const dst = alloc(g * per * 4);
  // the raw filter goes to scratch first; packA reads it from wasm memory
  const src = heap.put(w);
  for (let i = 0; i < g; i++) wasm.packA(src + i * ocg * k * 4, k, 1, ocg, k, dst + i * per * 4);
  heap.resetScratch();
  return dst;
}

wasmKernel('Conv', conv, supports);
