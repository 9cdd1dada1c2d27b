// Hand-built top modules for the canonicalize tests: one function with input `x`, ops added
// through the builders, then returned; and the small queries the tests make of the result.
import { expect } from 'vitest';
import { f32, Func, Module, Op, OpBuilder, tensorType, top, type Value } from '@tpu-quant/ir';

export interface Built {
  m: Module;
  f: Func;
  b: OpBuilder;
  x: Value;
}

export function graph(shape: number[]): Built {
  const m = new Module('t');
  const f = m.addFunc(new Func('main', { resultTypes: [] }));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType(shape, f32)) }, {}, { loc: 'x' }).result();
  return { m, f, b, x };
}

export function ret(g: Built, ...vals: Value[]): void {
  g.f.append(new Op('func.return', { operands: vals }));
  g.f.resultTypes.splice(0, g.f.resultTypes.length, ...vals.map((v) => v.type));
}

/** The op types of `f` in order, weights, None and the return left out. */
export const types = (f: Func): string[] => f.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');

/** The one op of `type` in `f` (the test fails if there is not exactly one). */
export const one = (f: Func, type: string): Op => {
  const ops = f.ops.filter((o) => o.type === type);
  expect(ops).toHaveLength(1);
  return ops[0]!;
};

/** The values of the weight `v` reads. */
export const data = (m: Module, v: Value): number[] => [...(m.weights.get(v.producer!.name!)!.data as Float32Array)];
