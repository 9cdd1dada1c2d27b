// The kernel registry: one entry per (op, backend). Sessions look kernels up once, when they are
// created; the js backend is the reference every faster backend is tested against.
import type { DType, NdArray, Op, TensorType } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';

/** js: the reference; wasm: AssemblyScript kernels, js where none fits; ort: reserved. */
export type Backend = 'js' | 'wasm' | 'ort';

export interface AllocOptions {
  /** Zero-filled memory that never aliases an input (for kernels that accumulate). */
  readonly zeroed?: boolean;
}

export interface KernelContext {
  readonly op: Op;
  /** Operand values in order; undefined for a `top.None` operand. */
  readonly inputs: readonly (NdArray | undefined)[];
  /** The result types the IR declares (static shapes); kernels check their shapes against them. */
  readonly outputTypes: readonly (TensorType | undefined)[];
  /** Weight data by name (top.Weight reads it; already converted to f32). */
  readonly weights: ReadonlyMap<string, NdArray>;
  /**
   * Output memory from the session's buffer pool (a kernel may use it instead of allocating; it
   * need not). Contents are unspecified unless `zeroed`: for element-wise ops whose input dies at
   * this op it is the input's own memory, so read element i before writing element i. Absent
   * when a kernel is called outside a session.
   */
  readonly alloc?: (shape: readonly number[], opts?: AllocOptions) => NdArray<'f32'>;
}

export interface Kernel {
  /** Full op name: `top.Conv`. */
  readonly op: string;
  readonly backend: Backend;
  /** Element types of the data the kernel computes on (the js backend: f32). */
  readonly dtypes?: readonly DType[];
  /** Result 0 may overwrite operand 0 (element-wise); the top ops in memory-plan's IN_PLACE_OPS are by default. */
  readonly inPlace?: boolean;
  /** Whether this kernel handles this op's attributes; a session falls back to js when false. */
  supports?(op: Op): boolean;
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

/** Memory for a result: the session's pooled buffer when there is one, else a fresh array. */
export function allocOut(ctx: KernelContext, shape: readonly number[], opts?: AllocOptions): NdArray<'f32'> {
  return ctx.alloc ? ctx.alloc(shape, opts) : ndarray('f32', shape);
}
