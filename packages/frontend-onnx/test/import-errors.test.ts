// Constant folding, graph order and the errors a user can act on.
import { UserError, verifyModule } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, encodeOnnxModel, importOnnx, listOnnxOps, SUPPORTED_ONNX_OPS } from '../src/index.js';
import { floatTensor, intTensor, modelBytes, modelProto, node, valueInfo } from './fixtures/onnx-build.js';

const shapeChain = {
  inputs: [valueInfo('x', ['N', 3, 4, 4])],
  initializers: [intTensor('i0', [], [0]), intTensor('ax', [1], [0]), intTensor('m1', [1], [-1]), floatTensor('w', [1], [2])],
  nodes: [
    node('Shape', ['x'], ['shp']),
    node('Gather', ['shp', 'i0'], ['n'], { axis: 0 }),
    node('Unsqueeze', ['n', 'ax'], ['n1']),
    node('Concat', ['n1', 'm1'], ['tgt'], { axis: 0 }),
    node('Cast', ['tgt'], ['tgt64'], { to: 7 }),
    node('Reshape', ['x', 'tgt64'], ['flat']),
    node('Mul', ['flat', 'w'], ['y']),
  ],
  outputs: ['y'],
};

describe('constant folding', () => {
  it('folds Shape/Gather/Unsqueeze/Concat/Cast so Reshape gets a constant target', () => {
    const m = importOnnx(modelBytes(shapeChain), { modelName: 'fold', inputShapes: [[2, 3, 4, 4]] });
    verifyModule(m);
    const types = m.main.ops.map((o) => o.type);
    expect(types).not.toContain('top.Shape');
    expect(types).not.toContain('top.Gather');
    const reshape = m.main.ops.find((o) => o.type === 'top.Reshape')!;
    expect(reshape.attr('shape')).toMatchObject({ kind: 'array' });
    expect(m.main.outputs[0]!.type).toMatchObject({ shape: [2, 48] });
  });

  it('sorts a graph whose nodes are out of order', () => {
    const g = { ...shapeChain, nodes: [...shapeChain.nodes].reverse() };
    const m = importOnnx(modelBytes(g), { modelName: 'unsorted', inputShapes: [[1, 3, 4, 4]] });
    verifyModule(m);
    expect(m.main.outputs[0]!.type).toMatchObject({ shape: [1, 48] });
  });
});

describe('errors', () => {
  it('lists every unsupported op at once', () => {
    const bytes = modelBytes({
      inputs: [valueInfo('x', [1, 4])],
      nodes: [node('Foo', ['x'], ['a'], {}, 'n1'), node('Bar', ['a'], ['b'], {}, 'n2'), node('Bar', ['b'], ['c'], {}, 'n3'), node('Relu', ['c'], ['d'])],
      outputs: ['d'],
    });
    let err: unknown;
    try {
      importOnnx(bytes, { modelName: 'X' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'E_UNSUPPORTED_OP', message: 'unsupported ops in model X: Foo (node n1), Bar (node n2, n3)' });
    expect(listOnnxOps(decodeOnnxModel(bytes))).toEqual([{ opType: 'Foo', count: 1 }, { opType: 'Bar', count: 2 }, { opType: 'Relu', count: 1 }]);
    expect(SUPPORTED_ONNX_OPS).toContain('Conv');
  });

  it('reports truncated or corrupt protobuf as E_ONNX_PARSE at every cut point', () => {
    const bytes = modelBytes(shapeChain);
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) {
      let err: unknown;
      try {
        importOnnx(bytes.subarray(0, cut), { modelName: 't', inputShapes: [[1, 3, 4, 4]] });
      } catch (e) {
        err = e;
      }
      // A cut can land between whole fields and still decode; then the graph is incomplete.
      expect(err, `cut at ${cut}`).toBeInstanceOf(UserError);
      expect(['E_ONNX_PARSE', 'E_ONNX_GRAPH', 'E_OUTPUT_NAME', 'E_ONNX_TENSOR', 'E_INPUT_SHAPES', 'E_UNSUPPORTED_OP']).toContain((err as UserError).code);
    }
    expect(() => importOnnx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), { modelName: 'g' })).toThrow(expect.objectContaining({ code: 'E_ONNX_PARSE' }));
  });

  it('refuses absurd tensor dims without allocating', () => {
    const model = modelProto({
      inputs: [valueInfo('x', [1, 4])],
      initializers: [{ name: 'big', dims: [1e6, 1e6, 1e6], data_type: 1, raw_data: new Uint8Array(4) }],
      nodes: [node('Add', ['x', 'big'], ['y'])],
      outputs: ['y'],
    });
    expect(() => importOnnx(encodeOnnxModel(model), { modelName: 'big' })).toThrow(expect.objectContaining({ code: 'E_ONNX_TENSOR' }));
  });

  it('names the input and both shapes when input_shapes has the wrong rank', () => {
    const bytes = modelBytes(shapeChain);
    expect(() => importOnnx(bytes, { modelName: 's', inputShapes: [[1, 3, 4]] })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_SHAPES', message: 'input "x" has rank 4 [?,3,4,4], input_shapes gives [1,3,4]' }),
    );
  });

  it('refuses external data outside the model folder', () => {
    const model = modelProto({
      inputs: [valueInfo('x', [1, 4])],
      initializers: [{ name: 'w', dims: [4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: '../../etc/passwd' }] }],
      nodes: [node('Add', ['x', 'w'], ['y'])],
      outputs: ['y'],
    });
    expect(() => importOnnx(encodeOnnxModel(model), { modelName: 'ext' })).toThrow(expect.objectContaining({ code: 'E_ONNX_EXTERNAL' }));
  });
});
