// top.MatMul on wasm: each (broadcast) batch is one packed GEMM. A constant right side that is
// one matrix (the usual FC / projection weight) is packed once per op; bias over the last axis
// and relu are fused into the GEMM's epilogue. Rarer forms run on the js kernel.
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { getKernel, input0, outShape } from '../../registry.js';
import { broadcastShape, broadcastStrides, size } from '../../tensor.js';
import { trySplit } from '../../parallel/hook.js';
import { dataOf, epilogue, heap, keep, padded, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

const MR = 4;
const NR = 8;
const panels = (rows: number, r: number): number => Math.ceil(rows / r) * r;

interface Shape { m: number; k: number; n: number; batch: number[]; aStr: number[]; bStr: number[] }

/** TPU-MLIR's MatMul shapes (as the js kernel reads them); undefined for forms left to js. */
function shapeOf(a: readonly number[], b: readonly number[], rt: boolean): Shape | undefined {
  if (b.length < 2) return undefined;
  const k = a[a.length - 1]!;
  const kb = b[b.length - (rt ? 1 : 2)]!;
  const n = b[b.length - (rt ? 2 : 1)]!;
  if (kb !== k) {
    // [1, 512, 7, 7] × [25088, N]: the left side flattens to [size / K, K]
    if (b.length !== 2 || size(a) % kb !== 0) return undefined;
    return { m: size(a) / kb, k: kb, n, batch: [], aStr: [], bStr: [] };
  }
  const ab = a.length >= 2 ? a.slice(0, -2) : [];
  const bb = b.slice(0, -2);
  const batch = broadcastShape(ab, bb);
  if (!batch) return undefined;
  const m = a.length >= 2 ? a[a.length - 2]! : 1;
  return { m, k, n, batch, aStr: broadcastStrides(ab, batch), bStr: broadcastStrides(bb, batch) };
}

/** Shapes are known only at run time, so MatMul claims every op and hands rare forms to js inside. */
function matmul(ctx: KernelContext): NdArray {
  // a session with intra-op threads may compute it in parts (src/parallel/)
  const split = trySplit(ctx);
  if (split) return split;
  const at = top.matMulAttrs(ctx.op);
  const x = input0(ctx);
  const y = ctx.inputs[1]!;
  const bias = dataOf(ctx.inputs[2]);
  const rt = at.right_transpose;
  const s = at.left_transpose || at.output_transpose || at.hdim_is_batch ? undefined : shapeOf(x.shape, y.shape, rt);
  if (!s || (bias && bias.length !== s.n)) return getKernel('top.MatMul', 'js')!.run(ctx)[0]!;
  const { m, k, n } = s;
  const [flags, hi] = epilogue(at.do_relu, at.relu_limit);
  const yd = y.data as Float32Array;
  // element (p, j) of the right matrix at p·rs + j·cs
  const [rs, cs] = rt ? [1, k] : [n, 1];
  const bPanel = panels(n, NR) * k;
  const oneB = size(y.shape) === k * n;
  const [pbW, pbias] = residentFor(ctx.op, [oneB ? yd : undefined, bias], (alloc) => {
    let packed = 0;
    if (oneB) {
      packed = alloc(bPanel * 4);
      const src = heap.put(yd);
      wasm.packB(src, rs, cs, k, 0, n, packed);
      heap.resetScratch();
    }
    return [packed, bias ? keep(alloc, bias, padded(n)) : 0];
  });

  const xp = heap.put(x.data as Float32Array);
  const yp = oneB ? 0 : heap.put(yd);
  const nb = size(s.batch);
  const out = heap.scratch(nb * m * n * 4);
  const pa = heap.scratch(panels(m, MR) * k * 4);
  const pb = oneB ? pbW! : heap.scratch(bPanel * 4);
  const r = s.batch.length;
  const idx = new Array<number>(r).fill(0);
  for (let bi = 0; bi < nb; bi++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < r; d++) {
      ao += idx[d]! * s.aStr[d]!;
      bo += idx[d]! * s.bStr[d]!;
    }
    wasm.packA(xp + ao * m * k * 4, k, 1, m, k, pa);
    if (!oneB) wasm.packB(yp + bo * k * n * 4, rs, cs, k, 0, n, pb);
    wasm.gemm(m, n, k, pa, pb, out + bi * m * n * 4, n, 0, pbias!, flags, hi);
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < s.batch[d]!) break;
      idx[d] = 0;
    }
  }
  return takeOut(ctx, outShape(ctx), out, nb * m * n);
}

wasmKernel('MatMul', matmul);
