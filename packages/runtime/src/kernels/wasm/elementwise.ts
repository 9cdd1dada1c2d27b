// Element-wise ops on wasm: Relu / Clip; Add, Sub, Mul, Div, Max, Min with numpy broadcasting
// (assembly/broadcast.ts: shapes collapsed here to ≤ 4 dims); the *Const ops as the same rows with
// a one-float operand; BatchNorm / Scale as a per-channel affine.
import type { NdArray, Op } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, outShape } from '../../registry.js';
import { broadcastShape, broadcastStrides, size } from '../../tensor.js';
import { dataOf, epilogue, heap, keep, padded, residentFor, takeOut, wasm, wasmKernel } from './backend.js';

// op codes of assembly/broadcast.ts
const ADD = 0;
const MUL = 1;
const DIV = 2;
const MAX = 3;
const MIN = 4;
const MAXC = 5;
const MINC = 6;

function unary(ctx: KernelContext, relu: boolean, cap: boolean, lo: number, hi: number): NdArray {
  const x = input0(ctx);
  const n = size(x.shape);
  const xp = heap.put(x.data as Float32Array);
  wasm.clampRange(xp, n, relu ? 1 : 0, cap ? 1 : 0, lo, hi, xp);
  return takeOut(ctx, outShape(ctx), xp, n);
}

wasmKernel('Relu', (ctx) => {
  const limit = top.reluAttrs(ctx.op).relu_limit;
  return unary(ctx, true, limit > 0, 0, limit);
});
wasmKernel('Clip', (ctx) => {
  const a = top.clipAttrs(ctx.op);
  return unary(ctx, false, true, a.min, a.max);
});

/**
 * The broadcast of shapes a and b as at most four dims [d, sa, sb] (outermost first): size-1 dims
 * dropped, neighbours merged where both operands step through them contiguously. Undefined when
 * more than four remain.
 */
export function collapse(a: readonly number[], b: readonly number[], shape: readonly number[]): number[][] | undefined {
  const sa = broadcastStrides(a, shape);
  const sb = broadcastStrides(b, shape);
  const dims: number[][] = []; // innermost first
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = dims[dims.length - 1];
    if (last && sa[i] === last[1]! * last[0]! && sb[i] === last[2]! * last[0]!) last[0] *= d;
    else dims.push([d, sa[i]!, sb[i]!]);
  }
  if (dims.length > 4) return undefined;
  while (dims.length < 4) dims.push([1, 0, 0]);
  return dims.reverse();
}

/** Two present operands whose static shapes broadcast to the result's element count, ≤ 4 dims collapsed. */
function broadcastable(op: Op): boolean {
  if (op.operands.length !== 2) return false;
  const shapes = [...op.operands, op.results[0]!].map((v) => (v.type.kind === 'tensor' ? v.type.shape : undefined));
  if (shapes.some((s) => !s || s.some((d) => d < 0))) return false;
  const [a, b, y] = shapes as number[][];
  const s = broadcastShape(a!, b!);
  return !!s && size(s) === size(y!) && !!collapse(a!, b!, s);
}

/** y = op(a, b) (ADD: ca·a + cb·b) with the fused relu; `swap` exchanges the operands (is_reverse). */
function binary(ctx: KernelContext, code: number, swap: boolean, ca: number, cb: number, flags: number, hi: number): NdArray {
  let [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
  if (swap) [a, b, ca, cb] = [b, a, cb, ca];
  const shape = broadcastShape(a.shape, b.shape)!;
  const dims = collapse(a.shape, b.shape, shape)!;
  const n = size(shape);
  const ap = heap.put(a.data as Float32Array);
  const bp = heap.put(b.data as Float32Array);
  const yp = heap.scratch(n * 4);
  const [d, s, t] = [0, 1, 2].map((k) => dims.map((x) => x[k]!)) as [number[], number[], number[]];
  wasm.binaryNd(code, ap, bp, yp, d[0]!, d[1]!, d[2]!, d[3]!, s[0]!, s[1]!, s[2]!, s[3]!, t[0]!, t[1]!, t[2]!, t[3]!, ca, cb, flags, hi);
  return takeOut(ctx, outShape(ctx), yp, n);
}

/** n-ary and dynamic-shape forms go to the js kernel (wasmKernel's `supports`). */
const bin = (name: string, run: (ctx: KernelContext) => NdArray): void => wasmKernel(name, run, broadcastable);

bin('Add', (ctx) => {
  const a = top.addAttrs(ctx.op);
  return binary(ctx, ADD, false, a.coeff?.[0] ?? 1, a.coeff?.[1] ?? 1, ...epilogue(a.do_relu, a.relu_limit));
});
bin('Sub', (ctx) => {
  const a = top.subAttrs(ctx.op);
  // x·c0 - y·c1 as x·c0 + y·(-c1); reversed: y·c1 - x·c0
  const [c0, c1] = [a.coeff?.[0] ?? 1, a.coeff?.[1] ?? 1];
  const [flags, hi] = epilogue(a.do_relu, a.relu_limit);
  return a.is_reverse ? binary(ctx, ADD, true, -c0, c1, flags, hi) : binary(ctx, ADD, false, c0, -c1, flags, hi);
});
bin('Mul', (ctx) => {
  const a = top.mulAttrs(ctx.op);
  return binary(ctx, MUL, false, 1, 1, ...epilogue(a.do_relu, a.relu_limit));
});
bin('Div', (ctx) => {
  const a = top.divAttrs(ctx.op);
  return binary(ctx, DIV, a.is_reverse, 1, 1, ...epilogue(a.do_relu, a.relu_limit));
});
bin('Max', (ctx) => binary(ctx, MAX, false, 1, 1, 0, 0));
bin('Min', (ctx) => binary(ctx, MIN, false, 1, 1, 0, 0));

/** y = op(x, c) (or op(c, x) when `reverse`) over the whole input. */
function withConst(ctx: KernelContext, code: number, c: number, reverse: boolean, ca: number, cb: number, flags: number, hi: number): NdArray {
  const x = input0(ctx);
  const n = size(x.shape);
  const xp = heap.put(x.data as Float32Array);
  const cp = heap.put(new Float32Array([c]));
  const yp = heap.scratch(n * 4);
  const [ap, bp, sa, sb] = reverse ? [cp, xp, 0, 1] : [xp, cp, 1, 0];
  wasm.binaryNd(code, ap, bp, yp, 1, 1, 1, n, 0, 0, 0, sa, 0, 0, 0, sb, ca, cb, flags, hi);
  return takeOut(ctx, outShape(ctx), yp, n);
}

wasmKernel('AddConst', (ctx) => {
  const a = top.addConstAttrs(ctx.op);
  return withConst(ctx, ADD, a.const_val, false, 1, 1, ...epilogue(a.do_relu, a.relu_limit));
});
wasmKernel('SubConst', (ctx) => {
  const a = top.subConstAttrs(ctx.op);
  return withConst(ctx, ADD, a.const_val, a.is_reverse, 1, -1, ...epilogue(a.do_relu, a.relu_limit));
});
wasmKernel('MulConst', (ctx) => {
  const a = top.mulConstAttrs(ctx.op);
  return withConst(ctx, MUL, a.const_val, false, 1, 1, ...epilogue(a.do_relu, a.relu_limit));
});
wasmKernel('DivConst', (ctx) => {
  const a = top.divConstAttrs(ctx.op);
  return withConst(ctx, DIV, a.const_val, a.is_reverse, 1, 1, ...epilogue(a.do_relu, a.relu_limit));
});
wasmKernel('MaxConst', (ctx) => withConst(ctx, MAXC, top.maxConstAttrs(ctx.op).const_val, false, 1, 1, 0, 0));
wasmKernel('MinConst', (ctx) => withConst(ctx, MINC, top.minConstAttrs(ctx.op).const_val, false, 1, 1, 0, 0));

/** y = x·k[c] + b[c] per channel (axis 1), k and b computed once per op from the weights. */
function affine(ctx: KernelContext, sources: readonly unknown[], kb: () => [Float32Array, Float32Array], doRelu: boolean, limit: number): NdArray {
  const x = input0(ctx);
  const c = x.shape[1] ?? 1;
  const [pk, pb] = residentFor(ctx.op, sources, (alloc) => {
    const [k, b] = kb();
    return [keep(alloc, k, padded(c)), keep(alloc, b, padded(c))];
  });
  const n = size(x.shape);
  const xp = heap.put(x.data as Float32Array);
  const hw = size(x.shape.slice(2));
  wasm.channelAffine(xp, n / Math.max(hw, 1) || 0, c, hw, pk!, pb!, ...epilogue(doRelu, limit), xp);
  return takeOut(ctx, outShape(ctx), xp, n);
}

wasmKernel('BatchNorm', (ctx) => {
  const a = top.batchNormAttrs(ctx.op);
  const [mean, variance, gamma, beta] = [1, 2, 3, 4].map((i) => dataOf(ctx.inputs[i]));
  return affine(ctx, [mean, variance, gamma, beta], () => {
    const c = mean!.length;
    const k = new Float32Array(c);
    const b = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const ki = (gamma ? gamma[i]! : 1) / Math.sqrt(variance![i]! + a.epsilon);
      k[i] = ki;
      b[i] = (beta ? beta[i]! : 0) - mean![i]! * ki;
    }
    return [k, b];
  }, a.do_relu, a.relu_limit);
});
wasmKernel('Scale', (ctx) => {
  const a = top.scaleAttrs(ctx.op);
  const [s, b] = [dataOf(ctx.inputs[1])!, dataOf(ctx.inputs[2])!];
  return affine(ctx, [s, b], () => [s, b], a.do_relu, a.relu_limit);
});
