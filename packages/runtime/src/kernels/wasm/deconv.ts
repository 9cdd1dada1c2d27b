// top.Deconv on wasm (2-D or 1-D, one group, a top.Weight filter): one GEMM
// cols[oc·kh·kw][ih·iw] = Wᵀ · x with the filter transposed and packed once per op, then col2im
// scatters the columns into the output over the bias (assembly/conv.ts).
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, outShape } from '../../registry.js';
import { nchw, window2d } from '../js/conv.js';
import { dataOf, epilogue, heap, keep, padded, residentFor, wasm, wasmKernel, takeOut } from './backend.js';

const MR = 4;
const NR = 8;

function supports(op: Op): boolean {
  const a = top.deconvAttrs(op);
  return a.group === 1 && (a.kernel_shape.length === 1 || a.kernel_shape.length === 2)
    && op.operand(1).producer?.type === 'top.Weight';
}

function deconv(ctx: KernelContext): NdArray {
  const a = top.deconvAttrs(ctx.op);
  const x = input0(ctx);
  const w = dataOf(ctx.inputs[1])!;
  const bias = dataOf(ctx.inputs[2]);
  const { kh, kw, sh, sw, dh, dw, pt, pl } = window2d('top.Deconv', a.kernel_shape, a.strides, a.dilations, a.pads);
  const [n, ic, ih, iw] = nchw(x.shape);
  const shape = outShape(ctx);
  const [, oc, oh, ow] = nchw(shape);
  const taps = kh * kw;
  const m = oc * taps;
  const hw = ih * iw;
  const [pa, pbias] = residentFor(ctx.op, [w, bias], (alloc) => {
    // the filter holds [oc, ic, kh, kw]; A[(o, t)][c] = W[o][c][t]
    const t = new Float32Array(m * ic);
    for (let o = 0; o < oc; o++) {
      for (let c = 0; c < ic; c++) for (let k = 0; k < taps; k++) t[(o * taps + k) * ic + c] = w[(o * ic + c) * taps + k]!;
    }
    const packed = alloc(Math.ceil(m / MR) * MR * ic * 4);
    wasm.packA(heap.put(t), ic, 1, m, ic, packed);
    heap.resetScratch();
    return [packed, bias ? keep(alloc, bias, padded(oc)) : 0];
  });
  const xp = heap.put(x.data as Float32Array);
  const yn = n * oc * oh * ow;
  const yp = heap.scratch(yn * 4);
  const pb = heap.scratch(Math.ceil(hw / NR) * NR * ic * 4);
  const cols = heap.scratch(m * hw * 4);
  const [flags, hi] = epilogue(a.do_relu, a.relu_limit);
  for (let b = 0; b < n; b++) {
    wasm.packB(xp + b * ic * hw * 4, hw, 1, ic, 0, hw, pb);
    wasm.gemm(m, hw, ic, pa!, pb, cols, hw, 0, 0, 0, 0);
    wasm.col2im(cols, oc, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pbias!, flags, hi, yp + b * oc * oh * ow * 4);
  }
  return takeOut(ctx, shape, yp, yn);
}

wasmKernel('Deconv', deconv, supports);
