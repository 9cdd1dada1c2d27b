import { describe, expect, test } from 'vitest';
import { collectProblems, f32, Func, Module, nameLoc, Op, symbolAttr, tensorType, verifyModule } from '@tpu-quant/ir';
import { chainModule, t4, unary } from './graph-helpers.js';

describe('verifyModule', () => {
  test('accepts a well-formed graph', () => {
    expect(collectProblems(chainModule().m)).toEqual([]);
  });

  test('a value from another function', () => {
    const { m, ops } = chainModule();
    const g = m.addFunc(new Func('other', { resultTypes: [] }));
    g.append(unary('top.Relu', ops[0]!.result(), 'stolen'));
    g.append(new Op('func.return'));
    expect(collectProblems(m).join('\n')).toMatch(/@other: operand 0 of top.Relu "stolen" is used before it is defined/);
  });

  test('duplicate tensor names', () => {
    const { m, f, ops } = chainModule();
    f.insertAfter(ops[2]!, unary('top.Exp', ops[2]!.result(), 'a'));
    expect(() => verifyModule(m)).toThrow(/tensor name "a" is produced by both/);
  });

  test('return type mismatch and missing return', () => {
    const { m, f } = chainModule();
    f.resultTypes = [tensorType([2, 2], f32)];
    expect(collectProblems(m).join('\n')).toMatch(/returned value 0 does not have the declared type/);
    f.remove(f.returnOp!);
    expect(collectProblems(m).join('\n')).toMatch(/does not end with a return/);
  });

  test('calls must name a defined function with a matching signature', () => {
    const m = new Module('calls');
    const f = m.addFunc(new Func('main', { resultTypes: [t4] }));
    const x = f.addArgument(t4, nameLoc('x'));
    const call = f.append(new Op('func.call', { operands: [x], resultTypes: [t4], attrs: { callee: symbolAttr('sub') } }));
    f.append(new Op('func.return', { operands: [call.result()] }));
    expect(collectProblems(m).join('\n')).toMatch(/call to undefined function @sub/);
    const sub = m.addFunc(new Func('sub', { resultTypes: [t4] }));
    const y = sub.addArgument(t4);
    sub.append(new Op('func.return', { operands: [y] }));
    expect(collectProblems(m)).toEqual([]);
  });
});
