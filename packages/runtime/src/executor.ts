// The step loop shared by full and incremental runs: call each kernel (offering pooled output
// memory), apply overrides, check shapes, capture or observe results, count buffer references,
// free what dies. It never awaits, so runs of one session cannot interleave on its buffer pool.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { BufferPool, BufferSet } from './buffers.js';
import { BufferTracker } from './buffers.js';
import type { OverrideFn } from './overrides.js';
import type { Plan } from './plan.js';
import type { AllocOptions } from './registry.js';
import { f32, fmtShape, size, toF32 } from './tensor.js';

export interface ExecEnv {
  readonly plan: Plan;
  readonly inPlace: readonly boolean[];
  readonly weights: ReadonlyMap<string, NdArray>;
  readonly pool: BufferPool;
}

export interface ExecRequest {
  /** Step indices to run, in order. */
  readonly steps: readonly number[];
  /** Slot values: constants and inputs filled in; results are written here. */
  readonly slots: (NdArray | undefined)[];
  /** Buffers owned by the caller or the session (inputs, weights, cached tensors): never reused. */
  readonly foreign: BufferSet;
  readonly capture?: 'all' | readonly string[];
  readonly observer?: (name: string, value: NdArray, op: Op) => void;
  readonly override?: (name: string) => OverrideFn | undefined;
  /** RunOptions.outputMemory. */
  readonly outputMemory?: (name: string, elements: number) => Float32Array | undefined;
}

export interface OpTime {
  count: number;
  ms: number;
}

export interface ExecStats {
  /** Ops executed. */
  readonly steps: number;
  readonly peakActivationBytes: number;
  readonly ms: number;
  /** Time per op type. */
  readonly byOpType: Map<string, OpTime>;
}

export function execute(env: ExecEnv, req: ExecRequest): { tensors: Map<string, NdArray>; stats: ExecStats } {
  const { slots } = req;
  // memory the caller provided for results (outputMemory) is foreign too: never reused, never
  // overwritten in place by a later op
  const provided = new Set<ArrayBufferLike>();
  const foreign = req.outputMemory ? { has: (b: ArrayBufferLike) => provided.has(b) || req.foreign.has(b) } : req.foreign;
  const tracker = new BufferTracker(env.pool, foreign);
  const all = req.capture === 'all';
  const wanted = new Set(all ? [] : (req.capture ?? []));
  const tensors = new Map<string, NdArray>();
  const byOpType = new Map<string, OpTime>();
  const t0 = performance.now();
  for (const i of req.steps) {
    const step = env.plan.steps[i]!;
    const inputs = step.inputs.map((s) => slots[s]);
    const taken: ArrayBufferLike[] = [];
    let reused = false;
    // a single-result step's first allocation is offered to the caller (who sees the size)
    let offer = req.outputMemory && step.names.length === 1 ? step.names[0] : undefined;
    const alloc = (shape: readonly number[], o?: AllocOptions): NdArray<'f32'> => {
      const n = size(shape);
      if (offer !== undefined) {
        const mem = req.outputMemory!(offer, n);
        offer = undefined;
        if (mem && mem.length === n) {
          provided.add(mem.buffer);
          if (o?.zeroed) mem.fill(0);
          return f32(shape, mem);
        }
      }
      const x = inputs[0];
      // in place: the plan allows it and no other live tensor shares the input's memory
      if (!o?.zeroed && !reused && env.inPlace[i] && x && x.data instanceof Float32Array && x.data.length === n && tracker.sole(x)) {
        reused = true;
        return f32(shape, x.data);
      }
      const buf = env.pool.take(4 * n);
      taken.push(buf);
      const data = new Float32Array(buf, 0, n);
      if (o?.zeroed) data.fill(0);
      return f32(shape, data);
    };
    const s0 = performance.now();
    const out = step.kernel.run({ op: step.op, inputs, outputTypes: step.outputTypes, weights: env.weights, alloc });
    const t = byOpType.get(step.op.type) ?? { count: 0, ms: 0 };
    t.count++;
    t.ms += performance.now() - s0;
    byOpType.set(step.op.type, t);

    step.outputs.forEach((slot, k) => {
      const name = step.names[k];
      let v = out[k];
      const fn = name === undefined || v === undefined ? undefined : req.override?.(name);
      if (fn && v) v = applyOverride(fn, v, step.op, name!);
      checkShape(step.op, k, v, step.outputTypes[k]?.shape);
      slots[slot] = v;
      tracker.hold(v);
      if (v === undefined || name === undefined) return;
      if (all || wanted.has(name)) {
        tensors.set(name, v);
        tracker.hold(v); // a captured tensor's memory is never reused
      }
      req.observer?.(name, v, step.op);
    });
    for (const b of taken) tracker.settle(b);
    tracker.mark();
    for (const s of step.freeAfter) {
      tracker.release(slots[s]);
      slots[s] = undefined;
    }
  }
  const ms = performance.now() - t0;
  return { tensors, stats: { steps: req.steps.length, peakActivationBytes: tracker.peak, ms, byOpType } };
}

function applyOverride(fn: OverrideFn, v: NdArray, op: Op, name: string): NdArray {
  const r = toF32(fn(v, op));
  if (r.shape.length !== v.shape.length || r.shape.some((d, k) => d !== v.shape[k])) {
    throw new Error(`override of "${name}" returned shape ${fmtShape(r.shape)}, the tensor has ${fmtShape(v.shape)}`);
  }
  return r;
}

/** A kernel whose result disagrees with the IR's static type is a bug (in the kernel or the IR). */
function checkShape(op: Op, i: number, v: NdArray | undefined, want: readonly number[] | undefined): void {
  if (!want || !v) return;
  if (want.length !== v.shape.length || want.some((d, k) => d >= 0 && d !== v.shape[k])) {
    throw new Error(`${op.type} "${op.name ?? '?'}": result ${i} has shape ${fmtShape(v.shape)}, the IR says ${fmtShape(want)}`);
  }
}
