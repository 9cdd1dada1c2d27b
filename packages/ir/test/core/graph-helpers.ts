// Small builders for core tests (no dialect tables involved).
import { f32, Func, Module, nameLoc, Op, tensorType, type Value } from '@tpu-quant/ir';

export const t4 = tensorType([1, 4], f32);

export function chainModule(): { m: Module; f: Func; ops: Op[] } {
  const m = new Module('chain');
  const f = m.addFunc(new Func('main', { resultTypes: [t4] }));
  const arg = f.addArgument(t4, nameLoc('x'));
  const input = f.append(new Op('top.Input', { operands: [arg], resultTypes: [t4], loc: nameLoc('x') }));
  const a = f.append(unary('top.Relu', input.result(), 'a'));
  const b = f.append(unary('top.Sigmoid', a.result(), 'b'));
  f.append(new Op('func.return', { operands: [b.result()] }));
  return { m, f, ops: [input, a, b] };
}

export function unary(type: string, v: Value, name: string): Op {
  return new Op(type, { operands: [v], resultTypes: [t4], loc: nameLoc(name) });
}
