// A module with one function and a builder, plus shorthands for inputs, weights and shapes.
import type { Op, TensorType, Value } from '../../src/core/index.js';
import { f32, Func, Module, ndarray, tensorType } from '../../src/core/index.js';
import { OpBuilder, top } from '../../src/dialects/index.js';

export interface Fixture {
  m: Module;
  f: Func;
  b: OpBuilder;
  /** A graph input of this shape (dims may be -1). */
  input(shape: readonly number[], name?: string): Value;
  /** A zero-filled f32 weight; `values` fills it instead. */
  weight(name: string, shape: readonly number[], values?: readonly number[]): Value;
}

let counter = 0;

export function fixture(): Fixture {
  const m = new Module('t');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  return {
    m,
    f,
    b,
    input: (shape, name = `in${counter++}`) =>
      top.input(b, { input: f.addArgument(tensorType(shape, f32)) }, {}, { loc: name }).result(),
    weight: (name, shape, values) => b.weight(name, ndarray('f32', shape, values ? Float32Array.from(values) : undefined)),
  };
}

/** Shape of result `i` of `op`. */
export function shapeOf(op: Op, i = 0): readonly number[] {
  return (op.result(i).type as TensorType).shape;
}

/** Shapes of every result of `op`. */
export function shapesOf(op: Op): (readonly number[])[] {
  return op.results.map((r) => (r.type as TensorType).shape);
}
