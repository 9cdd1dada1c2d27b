import { describe, expect, it } from 'vitest';
import { Func, Op, UserError, VerifyError, nameLoc, ndarray, noneType, stringAttr } from '../../src/core/index.js';
import { buildAttrs, topOps } from '../../src/dialects/index.js';
import { runPipeline } from '../../src/passes/index.js';
import { op, opNames, t4, tinyGraph } from './build-graph.js';

describe('verify pass', () => {
  it('passes a good module and fails a broken one even with verifyEach off', async () => {
    const { module, main, add } = tinyGraph();
    await runPipeline(module, 'verify');
    // Break it behind the verifier's back: the return now gives two values.
    main.returnOp!.setOperands([add.result(), add.result()]);
    const err = await runPipeline(module, 'verify', { verifyEach: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect((err as Error).message).toMatch(/^in pass 'verify': in @main: return gives 2 values/);
  });
});

describe('sort-topologically pass', () => {
  it('orders every function, keeping valid order stable', async () => {
    const { module, main, add } = tinyGraph();
    // relu uses add but sits before it; a second function is unsorted too.
    const relu = op('top.Relu', [add.result()], 'relu');
    main.insertBefore(main.ops[0]!, relu);
    main.returnOp!.setOperands([relu.result()]);
    const g = module.addFunc(new Func('sub', { resultTypes: [t4] }));
    const a = g.addArgument(t4, nameLoc('sub_in'));
    const s2 = g.append(op('top.Sigmoid', [a], 's1'));
    const s1 = op('top.Exp', [a], 's0');
    g.append(s1);
    const sum = op('top.Add', [s1.result(), s2.result()], 'sum');
    g.insertBefore(s2, sum);
    g.append(new Op('func.return', { operands: [sum.result()] }));

    await runPipeline(module, 'sort-topologically', { verifyEach: false });
    expect(opNames(main)).toEqual(['in', 'w', 'add', 'relu', 'func.return']);
    expect(opNames(g)).toEqual(['s1', 's0', 'sum', 'func.return']);
    await runPipeline(module, 'verify');
  });
});

describe('dce pass', () => {
  it('erases dead chains to a fixpoint, keeps inputs, returns and used top.None, drops dead weight data', async () => {
    const { module, main, input, weight, add } = tinyGraph();
    const none = main.insertBefore(add, new Op('top.None', { resultTypes: [noneType] }));
    const conv = main.insertBefore(add, new Op('top.Conv', { operands: [input.result(), weight.result(), none.result()], resultTypes: [t4], attrs: buildAttrs(topOps.ops.Conv, { kernel_shape: [1] }), loc: nameLoc('conv') }));
    main.returnOp!.setOperands([add.result(), conv.result()]);
    main.resultTypes = [t4, t4];
    // A dead chain: w2 -> mul -> relu2 (nothing uses relu2), and an unused None.
    const w2 = main.insertBefore(add, new Op('top.Weight', { resultTypes: [t4], loc: nameLoc('w2') }));
    const mul = main.insertBefore(add, op('top.Mul', [input.result(), w2.result()], 'mul'));
    main.insertBefore(add, op('top.Relu', [mul.result()], 'relu2'));
    main.insertBefore(add, new Op('top.None', { resultTypes: [noneType] }));
    const data = ndarray('f32', [1, 4]);
    module.weights.set('w', data);
    module.weights.set('w2', data);
    module.weights.set('unrelated', data);

    await runPipeline(module, 'dce');
    expect(opNames(main)).toEqual(['in', 'w', 'top.None', 'conv', 'add', 'func.return']);
    expect([...module.weights.keys()]).toEqual(['w', 'unrelated']);
  });

  it('keeps an unused input and result-less ops', async () => {
    const { module, main, weight, add } = tinyGraph();
    // The graph output no longer depends on the input.
    main.returnOp!.setOperands([weight.result()]);
    main.append(new Op('top.Print', { operands: [add.result()] }));
    await runPipeline(module, 'dce');
    expect(opNames(main)).toEqual(['in', 'w', 'add', 'top.Print', 'func.return']);
  });
});

describe('set-module-attr pass', () => {
  it('sets a string attribute to reproduce a state transition', async () => {
    const { module } = tinyGraph();
    await runPipeline(module, 'set-module-attr{name=module.state value=TOP_CALIBRATED},set-module-attr{name=module.chip value="bm1684x"}');
    expect(module.attrs.get('module.state')).toEqual(stringAttr('TOP_CALIBRATED'));
    expect(module.attrs.get('module.chip')).toEqual(stringAttr('bm1684x'));
    await runPipeline(module, 'set-module-attr{name=module.note}');
    expect(module.attrs.get('module.note')).toEqual(stringAttr(''));
  });

  it('rejects an empty name', async () => {
    const { module } = tinyGraph();
    const err = (await runPipeline(module, "set-module-attr{name=''}").catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('E_PIPELINE');
    expect(err.message).toContain('option "name" is empty');
  });
});
