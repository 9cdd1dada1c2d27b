// Running one part of a split op, the same way on the calling thread and on a worker: the part is
// an op of its own (attributes as the whole op's, group adjusted) over slices of the input, the
// weights and the output, and the registered wasm kernel computes it straight into the output's
// slice through `ctx.alloc`. Its packed weights stay resident in that thread's wasm memory.
import type { NdArray, TensorType } from '@tpu-quant/ir';
import { f32 as F32, ndarray, Op, tensorType } from '@tpu-quant/ir';
import type { Kernel } from '../registry.js';
import { getKernel } from '../registry.js';
import { size } from '../tensor.js';
import type { PartSpec, WeightSlice } from './split.js';

export interface CompiledPart {
  readonly spec: PartSpec;
  readonly kernel: Kernel;
  /** The part's own op: the wasm kernels keep its packed weights, keyed by this object. */
  readonly op: Op;
  readonly weights: readonly (NdArray | undefined)[];
  readonly outputTypes: readonly TensorType[];
  readonly xSize: number;
  readonly ySize: number;
}

const NO_WEIGHTS: ReadonlyMap<string, NdArray> = new Map();

/** Builds a part; `weight(name)` gives the whole weight's f32 data. */
export function compilePart(spec: PartSpec, weight: (name: string) => Float32Array): CompiledPart {
  const kernel = getKernel(spec.type, 'wasm');
  if (!kernel) throw new Error(`no wasm kernel for ${spec.type} to run a part of it`);
  return {
    spec,
    kernel,
    op: new Op(spec.type, { attrs: spec.attrs, loc: spec.loc }),
    weights: spec.weights.map((w) => (w ? ndarray('f32', w.shape, sliceOf(weight(w.name), w)) : undefined)),
    outputTypes: [tensorType(spec.y.shape, F32)],
    xSize: size(spec.x.shape),
    ySize: size(spec.y.shape),
  };
}

function sliceOf(d: Float32Array, w: WeightSlice): Float32Array {
  const n = size(w.shape);
  if (w.rowLen === undefined) return d.subarray(w.offset, w.offset + n);
  // columns of a row-major matrix: gathered once, here
  const [rows, cols] = w.shape as [number, number];
  const out = new Float32Array(n);
  for (let r = 0; r < rows; r++) out.set(d.subarray(r * w.rowLen + w.offset, r * w.rowLen + w.offset + cols), r * cols);
  return out;
}

/** Computes the part: x and y are whole flat tensors whose element 0 sits at xBase / yBase. */
export function runPart(p: CompiledPart, x: Float32Array, xBase: number, y: Float32Array, yBase: number): void {
  for (let i = 0; i < p.spec.count; i++) runSlice(p, i, x, xBase, y, yBase);
}

/** Computes slice i of the part (one image, when the op's batch is above 1). */
export function runSlice(p: CompiledPart, i: number, x: Float32Array, xBase: number, y: Float32Array, yBase: number): void {
  const { spec } = p;
  const xo = xBase + spec.x.offset + i * spec.x.stride;
  const yo = yBase + spec.y.offset + i * spec.y.stride;
  const xv = ndarray('f32', spec.x.shape, x.subarray(xo, xo + p.xSize));
  const yv = ndarray('f32', spec.y.shape, y.subarray(yo, yo + p.ySize));
  const [r] = p.kernel.run({ op: p.op, inputs: [xv, ...p.weights], outputTypes: p.outputTypes, weights: NO_WEIGHTS, alloc: () => yv });
  // the wasm kernels write through alloc; a fallback inside one may not
  if (r && r.data !== yv.data) yv.data.set(r.data as Float32Array);
}
