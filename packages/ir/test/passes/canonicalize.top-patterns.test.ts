// TPU-MLIR's top canonicalizations (lib/Dialect/Top/Canonicalize/*.cpp) on tiny hand-built
// modules: which ops result, which names (locations) survive, which weights are written, and
// folded weights checked against values computed by hand.
import { describe, expect, test } from 'vitest';
import {
  attrToBool, attrToNumber, attrToNumbers, f32, ndarray, runPipeline, top, verifyModule, type TensorType, type Value,
} from '@tpu-quant/ir';
import { data, graph, one, ret, types, type Built } from './canonicalize-graph.js';

const w = (g: Built, name: string, shape: number[], values: number[]): Value => g.b.weight(name, ndarray('f32', shape, Float32Array.from(values)));

async function canon(g: Built): Promise<void> {
  await runPipeline(g.m, 'canonicalize');
  verifyModule(g.m);
}

describe('MulToSiLU', () => {
  test('x · Sigmoid(x) becomes SiLU(x) under the Mul name, in either operand order', async () => {
    for (const order of ['xs', 'sx']) {
      const g = graph([1, 2, 2, 2]);
      const sig = top.sigmoid(g.b, { input: g.x }, {}, { loc: 'sig' }).result();
      const mul = top.mul(g.b, { inputs: order === 'xs' ? [g.x, sig] : [sig, g.x] }, {}, { loc: 'mul' }).result();
      ret(g, mul);
      await canon(g);
      expect(types(g.f)).toEqual(['top.Input', 'top.SiLU']);
      const silu = one(g.f, 'top.SiLU');
      expect(silu.name).toBe('mul');
      expect(silu.operand(0)).toBe(g.x);
    }
  });

  test('a Sigmoid with another use, or with scale/bias, stays', async () => {
    const g = graph([1, 4]);
    const sig = top.sigmoid(g.b, { input: g.x }, {}, { loc: 'sig' }).result();
    const mul = top.mul(g.b, { inputs: [g.x, sig] }, {}, { loc: 'mul' }).result();
    ret(g, mul, sig);
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Sigmoid', 'top.Mul']);
    const h = graph([1, 4]);
    const sig2 = top.sigmoid(h.b, { input: h.x }, { scale: 2 }, { loc: 'sig' }).result();
    ret(h, top.mul(h.b, { inputs: [h.x, sig2] }, {}, { loc: 'mul' }).result());
    await canon(h);
    expect(types(h.f)).toEqual(['top.Input', 'top.Sigmoid', 'top.Mul']);
  });
});

describe('MulToMulConst / AddToAddConst', () => {
  test('a one-element weight becomes const_val; relu attributes carry over; the weight is dropped', async () => {
    const g = graph([1, 3]);
    const mul = top.mul(g.b, { inputs: [w(g, 'k', [1], [2.5]), g.x] }, { do_relu: true, relu_limit: 6 }, { loc: 'mul' }).result();
    const add = top.add(g.b, { inputs: [w(g, 'c', [1], [-1]), mul] }, {}, { loc: 'add' }).result();
    ret(g, add);
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.MulConst', 'top.AddConst']);
    const mc = one(g.f, 'top.MulConst');
    expect([mc.name, attrToNumber(mc.attr('const_val')!), attrToBool(mc.attr('do_relu')!), attrToNumber(mc.attr('relu_limit')!)]).toEqual(['mul', 2.5, true, 6]);
    const ac = one(g.f, 'top.AddConst');
    expect([ac.name, attrToNumber(ac.attr('const_val')!)]).toEqual(['add', -1]);
    expect([...g.m.weights.keys()]).toEqual([]);
  });

  test('·1 and +0 disappear; consecutive MulConsts merge under the outer name', async () => {
    const g = graph([1, 3]);
    const m1 = top.mul(g.b, { inputs: [g.x, w(g, 'one', [1], [1])] }, {}, { loc: 'm1' }).result();
    const a0 = top.add(g.b, { inputs: [m1, w(g, 'zero', [1], [0])] }, {}, { loc: 'a0' }).result();
    const c1 = top.mulConst(g.b, { input: a0 }, { const_val: 3 }, { loc: 'c1' }).result();
    const c2 = top.mulConst(g.b, { input: c1 }, { const_val: 0.5 }, { loc: 'c2' }).result();
    ret(g, c2);
    await canon(g);
    const mc = one(g.f, 'top.MulConst');
    expect([mc.name, attrToNumber(mc.attr('const_val')!)]).toEqual(['c2', 1.5]);
    expect(mc.operand(0)).toBe(g.x);
  });

  test('a weight that broadcasts the shape up is left as a Mul', async () => {
    const g = graph([4]);
    ret(g, top.mul(g.b, { inputs: [g.x, w(g, 'k', [1, 1], [2])] }, {}, { loc: 'mul' }).result());
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Mul']);
  });
});

describe('MulMerge, MulToScale, AddToScale', () => {
  test('Mul(Mul(x, a), b) with weights multiplies a·b into <mul>_merged', async () => {
    const g = graph([1, 2]);
    const m1 = top.mul(g.b, { inputs: [g.x, w(g, 'a', [1, 2], [2, 3])] }, {}, { loc: 'm1' }).result();
    ret(g, top.mul(g.b, { inputs: [m1, w(g, 'b', [1, 2], [5, 7])] }, {}, { loc: 'm2' }).result());
    await canon(g);
    const mul = one(g.f, 'top.Mul');
    expect(mul.name).toBe('m2');
    expect(mul.operand(1).producer!.name).toBe('m2_merged');
    expect(data(g.m, mul.operand(1))).toEqual([10, 21]);
  });

  test('per-channel weights: Mul → Scale(<mul>_scale, zero <mul>_bias); Add → Scale(ones <add>__scale_weight, w)', async () => {
    const g = graph([1, 2, 2, 2]);
    const mul = top.mul(g.b, { inputs: [g.x, w(g, 's', [1, 2, 1, 1], [2, 3])] }, {}, { loc: 'mul' }).result();
    const relu = top.relu(g.b, { input: mul }, {}, { loc: 'r' }).result();
    ret(g, relu);
    await canon(g);
    const sc = one(g.f, 'top.Scale');
    expect([sc.name, attrToBool(sc.attr('do_relu')!)]).toEqual(['r', true]);
    // Bottom-up, as MLIR's greedy driver: the Relu fuses into the Mul (which takes its name) first.
    expect([sc.operand(1).producer!.name, sc.operand(2).producer!.name]).toEqual(['r_scale', 'r_bias']);
    expect([data(g.m, sc.operand(1)), data(g.m, sc.operand(2))]).toEqual([[2, 3], [0, 0]]);

    const h = graph([1, 2, 2, 2]);
    ret(h, top.add(h.b, { inputs: [h.x, w(h, 'bias', [1, 2, 1, 1], [4, 5])] }, {}, { loc: 'add' }).result());
    await canon(h);
    const s2 = one(h.f, 'top.Scale');
    expect([s2.name, s2.operand(1).producer!.name, s2.operand(2).producer!.name]).toEqual(['add', 'add__scale_weight', 'bias']);
    expect(data(h.m, s2.operand(1))).toEqual([1, 1]);
  });
});

describe('BatchNorm', () => {
  // gamma 2, beta 1, mean 3, var 3 (eps 1): k = 2/√4 = 1; bias = −3·1 + 1 = −2 per channel.
  function bn(g: Built, input: Value, loc: string): Value {
    const p = (n: string, v: number): Value => w(g, `${loc}_${n}`, [2], [v, v]);
    return top.batchNorm(g.b, { input, mean: p('mean', 3), variance: p('var', 3), gamma: p('gamma', 2), beta: p('beta', 1) }, { epsilon: 1 }, { loc }).result();
  }

  test('Conv → BatchNorm → Relu: folded into the Conv (onnxsim), which then takes the Relu name', async () => {
    const g = graph([1, 1, 2, 2]);
    const filterData = [0.5, -1];
    const conv = top.conv(g.b, { input: g.x, filter: w(g, 'f', [2, 1, 1, 1], filterData), bias: w(g, 'cb', [2], [1, 2]) }, { kernel_shape: [1, 1] }, { loc: 'conv' }).result();
    const r = top.relu(g.b, { input: bn(g, conv, 'bn') }, {}, { loc: 'relu' }).result();
    ret(g, r);
    const original = g.m.weights.get('f')!;
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Conv']);
    const c = one(g.f, 'top.Conv');
    expect([c.name, attrToBool(c.attr('do_relu')!)]).toEqual(['relu', true]);
    expect(c.operand(1).producer!.name).toBe('conv_bn_merged_to_conv_weight');
    expect(c.operand(2).producer!.name).toBe('conv_bn_merged_to_conv_bias');
    // k = 1: filter unchanged in value; bias = cb·1 − 2.
    expect(data(g.m, c.operand(1))).toEqual([0.5, -1]);
    expect(data(g.m, c.operand(2))).toEqual([-1, 0]);
    expect([...(original.data as Float32Array)]).toEqual(filterData); // the input array is not written
    expect([...g.m.weights.keys()].sort()).toEqual(['conv_bn_merged_to_conv_bias', 'conv_bn_merged_to_conv_weight']);
  });

  test('a BatchNorm not after a Conv becomes Scale(<bn>_scale, <bn>_bias)', async () => {
    const g = graph([1, 2, 3]);
    ret(g, bn(g, g.x, 'bn'));
    await canon(g);
    const sc = one(g.f, 'top.Scale');
    expect(sc.name).toBe('bn');
    expect([sc.operand(1).producer!.name, sc.operand(2).producer!.name]).toEqual(['bn_scale', 'bn_bias']);
    expect([data(g.m, sc.operand(1)), data(g.m, sc.operand(2))]).toEqual([[1, 1], [-2, -2]]);
  });

  test('Scale → Scale merges into the second (TopMultiScaleMergeToOne)', async () => {
    const g = graph([1, 2, 3]);
    const s1 = top.scale(g.b, { input: g.x, scale: w(g, 's1', [2], [2, 3]), bias: w(g, 'b1', [2], [1, 1]) }, {}, { loc: 'sc1' }).result();
    ret(g, top.scale(g.b, { input: s1, scale: w(g, 's2', [2], [5, 7]), bias: w(g, 'b2', [2], [0, 1]) }, {}, { loc: 'sc2' }).result());
    await canon(g);
    const sc = one(g.f, 'top.Scale');
    expect(sc.name).toBe('sc2');
    expect([data(g.m, sc.operand(1)), data(g.m, sc.operand(2))]).toEqual([[10, 21], [5, 8]]);
  });
});

describe('MergeMulConst', () => {
  test('Conv → ·c folds c into filter and bias; the Conv takes the Mul name', async () => {
    const g = graph([1, 1, 2, 2]);
    const conv = top.conv(g.b, { input: g.x, filter: w(g, 'f', [2, 1, 1, 1], [1, 2]), bias: w(g, 'cb', [2], [3, 4]) }, { kernel_shape: [1, 1] }, { loc: 'conv' }).result();
    ret(g, top.mul(g.b, { inputs: [conv, w(g, 'k', [1], [0.5])] }, {}, { loc: 'mul' }).result());
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Conv']);
    const c = one(g.f, 'top.Conv');
    expect(c.name).toBe('mul');
    expect([c.operand(1).producer!.name, c.operand(2).producer!.name]).toEqual(['conv__mergeMulConst', 'conv_1__mergeMulConst']);
    expect([data(g.m, c.operand(1)), data(g.m, c.operand(2))]).toEqual([[0.5, 1], [1.5, 2]]);
  });
});

describe('TopGatherToSlice', () => {
  test('one constant index: Slice <gather>_slice then Squeeze under the Gather name', async () => {
    const g = graph([2, 3, 4]);
    const gat = top.gather(g.b, { input: g.x, indices: w(g, 'i', [1], [-1]) }, { axis: 1, keepdims: false }, { loc: 'g' }).result();
    ret(g, gat);
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Slice', 'top.Squeeze']);
    const s = one(g.f, 'top.Slice');
    expect(s.name).toBe('g_slice');
    expect([attrToNumbers(s.attr('offset')!), attrToNumbers(s.attr('ends')!), attrToNumbers(s.attr('steps')!)]).toEqual([[0, 2, 0], [2, 3, 4], [1, 1, 1]]);
    const q = one(g.f, 'top.Squeeze');
    expect([q.name, attrToNumbers(q.attr('axes')!)]).toEqual(['g', [1]]);
    expect((q.result().type as TensorType).shape).toEqual([2, 4]);
  });

  test('indices of shape [1] keep the axis: one Slice under the Gather name', async () => {
    const g = graph([2, 3]);
    ret(g, top.gather(g.b, { input: g.x, indices: w(g, 'i', [1], [2]) }, { axis: 1, keepdims: true }, { loc: 'g' }).result());
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Slice']);
    const s = one(g.f, 'top.Slice');
    expect([s.name, attrToNumbers(s.attr('offset')!), attrToNumbers(s.attr('ends')!)]).toEqual(['g', [0, 2], [2, 3]]);
    expect((s.result().type as TensorType).shape).toEqual([2, 1]);
  });

  test('a run of indices with a constant step is one Slice; other index lists stay Gathers', async () => {
    const g = graph([10, 2]);
    ret(g, top.gather(g.b, { input: g.x, indices: w(g, 'i', [3], [1, 4, 7]) }, { axis: 0 }, { loc: 'g' }).result());
    await canon(g);
    const s = one(g.f, 'top.Slice');
    expect([s.name, attrToNumbers(s.attr('offset')!), attrToNumbers(s.attr('ends')!), attrToNumbers(s.attr('steps')!)]).toEqual(['g', [1, 0], [8, 2], [3, 1]]);
    expect((s.result().type as TensorType).shape).toEqual([3, 2]);
    const h = graph([10, 2]);
    ret(h, top.gather(h.b, { input: h.x, indices: w(h, 'i', [3], [1, 4, 6]) }, { axis: 0 }, { loc: 'g' }).result());
    await canon(h);
    expect(types(h.f)).toEqual(['top.Input', 'top.Gather']);
  });
});

describe('Reshape', () => {
  test('Reshape(Reshape(x)) reads x; a Reshape to the same shape disappears', async () => {
    const g = graph([2, 6]);
    const r1 = top.reshape(g.b, { input: g.x }, { shape: [3, 4] }, { loc: 'r1' }).result();
    const r2 = top.reshape(g.b, { input: r1 }, { shape: [0, -1, 2] }, { loc: 'r2' }).result();
    const r3 = top.reshape(g.b, { input: r2 }, { shape: [3, 2, 2] }, { loc: 'r3' }).result();
    ret(g, top.relu(g.b, { input: r3 }, {}, { loc: 'relu' }).result());
    await canon(g);
    expect(types(g.f)).toEqual(['top.Input', 'top.Reshape', 'top.Relu']);
    const r = one(g.f, 'top.Reshape');
    expect([r.name, attrToNumbers(r.attr('shape')!)]).toEqual(['r2', [3, 2, 2]]);
    expect(r.operand(0)).toBe(g.x);
  });
});
