// top.Conv on wasm: depthwise (group = C = OC) as a direct SIMD kernel, everything else as a
// grouped GEMM with the filter packed once per op (1×1 stride-1 unpadded convs read the input
// in place as the B matrix; the rest through a row-major im2col per column chunk).
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, outShape } from '../../registry.js';
import { nchw, resolveAutoPad, window2d } from '../js/conv.js';
import { dataOf, epilogue, heap, keep, padded, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

const MR = 4;

/** 1-D and 2-D convs without `inserts`; sessions send the rest to js. */
function supports(op: Op): boolean {
  const a = top.convAttrs(op);
  return !a.inserts?.some((v) => v !== 0) && (a.kernel_shape.length === 1 || a.kernel_shape.length === 2);
}

function conv(ctx: KernelContext): NdArray {
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
  const depthwise = g === ic && g === oc;
  const k = (ic / g) * kh * kw;

  // resident: the filter (packed per group for the GEMM, as is for depthwise) and the bias
  const [pw, pbias] = residentFor(ctx.op, [w, bias], (alloc) => [
    depthwise ? keep(alloc, w) : packFilter(alloc, w, g, oc / g, k),
    bias ? keep(alloc, bias, padded(oc)) : 0,
  ]);

  const xp = heap.put(x.data as Float32Array);
  const yn = n * oc * oh * ow;
  // 4 spare floats: depthwise rows end in whole vectors
  const yp = heap.scratch((yn + 4) * 4);
  if (depthwise) {
    const plane = heap.scratch(wasm.depthwisePlane(oh, ow, kh, kw, sh, sw, dh, dw) * 4);
    wasm.depthwise(xp, n, ic, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pw!, pbias!, flags, hi, yp, plane);
  } else {
    const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && pb === 0 && pr === 0;
    // im2col chunk (a direct conv reads its input in place; one output position spreads its column here)
    const scratch = direct && oh * ow > 1 ? 0 : heap.scratch(wasm.chunkCols(k, oh * ow) * k * 4);
    wasm.conv2d(xp, n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, g, direct ? 1 : 0, pw!, pbias!, flags, hi, yp, scratch);
  }
  return takeOut(ctx, shape, yp, yn);
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
