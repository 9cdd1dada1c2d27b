import { describe, expect, test } from 'vitest';
import { attrToBool, attrToNumber, f32, Func, Module, ndarray, Op, OpBuilder, runPipeline, tensorType, top, verifyModule } from '@tpu-quant/ir';

function convRelu(opts: { reluLimit?: number; extraUse?: boolean; convRelu?: number } = {}): { m: Module; f: Func } {
  const m = new Module('t');
  const f = m.addFunc(new Func('main', { resultTypes: [tensorType([1, 2, 4, 4], f32)] }));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 2, 4, 4], f32)) }, {}, { loc: 'x' });
  const w = b.weight('w', ndarray('f32', [2, 2, 1, 1]));
  const conv = top.conv(b, { input: x, filter: w }, {
    kernel_shape: [1, 1], ...(opts.convRelu !== undefined ? { do_relu: true, relu_limit: opts.convRelu } : {}),
  }, { loc: 'conv' });
  const relu = top.relu(b, { input: conv }, opts.reluLimit !== undefined ? { relu_limit: opts.reluLimit } : {}, { loc: 'relu' });
  let out = relu.result();
  if (opts.extraUse) out = top.add(b, { inputs: [relu, conv] }, {}, { loc: 'sum' }).result();
  f.append(new Op('func.return', { operands: [out] }));
  return { m, f };
}

describe('canonicalize: TopFuseRelu', () => {
  test('folds a Relu6 into the conv before it; the conv takes the relu name', async () => {
    const { m, f } = convRelu({ reluLimit: 6 });
    await runPipeline(m, 'canonicalize');
    verifyModule(m);
    expect(f.ops.map((o) => o.type).sort()).toEqual(['func.return', 'top.Conv', 'top.Input', 'top.None', 'top.Weight']);
    const conv = f.ops.find((o) => o.type === 'top.Conv')!;
    expect(conv.name).toBe('relu');
    expect(attrToBool(conv.attr('do_relu')!)).toBe(true);
    expect(attrToNumber(conv.attr('relu_limit')!)).toBe(6);
    expect(f.ops.some((o) => o.type === 'top.Relu')).toBe(false);
  });

  test('leaves the relu when the conv result has another use', async () => {
    const { m, f } = convRelu({ extraUse: true });
    await runPipeline(m, 'canonicalize');
    expect(f.ops.some((o) => o.type === 'top.Relu')).toBe(true);
  });

  test('two bounded relus keep the tighter bound; an unbounded relu keeps the existing bound', async () => {
    const a = convRelu({ convRelu: 6, reluLimit: 4 });
    await runPipeline(a.m, 'canonicalize');
    expect(attrToNumber(a.f.ops.find((o) => o.type === 'top.Conv')!.attr('relu_limit')!)).toBe(4);
    const b = convRelu({ convRelu: 6 });
    await runPipeline(b.m, 'canonicalize');
    expect(attrToNumber(b.f.ops.find((o) => o.type === 'top.Conv')!.attr('relu_limit')!)).toBe(6);
  });
});
