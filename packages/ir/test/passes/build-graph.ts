// Small graphs for pass tests, built with the core API only (no dialect tables needed).
import { Func, Module, Op, f32, nameLoc, stringAttr, tensorType, type Value } from '../../src/core/index.js';

export const t4 = tensorType([1, 4], f32);

export interface TinyGraph {
  module: Module;
  main: Func;
  input: Op;
  weight: Op;
  add: Op;
}

/** in -> Input; Weight w; Add(in, w) -> return. */
export function tinyGraph(): TinyGraph {
  const module = new Module('tiny', { 'module.state': stringAttr('TOP_F32') });
  const main = module.addFunc(new Func('main', { resultTypes: [t4] }));
  const arg = main.addArgument(t4, nameLoc('in'));
  const input = main.append(new Op('top.Input', { operands: [arg], resultTypes: [t4], loc: nameLoc('in') }));
  const weight = main.append(new Op('top.Weight', { resultTypes: [t4], loc: nameLoc('w') }));
  const add = main.append(op('top.Add', [input.result(), weight.result()], 'add'));
  main.append(new Op('func.return', { operands: [add.result()] }));
  return { module, main, input, weight, add };
}

export function op(type: string, operands: Value[], name: string): Op {
  return new Op(type, { operands, resultTypes: [t4], loc: nameLoc(name) });
}

export function opNames(f: Func): string[] {
  return f.ops.map((o) => o.name ?? o.type);
}
