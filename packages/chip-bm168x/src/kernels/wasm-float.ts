// Float (F32 / F16 / BF16) tpu.Conv2D and tpu.MatMul on the wasm backend: the runtime's wasm
// top.Conv / top.MatMul kernels (f32 GEMM or depthwise, bias and relu / relu_limit fused) run on the
// inputs as floatIn gives them, through a top op carrying the tpu op's attributes, and the result is
// rounded to the element type (floatOut's rounding). conv2d.ts / matmul.ts stay the reference: they
// sum in f64; upstream's interpreter computes F16 / BF16 conv and matmul in f32 (oneDNN) and rounds
// the output, so f32 sums are as faithful to it. The filter reaches the kernel as the f32 array the
// session decoded once, so the runtime's resident packing (by op and array identity) is reused across runs.
import type { NdArray, Value } from '@tpu-quant/ir';
import { Op } from '@tpu-quant/ir';
import type { Kernel, KernelContext } from '@tpu-quant/runtime';
import { getKernel } from '@tpu-quant/runtime';
import { conv2DAttrs, matMulAttrs } from '../dialect/generated/attrs.js';
import { floatIn, floatNameOf, roundFloatInPlace, roundingAttrs, roundsInRuntime } from './common.js';

const FLOATS = new Set(['f32', 'f16', 'bf16']);
const isFloat = (v: Value | undefined): boolean => v?.type.kind === 'tensor' && FLOATS.has(floatNameOf(v.type) ?? '');

/**
 * The top op each tpu op runs as, made once (the runtime keys resident weights by op), reading the
 * tpu op's own attribute map: the top kernels read the names they share (kernel_shape, strides,
 * pads, dilations, group, do_relu, relu_limit; the MatMul transposes) and ignore the rest.
 */
const adapters = new WeakMap<Op, Op>();

function adapterOf(op: Op, type: 'top.Conv' | 'top.MatMul'): Op {
  let a = adapters.get(op);
  if (!a) {
    a = new Op(type, { loc: op.loc });
    a.attrs = roundingAttrs(op); // the tpu op's attributes (+ round_result for f16 / bf16)
    adapters.set(op, a);
  }
  return a;
}

const topKernel = (type: string): Kernel | undefined => getKernel(type, 'wasm');

/** supports() answers, per op (asked again on every run); kept once the runtime's wasm kernels are loaded. */
const answers = new WeakMap<Op, boolean>();

function cached(op: Op, type: string, check: (k: Kernel) => boolean): boolean {
  const known = answers.get(op);
  if (known !== undefined) return known;
  const k = topKernel(type);
  if (!k) return false;
  const ok = isFloat(op.operands[0]) && isFloat(op.results[0]) && check(k);
  answers.set(op, ok);
  return ok;
}

/** Float input and result, a 2-D kernel without inserts, and the runtime's wasm top.Conv takes it. */
export function floatConv2dWasmSupports(op: Op): boolean {
  return cached(op, 'top.Conv', (k) => {
    const a = conv2DAttrs(op);
    if (a.kernel_shape.length !== 2 || a.inserts.some((v) => v !== 0)) return false;
    return k.supports?.(adapterOf(op, 'top.Conv')) ?? true;
  });
}

/** Float operands and result, a 2-D right operand, no transposes but the right one (as matmul.ts). */
export function floatMatmulWasmSupports(op: Op): boolean {
  return cached(op, 'top.MatMul', () => {
    const right = op.operands[1]?.type;
    const a = matMulAttrs(op);
    return right?.kind === 'tensor' && right.shape.length === 2 && !a.left_transpose && !a.output_transpose && !a.hdim_is_batch;
  });
}

/** Runs the top kernel on the rounded inputs and rounds its result to the element type. */
function runAsTop(ctx: KernelContext, type: 'top.Conv' | 'top.MatMul'): NdArray {
  const inputs = ctx.inputs.map((x, i) => (x && i < 2 ? floatIn(ctx, i) : x));
  const adapter = adapterOf(ctx.op, type);
  const out = topKernel(type)!.run({ ...ctx, op: adapter, inputs })[0]!;
  // in place: `out` may be the session's pooled buffer (f16 / bf16: rounded by the kernel already)
  if (!roundsInRuntime(adapter.attrs)) roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), out.data as Float32Array);
  return out;
}

export function floatConv2dWasm(ctx: KernelContext): NdArray {
  return runAsTop(ctx, 'top.Conv');
}

export function floatMatmulWasm(ctx: KernelContext): NdArray {
  return runAsTop(ctx, 'top.MatMul');
}
