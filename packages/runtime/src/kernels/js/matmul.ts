// MatMul by TPU-MLIR's rules (see ir's shapes/matmul.ts): batched with broadcast batch dims, a
// rank-1 right side, a 2-D right side that flattens the left's tail to K, right_transpose, bias
// over the last axis, fused relu. Dot products accumulate in f64.
import type { NdArray } from '@tpu-quant/ir';
import { top, UserError } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, binaryBroadcast, broadcastShape, broadcastStrides, f32, size } from '../../tensor.js';

interface Layout {
  batch: number[];
  m: number;
  k: number;
  n: number;
  /** Batch strides (in matrices) of each side under broadcasting. */
  aBatch: number[];
  bBatch: number[];
}

function layout(a: readonly number[], b: readonly number[], rt: boolean, name: string): Layout {
  const k = a[a.length - 1]!;
  if (b.length === 1) return { batch: [], m: size(a) / k, k, n: 1, aBatch: [], bBatch: [] };
  const kb = b[b.length - (rt ? 1 : 2)]!;
  const n = b[b.length - (rt ? 2 : 1)]!;
  if (kb !== k) {
    // [1, 512, 7, 7] × [25088, N]: the left side is read as [size / K, K]
    if (b.length !== 2 || size(a) % kb !== 0) throw new Error(`top.MatMul "${name}": K mismatch`);
    return { batch: [], m: size(a) / kb, k: kb, n, aBatch: [], bBatch: [] };
  }
  const ab = a.length >= 2 ? a.slice(0, -2) : [];
  const bb = b.slice(0, -2);
  const batch = broadcastShape(ab, bb);
  if (!batch) throw new Error(`top.MatMul "${name}": batch dims do not broadcast`);
  const m = a.length >= 2 ? a[a.length - 2]! : 1;
  return { batch, m, k, n, aBatch: broadcastStrides(ab, batch), bBatch: broadcastStrides(bb, batch) };
}

function matmul(ctx: KernelContext): NdArray {
  const at = top.matMulAttrs(ctx.op);
  const name = ctx.op.name ?? '?';
  if (at.left_transpose || at.output_transpose || at.hdim_is_batch) {
    throw new UserError('E_UNSUPPORTED_OP', `top.MatMul "${name}" with left_transpose/output_transpose/hdim_is_batch`, 'these come from lowered graphs; run the top graph before such fusions');
  }
  const x = input0(ctx);
  const y = ctx.inputs[1]!;
  const rt = at.right_transpose;
  const L = layout(x.shape, y.shape, rt, name);
  const xd = x.data as Float32Array;
  const yd = y.data as Float32Array;
  const nb = size(L.batch);
  const out = new Float32Array(nb * L.m * L.n);
  const r = L.batch.length;
  const idx = new Array<number>(r).fill(0);
  for (let bi = 0; bi < nb; bi++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < r; d++) {
      ao += idx[d]! * L.aBatch[d]!;
      bo += idx[d]! * L.bBatch[d]!;
    }
    const aBase = ao * L.m * L.k;
    const bBase = bo * L.k * L.n;
    const oBase = bi * L.m * L.n;
    for (let i = 0; i < L.m; i++) {
      for (let j = 0; j < L.n; j++) {
        let acc = 0;
        for (let p = 0; p < L.k; p++) {
          const bv = rt ? yd[bBase + j * L.k + p]! : yd[bBase + p * L.n + j]!;
          acc += xd[aBase + i * L.k + p]! * bv;
        }
        out[oBase + i * L.n + j] = acc;
      }
    }
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < L.batch[d]!) break;
      idx[d] = 0;
    }
  }
  const shape = outShape(ctx);
  let res = f32(shape, out);
  const bias = ctx.inputs[2];
  if (bias) res = addBias(res, bias);
  if (at.do_relu) applyRelu(res.data, at.relu_limit);
  return res;
}

/** Bias over the last axis ([N]), or any shape that broadcasts to the result. */
function addBias(res: NdArray<'f32'>, bias: NdArray): NdArray<'f32'> {
  const bd = bias.data as Float32Array;
  const n = res.shape[res.shape.length - 1]!;
  if (bd.length === n) {
    const o = res.data;
    for (let i = 0; i < o.length; i++) o[i]! += bd[i % n]!;
    return res;
  }
  const sum = binaryBroadcast(res, bias, (p, q) => p + q, 'top.MatMul bias');
  return f32(res.shape, sum.data);
}

jsKernel('MatMul', matmul);
