// Op and weight names follow TPU-MLIR's OnnxConverter: "<output>_<OpType>" for the op a node
// becomes, initializer names for weights, its suffixes for weights it derives.
import { verifyModule, type Module } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/index.js';
import { floatTensor, intTensor, modelBytes, node, valueInfo } from './fixtures/onnx-build.js';

function names(m: Module): string[] {
  return m.main.ops.filter((o) => o.type !== 'func.return' && o.type !== 'top.None').map((o) => `${o.type}:${o.name}`);
}

describe('naming', () => {
  it('names ops by output tensor and OpType, weights by initializer', () => {
    const bytes = modelBytes({
      inputs: [valueInfo('x', [1, 3, 8, 8])],
      initializers: [floatTensor('w', [4, 3, 3, 3]), floatTensor('b', [4]), floatTensor('g', [4]), floatTensor('be', [4]), floatTensor('mu', [4]), floatTensor('var', [4], [1, 1, 1, 1])],
      nodes: [
        node('Conv', ['x', 'w', 'b'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
        node('BatchNormalization', ['c1', 'g', 'be', 'mu', 'var'], ['bn'], { epsilon: { f: 1e-3 } }),
        node('Relu', ['bn'], ['r']),
        node('Identity', ['r'], ['out']),
      ],
      outputs: ['out'],
    });
    const m = importOnnx(bytes, { modelName: 'tiny' });
    verifyModule(m);
    expect(names(m)).toEqual([
      'top.Input:x', 'top.Weight:w', 'top.Weight:b', 'top.Conv:c1_Conv', 'top.Weight:mu', 'top.Weight:var', 'top.Weight:g', 'top.Weight:be',
      'top.BatchNorm:bn_BatchNormalization', 'top.Relu:r_Relu',
    ]);
    expect(m.main.outputs[0]!.name).toBe('r_Relu');
    expect([...m.weights.keys()].sort()).toEqual(['b', 'be', 'g', 'mu', 'var', 'w']);
    expect(m.attrs.get('module.weight_file')).toMatchObject({ value: 'tiny_top_f32_all_weight.npz' });
  });

  it('gives derived weights and multi-result ops OnnxConverter names', () => {
    const bytes = modelBytes({
      inputs: [valueInfo('x', [2, 8])],
      initializers: [floatTensor('B', [6, 8]), floatTensor('C', [6]), floatTensor('k', [2, 2])],
      nodes: [
        node('Gemm', ['x', 'B', 'C'], ['y'], { transB: 1, beta: { f: 0.5 } }),
        node('Split', ['y'], ['s0', 's1'], { axis: 1, split: [2, 4] }),
        node('Concat', ['s0', 'k'], ['cat'], { axis: 1 }),
        node('Sum', ['s1', 's1', 's1'], ['sum']),
      ],
      outputs: ['cat', 'sum'],
      opset: 11,
    });
    const m = importOnnx(bytes, { modelName: 'n' });
    verifyModule(m);
    const got = names(m);
    expect(got).toContain('top.Weight:B_fix');
    expect(got).toContain('top.Weight:C_fix');
    expect(got).toContain('top.MatMul:y_Gemm');
    expect(got).toContain('top.Weight:cat_weight'); // trailing constants: "<out>_weight"
    expect(got).toContain('top.Add:sum_1_Sum');
    expect(got).toContain('top.Add:sum_Sum');
    const split = m.main.ops.find((o) => o.type === 'top.Split')!;
    expect(split.loc).toMatchObject({ kind: 'fused' });
    expect(m.weights.get('B_fix')!.shape).toEqual([8, 6]);
    const c = floatTensor('C', [6]).float_data!;
    expect(Array.from(m.weights.get('C_fix')!.data as Float32Array)).toEqual(c.map((v) => Math.fround(Math.fround(v) * 0.5)));
  });

  it('turns Resize by sizes into Interp with a <out>_target_shape weight, integer nearest into Upsample', () => {
    const bytes = modelBytes({
      inputs: [valueInfo('x', [1, 2, 4, 4])],
      initializers: [floatTensor('roi', [0], []), floatTensor('sc', [0], []), intTensor('sz', [4], [1, 2, 6, 10]), floatTensor('s2', [4], [1, 1, 2, 2])],
      nodes: [
        node('Resize', ['x', 'roi', 'sc', 'sz'], ['up'], { mode: 'linear' }),
        node('Resize', ['x', 'roi', 's2'], ['nn'], { mode: 'nearest' }),
      ],
      outputs: ['up', 'nn'],
    });
    const m = importOnnx(bytes, { modelName: 'r' });
    verifyModule(m);
    expect(names(m)).toContain('top.Weight:up_target_shape');
    expect(names(m)).toContain('top.Interp:up_Resize');
    expect(names(m)).toContain('top.Upsample:nn_Resize');
    expect(m.main.outputs.map((v) => (v.type.kind === 'tensor' ? v.type.shape : []))).toEqual([[1, 2, 6, 10], [1, 2, 8, 8]]);
  });
});
