// The kernel registry: one entry per (op, backend). Sessions look kernels up once, when they are
// created; the js backend is the reference every faster backend is tested against.
import type { DType, NdArray, Op, TensorType } from '@tpu-quant/ir';

export type Backend = 'js';

export interface KernelContext {
  readonly op: Op;
  /** Operand values in order; undefined for a `top.None` operand. */
  readonly inputs: readonly (NdArray | undefined)[];
  /** The result types the IR declares (static shapes); kernels check their shapes against them. */
  readonly outputTypes: readonly (TensorType | undefined)[];
  /** Weight data by name (top.Weight reads it; already converted to f32). */
  readonly weights: ReadonlyMap<string, NdArray>;
}

export interface Kernel {
  /** Full op name: `top.Conv`. */
  readonly op: string;
  readonly backend: Backend;
  /** Element types of the data the kernel computes on (the js backend: f32). */
  readonly dtypes?: readonly DType[];
  /** Returns one array per result; undefined for a result typed none. */
  run(ctx: KernelContext): (NdArray | undefined)[];
}

const kernels = new Map<string, Kernel>();

const keyOf = (op: string, backend: string): string => `${backend}:${op}`;

/** Registers a kernel; registering the same (op, backend) twice is a bug. */
export function registerKernel(k: Kernel): void {
  const key = keyOf(k.op, k.backend);
  if (kernels.has(key)) throw new Error(`a ${k.backend} kernel for ${k.op} is already registered`);
  kernels.set(key, k);
}

export function getKernel(op: string, backend: Backend = 'js'): Kernel | undefined {
  return kernels.get(keyOf(op, backend));
}

/** Op names with a kernel on `backend`, sorted. */
export function listKernels(backend: Backend = 'js'): string[] {
  return [...kernels.values()].filter((k) => k.backend === backend).map((k) => k.op).sort();
}

/** Shorthand for js kernels of one result. */
export function jsKernel(op: string, run: (ctx: KernelContext) => NdArray): void {
  registerKernel({ op: `top.${op}`, backend: 'js', dtypes: ['f32'], run: (ctx) => [run(ctx)] });
}

/** The first operand, which every unary kernel needs. */
export function input0(ctx: KernelContext): NdArray {
  const x = ctx.inputs[0];
  if (!x) throw new Error(`${ctx.op.type} "${ctx.op.name ?? '?'}": its input is None`);
  return x;
}

/** The result shape the IR declares for result i. */
export function outShape(ctx: KernelContext, i = 0): readonly number[] {
  const t = ctx.outputTypes[i];
  if (!t) throw new Error(`${ctx.op.type} "${ctx.op.name ?? '?'}": result ${i} has no tensor type`);
  return t.shape;
}
