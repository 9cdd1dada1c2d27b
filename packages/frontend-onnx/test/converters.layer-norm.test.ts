// LayerNormalization as TPU-MLIR's convert_layer_norm_op writes it: a non-negative axis,
// normalized_shape = the input dims from axis on, weight/bias retyped to [1, ..., dims] under
// their own names, an all-ones weight / all-zeros bias dropped (None).
import { attrToNumber, attrToNumbers, verifyModule, type Op, type TensorType } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/index.js';
import { floatTensor, modelBytes, node, valueInfo } from './fixtures/onnx-build.js';

function layerNorm(shape: number[], axis: number, w: number[], b: number[] | undefined, wDims: number[]): Op {
  const m = importOnnx(
    modelBytes({
      inputs: [valueInfo('x', shape)],
      initializers: [floatTensor('w', wDims, w), ...(b ? [floatTensor('b', wDims, b)] : [])],
      nodes: [node('LayerNormalization', ['x', 'w', ...(b ? ['b'] : [])], ['y'], { axis, epsilon: { f: 1e-6 } })],
      outputs: ['y'],
      opset: 17,
    }),
    { modelName: 'ln', fusePatterns: false },
  );
  verifyModule(m);
  const ops = m.main.ops.filter((o) => o.type === 'top.LayerNorm');
  expect(ops).toHaveLength(1);
  return ops[0]!;
}

const shapeOf = (o: Op, i: number): number[] | undefined =>
  o.operand(i).producer?.type === 'top.None' ? undefined : [...(o.operand(i).type as TensorType).shape];

describe('LayerNormalization converter', () => {
  it('axis -1 on [2, 5, 4]: axis 2, normalized_shape [4], weight and bias [1, 1, 4] named as in the model', () => {
    const ln = layerNorm([2, 5, 4], -1, [1, 2, 3, 4], [0.5, 0, 0, 0], [4]);
    expect([attrToNumber(ln.attr('axis')!), attrToNumbers(ln.attr('normalized_shape')!)]).toEqual([2, [4]]);
    expect([shapeOf(ln, 1), shapeOf(ln, 2)]).toEqual([[1, 1, 4], [1, 1, 4]]);
    expect([ln.operand(1).producer!.name, ln.operand(2).producer!.name]).toEqual(['w', 'b']);
    expect(ln.name).toBe('y_LayerNormalization');
  });

  it('axis -2 on [2, 3, 4]: axis 1, normalized_shape [3, 4], weight [1, 3, 4]; a zeros bias is dropped', () => {
    const ln = layerNorm([2, 3, 4], -2, Array.from({ length: 12 }, (_, i) => i / 4), new Array(12).fill(0), [3, 4]);
    expect([attrToNumber(ln.attr('axis')!), attrToNumbers(ln.attr('normalized_shape')!)]).toEqual([1, [3, 4]]);
    expect([shapeOf(ln, 1), shapeOf(ln, 2)]).toEqual([[1, 3, 4], undefined]);
  });

  it('an all-ones weight is dropped; a missing bias is None', () => {
    const ln = layerNorm([2, 4], 1, [1, 1, 1, 1], undefined, [4]);
    expect([shapeOf(ln, 1), shapeOf(ln, 2)]).toEqual([undefined, undefined]);
    expect(attrToNumbers(ln.attr('normalized_shape')!)).toEqual([4]);
  });
});
