// MaxPool / AvgPool (2-D, incl. global, pads, ceil_mode as the IR's output shape says) and
// Reduce mean / sum over trailing axes on wasm (assembly/pool.ts). Adaptive, dilated and
// non-2-D pools stay on js.
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, outShape } from '../../registry.js';
import { size } from '../../tensor.js';
import { resolveAutoPad } from '../js/conv.js';
import { epilogue, heap, takeOut, wasm, wasmKernel } from './backend.js';

const rankOf = (op: Op): number => (op.operands[0]!.type.kind === 'tensor' ? op.operands[0]!.type.shape.length : -1);

function poolSupports(max: boolean) {
  return (op: Op): boolean => {
    const a = max ? top.maxPoolAttrs(op) : top.avgPoolAttrs(op);
    const k = a.kernel_shape;
    return rankOf(op) === 4 && !a.is_adaptive && (k.length === 0 || k.length === 2)
      && (a.dilations.length === 0 || a.dilations.every((d) => d === 1));
  };
}

function pool(ctx: KernelContext, max: boolean): NdArray {
  const a = max ? top.maxPoolAttrs(ctx.op) : top.avgPoolAttrs(ctx.op);
  const x = input0(ctx);
  const [n, c, ih, iw] = x.shape as [number, number, number, number];
  const global = a.kernel_shape.length === 0;
  const [kh, kw] = global ? [ih, iw] : a.kernel_shape as [number, number];
  const [sh, sw] = global ? [1, 1] : a.strides as [number, number];
  const [pt, pl, pb, pr] = global ? [0, 0, 0, 0] : resolveAutoPad(a.auto_pad, [ih, iw], [kh, kw], [sh, sw], [1, 1], a.pads);
  const shape = outShape(ctx);
  const [oh, ow] = global ? [1, 1] : [shape[2]!, shape[3]!];
  const xp = heap.put(x.data as Float32Array);
  const yn = n * c * oh * ow;
  const yp = heap.scratch(yn * 4);
  const [flags, hi] = epilogue(a.do_relu, a.relu_limit);
  wasm.pool2d(xp, n * c, ih, iw, oh, ow, kh, kw, sh, sw, pt!, pl!, pb!, pr!, max ? 1 : 0, a.count_include_pad ? 1 : 0, a.pad_value, flags, hi, yp);
  return takeOut(ctx, shape, yp, yn);
}

wasmKernel('MaxPool', (ctx) => pool(ctx, true), poolSupports(true));
wasmKernel('AvgPool', (ctx) => pool(ctx, false), poolSupports(false));

/** ReduceMean / ReduceSum over the last k axes (global pooling written as a Reduce). */
function reduceSupports(op: Op): boolean {
  const a = top.reduceAttrs(op);
  const r = rankOf(op);
  if (r < 1 || (a.mode !== 'ReduceMean' && a.mode !== 'ReduceSum')) return false;
  const axes = [...new Set(a.axes.map((x) => (x < 0 ? x + r : x)))].sort((p, q) => p - q);
  return axes.length > 0 && axes.every((x, i) => x === r - axes.length + i);
}

wasmKernel('Reduce', (ctx) => {
  const a = top.reduceAttrs(ctx.op);
  const x = input0(ctx);
  const r = x.shape.length;
  const k = new Set(a.axes.map((v) => (v < 0 ? v + r : v))).size;
  const len = size(x.shape.slice(r - k));
  const rows = size(x.shape.slice(0, r - k));
  const xp = heap.put(x.data as Float32Array);
  const yp = heap.scratch(rows * 4);
  wasm.reduceRows(xp, rows, len, a.mode === 'ReduceMean' ? 1 : 0, yp);
  return takeOut(ctx, outShape(ctx), yp, rows);
}, reduceSupports);
