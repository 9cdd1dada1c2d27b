// Builds one-op test modules with the ir builders: inputs become top.Input ops, constants become
// top.Weight ops, and the op's results are returned.
import type { NdArray, Value } from '@tpu-quant/ir';
import { f32 as F32, Func, Module, nameLoc, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';

export interface Built {
  module: Module;
  b: OpBuilder;
  inputs: Value[];
}

/** A module whose @main takes `shapes` as inputs x0, x1, ... through top.Input. */
export function moduleWithInputs(shapes: readonly (readonly number[])[]): Built {
  const module = new Module('t');
  const f = module.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const inputs = shapes.map((s, i) => {
    const arg = f.addArgument(tensorType(s, F32));
    return top.input(b, { input: arg }, {}, { loc: `x${i}` }).result();
  });
  return { module, b, inputs };
}

/** Ends @main returning `results`. */
export function finish(built: Built, results: readonly Value[]): Module {
  const f = built.b.func;
  f.resultTypes = results.map((r) => r.type);
  f.append(new Op('func.return', { operands: results }));
  return built.module;
}

export function weight(built: Built, name: string, data: NdArray): Value {
  return built.b.weight(name, data);
}

export function arr(shape: readonly number[], values?: ArrayLike<number>): NdArray<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  return ndarray('f32', shape, values ? Float32Array.from(values) : new Float32Array(n));
}

/** Deterministic pseudo-random values in [-1, 1). */
export function random(shape: readonly number[], seed = 1): NdArray<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return ndarray('f32', shape, out);
}

export function maxAbsDiff(a: NdArray, b: NdArray): number {
  let m = 0;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

export { nameLoc };
