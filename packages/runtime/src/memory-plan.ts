// The static memory plan: which tensors may share storage, from the IR's shapes and each value's
// last use. Reshape-like ops alias their input (the kernels return views); element-wise unary ops
// may write over their input when it dies there. The plan's peak is what a run reaches when every
// kernel takes its output from `ctx.alloc`; `BufferTracker` (buffers.ts) realizes it at run time.
import type { Plan, Step } from './plan.js';
import { size } from './tensor.js';

/** Ops whose result is their input's data under another shape. */
export const ALIAS_OPS: ReadonlySet<string> = new Set(['top.Input', 'top.Reshape', 'top.Flatten', 'top.Squeeze', 'top.Unsqueeze']);

/** Element-wise ops of one tensor operand: result element i depends on input element i only. */
export const IN_PLACE_OPS: ReadonlySet<string> = new Set(
  [
    'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Sigmoid', 'SiLU', 'Swish', 'GELU', 'HardSigmoid', 'HardSwish', 'Mish',
    'Tanh', 'Exp', 'Log', 'LogB', 'Sqrt', 'Rsqrt', 'Abs', 'Sign', 'Erf', 'Softplus', 'Softsign', 'Sin', 'Cos', 'Tan',
    'Sinh', 'Cosh', 'Arccos', 'Arctanh', 'Floor', 'Ceil', 'Round', 'Cast', 'Lut', 'Reciprocal', 'Clip', 'Pow',
    'Pow2', 'AddConst', 'SubConst', 'MulConst', 'DivConst', 'MaxConst', 'MinConst', 'CompareConst',
  ].map((o) => `top.${o}`),
);

export interface MemoryPlan {
  /** By step index: result 0 may take operand 0's memory (element-wise, operand dies here). */
  readonly inPlace: readonly boolean[];
  /** Peak bytes of activations alive at once under perfect reuse (f32, graph inputs excluded). */
  readonly plannedPeakBytes: number;
}

const bytesOf = (s: Step, i: number): number => {
  const shape = s.outputTypes[i]?.shape;
  return shape && shape.every((d) => d >= 0) ? 4 * size(shape) : 0;
};

export function planMemory(plan: Plan): MemoryPlan {
  const outputs = new Set(plan.outputs.map((o) => o.slot));
  // storage id per slot; slots not produced by a step (graph arguments) and constants have none
  const storage = new Map<number, number>();
  const storageBytes: number[] = [];
  const storageRefs: number[] = [];
  let live = 0;
  let peak = 0;
  const inPlace = plan.steps.map((s) => {
    if (s.constant) return false;
    const x = s.inputs[0];
    const dies = x !== undefined && s.freeAfter.includes(x) && !outputs.has(x);
    const ok = (s.kernel.inPlace ?? IN_PLACE_OPS.has(s.op.type)) && dies && storage.has(x) && s.inputs.indexOf(x) === s.inputs.lastIndexOf(x);
    s.outputs.forEach((slot, i) => {
      const alias = i === 0 && x !== undefined && ALIAS_OPS.has(s.op.type);
      // a view of the caller's input or of a weight holds no activation memory
      if (alias && !storage.has(x)) return;
      const shared = alias || (i === 0 && ok) ? storage.get(x!) : undefined;
      const id = shared ?? storageBytes.push(0) - 1;
      storageRefs[id] = (storageRefs[id] ?? 0) + 1;
      if (storageRefs[id] === 1) live += storageBytes[id]!;
      const b = bytesOf(s, i);
      if (b > storageBytes[id]!) {
        if (storageRefs[id]! > 0) live += b - storageBytes[id]!;
        storageBytes[id] = b;
      }
      storage.set(slot, id);
    });
    peak = Math.max(peak, live);
    for (const slot of s.freeAfter) {
      const id = storage.get(slot);
      if (id === undefined) continue;
      if (--storageRefs[id]! === 0) live -= storageBytes[id]!;
    }
    return ok;
  });
  return { inPlace, plannedPeakBytes: peak };
}
