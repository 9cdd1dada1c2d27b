// Sessions end to end: a real TPU-MLIR file with its weights, capture, observers, freeing,
// inlined calls and the errors users see.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { f32 as F32, Func, loadNpz, Op, OpBuilder, parseMlir, tensorType, top, UserError } from '@tpu-quant/ir';
import { createSession, listKernels } from '../src/index.js';
import { buildPlan } from '../src/plan.js';
import { arr, finish, moduleWithInputs, random } from './helpers/build.js';

const EX = resolve(import.meta.dirname, '../../../examples/tiny_conv');

async function tinyConv() {
  const m = parseMlir(await readFile(resolve(EX, 'tiny_conv.mlir'), 'utf8'), 'tiny_conv.mlir');
  m.weights = await loadNpz(resolve(EX, 'tiny_conv_top_f32_all_weight.npz'));
  return m;
}

describe('createSession on tiny_conv', () => {
  it('runs to a softmax and captures every tensor by name in order', async () => {
    const s = await createSession(await tinyConv());
    expect(s.inputNames).toEqual(['input']);
    expect(s.outputNames).toEqual(['prob']);
    const seen: string[] = [];
    const r = await s.run({ input: random([1, 3, 32, 32], 7) }, { capture: 'all', observer: (n) => seen.push(n) });
    const prob = r.outputs.get('prob')!;
    expect(prob.shape).toEqual([1, 10]);
    const total = Array.from(prob.data as Float32Array).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    const names = ['input', 'conv1', 'relu1', 'pool1', 'dw2', 'conv3', 'gap', 'flatten', 'fc', 'prob'];
    expect([...r.tensors.keys()]).toEqual(names);
    expect(seen).toEqual(names);
    // the fused relu6 of dw2 holds
    expect(Math.max(...Array.from(r.tensors.get('dw2')!.data as Float32Array))).toBeLessThanOrEqual(6);
  });

  it('captures only the requested tensors, and converts f64 inputs', async () => {
    const s = await createSession(await tinyConv());
    const x = random([1, 3, 32, 32], 3);
    const r1 = await s.run({ input: x }, { capture: ['conv1'] });
    expect([...r1.tensors.keys()]).toEqual(['conv1']);
    const x64: NdArray = { dtype: 'f64', shape: x.shape, data: Float64Array.from(x.data as Float32Array) };
    const r2 = await s.run(new Map([['input', x64]]));
    expect(r2.outputs.get('prob')!.data).toEqual(r1.outputs.get('prob')!.data);
  });

  it('frees every intermediate after its last use, never outputs or weights', async () => {
    const plan = buildPlan(await tinyConv(), 'js');
    const freed = plan.steps.flatMap((s) => s.freeAfter);
    const produced = plan.steps.filter((s) => !s.constant).flatMap((s) => s.outputs);
    const out = plan.outputs[0]!.slot;
    expect(new Set(freed)).toEqual(new Set([plan.inputs[0]!.slot, ...produced.filter((p) => p !== out)]));
  });

  it('names missing and misshapen inputs', async () => {
    const s = await createSession(await tinyConv());
    await expect(s.run({})).rejects.toThrow(/input "input" is missing \(expected shape \[1, 3, 32, 32\]\)/);
    await expect(s.run({ input: arr([1, 3, 16, 16]) })).rejects.toThrow(/shape \[1, 3, 16, 16\], expected \[1, 3, 32, 32\]/);
    await expect(s.run({ input: arr([1, 3, 16, 16]) })).rejects.toBeInstanceOf(UserError);
    await expect(s.run({ input: arr([1, 3, 32, 32]), other: arr([1]) })).rejects.toThrow(/no model input named "other"/);
  });

  it('asks for the weight npz when weights are missing', async () => {
    const m = await tinyConv();
    m.weights.delete('fc_w');
    const e = await createSession(m).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).code).toBe('E_MISSING_WEIGHT');
    expect((e as UserError).message).toMatch(/fc_w/);
    expect((e as UserError).hint).toMatch(/tiny_conv_top_f32_all_weight\.npz/);
  });
});

describe('planning', () => {
  it('lists every op without a kernel at once', async () => {
    const b = moduleWithInputs([[1, 4]]);
    const y = b.b.create('top.Foo', { operands: [b.inputs[0]!], resultTypes: [tensorType([1, 4], F32)] }).result();
    const z = b.b.create('top.Bar', { operands: [y], resultTypes: [tensorType([1, 4], F32)] }).result();
    const e = await createSession(finish(b, [z])).catch((x: unknown) => x);
    expect((e as UserError).code).toBe('E_UNSUPPORTED_OP');
    expect((e as UserError).message).toMatch(/top\.Bar, top\.Foo/);
  });

  it('inlines func.call', async () => {
    const b = moduleWithInputs([[1, 4]]);
    const sub = b.module.addFunc(new Func('sub'));
    const arg = sub.addArgument(tensorType([1, 4], F32));
    const sb = new OpBuilder(sub);
    const relu = top.relu(sb, { input: arg }, {}, { loc: 'r' }).result();
    sub.resultTypes = [relu.type];
    sub.append(new Op('func.return', { operands: [relu] }));
    const call = b.b.create('func.call', {
      operands: [b.inputs[0]!], resultTypes: [relu.type], attrs: { callee: { kind: 'symbol', value: 'sub' } },
    });
    const s = await createSession(finish(b, [call.result()]));
    const r = await s.run({ x0: arr([1, 4], [-1, 2, -3, 4]) }, { capture: 'all' });
    expect(Array.from(r.outputs.values())[0]!.data).toEqual(Float32Array.from([0, 2, 0, 4]));
    expect(r.tensors.has('r')).toBe(true);
  });

  it('has kernels for the ops ONNX models use', () => {
    const need = ['Input', 'Weight', 'None', 'Conv', 'Deconv', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'AddConst',
      'SubConst', 'MulConst', 'DivConst', 'MaxConst', 'MinConst', 'Pow', 'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Sigmoid',
      'SiLU', 'GELU', 'HardSigmoid', 'HardSwish', 'Mish', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Abs',
      'Softplus', 'Elu', 'Sin', 'Cos', 'Softmax', 'MaxPool', 'AvgPool', 'AdaptiveAvgPool', 'Concat', 'Split', 'Slice',
      'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Permute', 'Transpose', 'Pad', 'Upsample', 'Interp', 'Reduce', 'Gather',
      'Tile', 'Expand', 'Cast', 'LayerNorm', 'Scale', 'BatchNorm', 'Depth2Space', 'Where', 'Compare', 'CompareConst', 'Arg',
      'ConstantFill', 'Shape', 'Range'];
    const have = new Set(listKernels('js'));
    expect(need.filter((n) => !have.has(`top.${n}`))).toEqual([]);
  });
});
