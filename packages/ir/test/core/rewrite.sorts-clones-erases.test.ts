import { describe, expect, test } from 'vitest';
import {
  cloneModule, diffModules, eraseDeadOps, modulesEqual, nameLoc, Op, replaceOp, sortTopologically, VerifyError,
  verifyModule,
} from '@tpu-quant/ir';
import { chainModule, t4, unary } from './graph-helpers.js';

describe('sortTopologically', () => {
  test('moves consumers after producers and keeps the rest of the order', () => {
    const { f, ops } = chainModule();
    const [input, a, b] = ops as [Op, Op, Op];
    const side = unary('top.Tanh', input.result(), 'side');
    f.insertBefore(a, side);
    // Put b before a: invalid order.
    f.remove(b);
    f.insertBefore(a, b);
    expect(() => verifyModule(f.parent!)).toThrow(VerifyError);
    sortTopologically(f);
    expect(f.ops.map((o) => o.name ?? o.type)).toEqual(['x', 'side', 'a', 'b', 'func.return']);
    verifyModule(f.parent!);
  });

  test('reports a cycle by naming an op on it', () => {
    const { f, ops } = chainModule();
    const [, a, b] = ops as [Op, Op, Op];
    a.setOperand(0, b.result());
    expect(() => sortTopologically(f)).toThrow(/cycle through top\.(Relu|Sigmoid)/);
  });

  test('a reversed 5000-op chain sorts without recursion limits', () => {
    const { f, ops } = chainModule();
    let prev = ops[2]!.result();
    const made: Op[] = [];
    for (let i = 0; i < 5000; i++) {
      const op = unary('top.Relu', prev, `r${i}`);
      made.push(op);
      prev = op.result();
    }
    for (const op of made.reverse()) f.insertAfter(ops[0]!, op);
    sortTopologically(f);
    const names = f.ops.map((o) => o.name);
    expect(names.indexOf('r0')).toBeLessThan(names.indexOf('r4999'));
  });
});

describe('cloneModule', () => {
  test('gives an equal, independent graph', () => {
    const { m } = chainModule();
    const copy = cloneModule(m);
    expect(diffModules(m, copy)).toBeUndefined();
    copy.main.ops[1]!.loc = nameLoc('renamed');
    expect(modulesEqual(m, copy)).toBe(false);
    expect(m.main.ops[1]!.name).toBe('a');
    verifyModule(copy);
  });
});

describe('replaceOp and eraseDeadOps', () => {
  test('replaceOp rewires uses and removes the op', () => {
    const { m, f, ops } = chainModule();
    const [input, a, b] = ops as [Op, Op, Op];
    replaceOp(a, [input.result()]);
    expect(b.operand(0)).toBe(input.result());
    expect(f.ops).not.toContain(a);
    expect(input.result().uses.map((u) => u.op)).toEqual([b]);
    verifyModule(m);
  });

  test('erasing an op that is still used is refused', () => {
    const { ops } = chainModule();
    expect(() => ops[1]!.erase()).toThrow(/still has uses/);
  });

  test('eraseDeadOps removes unused chains but keeps inputs and the return', () => {
    const { m, f, ops } = chainModule();
    const d1 = f.insertAfter(ops[2]!, unary('top.Exp', ops[1]!.result(), 'dead1'));
    f.insertAfter(d1, unary('top.Exp', d1.result(), 'dead2'));
    expect(eraseDeadOps(f)).toBe(2);
    expect(f.ops.map((o) => o.name ?? o.type)).toEqual(['x', 'a', 'b', 'func.return']);
    verifyModule(m);
  });

  test('setOperand keeps both use-lists right', () => {
    const { f, ops } = chainModule();
    const [input, a, b] = ops as [Op, Op, Op];
    b.setOperand(0, input.result());
    expect(a.result().hasUses).toBe(false);
    expect(input.result().uses).toHaveLength(2);
    verifyModule(f.parent!);
    expect(t4.shape).toEqual([1, 4]);
  });
});
