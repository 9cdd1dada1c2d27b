// Converter details found by ONNX's backend node tests: Gemm's beta on a computed C, parameter
// operands that must be constant, pooling dilations, Resize's nearest_mode.
import { UserError, verifyModule, type Module, type Op } from '@tpu-quant/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/index.js';
import { floatTensor, intTensor, modelBytes, node, valueInfo, type GraphSpec } from './fixtures/onnx-build.js';

function imported(g: GraphSpec, inputShapes?: number[][]): Module {
  const m = importOnnx(modelBytes(g), { modelName: 't', ...(inputShapes ? { inputShapes } : {}) });
  verifyModule(m);
  return m;
}

const opOf = (m: Module, type: string): Op | undefined => m.main.ops.find((o) => o.type === type);

function importError(g: GraphSpec): UserError {
  try {
    importOnnx(modelBytes(g), { modelName: 't' });
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('import succeeded');
}

describe('Gemm', () => {
  it('scales a computed C by beta and A by alpha (test_gemm_all_attributes)', () => {
    const m = imported({
      inputs: [valueInfo('a', [4, 3]), valueInfo('b', [5, 4]), valueInfo('c', [1, 5])],
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { alpha: { f: 0.25 }, beta: { f: 0.35 }, transA: 1, transB: 1 })],
      outputs: ['y'],
    });
    const mm = opOf(m, 'top.MatMul')!;
    expect(mm.attr('right_transpose')).toMatchObject({ value: true });
    const [left, , bias] = mm.operands;
    expect(left!.producer?.type).toBe('top.MulConst');
    expect(left!.producer?.attr('const_val')).toMatchObject({ value: 0.25 });
    expect(left!.producer?.operands[0]!.producer?.type).toBe('top.Permute');
    expect(bias!.producer?.type).toBe('top.MulConst');
    expect(bias!.producer?.attr('const_val')?.kind).toBe('float');
    expect((bias!.producer?.attr('const_val') as { value: number }).value).toBeCloseTo(0.35, 6);
    expect(m.main.outputs[0]!.type).toMatchObject({ shape: [3, 5] });
  });

  it('folds beta into a constant C ("<C>_fix")', () => {
    const m = imported({
      inputs: [valueInfo('a', [2, 3])],
      initializers: [floatTensor('b', [3, 4]), floatTensor('c', [4], [1, 2, 3, 4])],
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { beta: { f: 0.5 } })],
      outputs: ['y'],
    });
    expect(opOf(m, 'top.MatMul')!.operands[2]!.producer?.name).toBe('c_fix');
  });
});

describe('parameter operands must be constant', () => {
  const cases: [string, GraphSpec, string][] = [
    ['ReduceMean axes (opset 18)', {
      opset: 18, inputs: [valueInfo('x', [3, 2, 2]), valueInfo('axes', [1], 7)],
      nodes: [node('ReduceMean', ['x', 'axes'], ['y'], { keepdims: 0 })], outputs: ['y'],
    }, 'node "y" (ReduceMean): input "axes" must be a constant here'],
    ['Reshape shape', {
      inputs: [valueInfo('x', [2, 6]), valueInfo('s', [2], 7)], nodes: [node('Reshape', ['x', 's'], ['y'])], outputs: ['y'],
    }, '(Reshape): input "shape" must be a constant here (tensor "s" is not one)'],
    ['Clip min', {
      inputs: [valueInfo('x', [2, 6]), valueInfo('lo', [])], nodes: [node('Clip', ['x', 'lo'], ['y'])], outputs: ['y'],
    }, '(Clip): input "min" must be a constant here'],
    ['Tile repeats', {
      inputs: [valueInfo('x', [2, 6]), valueInfo('r', [2], 7)], nodes: [node('Tile', ['x', 'r'], ['y'])], outputs: ['y'],
    }, '(Tile): input "repeats" must be a constant here'],
    ['Slice ends', {
      inputs: [valueInfo('x', [2, 6]), valueInfo('e', [1], 7)], initializers: [intTensor('st', [1], [0])],
      nodes: [node('Slice', ['x', 'st', 'e'], ['y'])], outputs: ['y'],
    }, '(Slice): input "ends" must be a constant here'],
    ['Resize scales', {
      inputs: [valueInfo('x', [1, 1, 2, 2]), valueInfo('sc', [4])],
      nodes: [node('Resize', ['x', '', 'sc'], ['y'], { mode: 'nearest' })], outputs: ['y'],
    }, '(Resize): input "scales" must be a constant here'],
  ];
  it.each(cases)('%s', (_, g, message) => {
    const e = importError(g);
    expect(e.code).toBe('E_ONNX_NODE');
    expect(e.message).toContain(message);
  });
});

describe('pooling', () => {
  it('carries dilations onto top pools only when not all 1', () => {
    const g = (dilations: number[]): GraphSpec => ({
      inputs: [valueInfo('x', [1, 1, 4, 4])],
      nodes: [node('AveragePool', ['x'], ['y'], { kernel_shape: [2, 2], dilations, ceil_mode: 1 })],
      outputs: ['y'],
    });
    const dilated = imported(g([2, 2]));
    expect(opOf(dilated, 'top.AvgPool')!.attr('dilations')).toMatchObject({ kind: 'array' });
    // test_averagepool_2d_dilations: 4x4, k 2, dilation 2, stride 1 -> 2x2
    expect(dilated.main.outputs[0]!.type).toMatchObject({ shape: [1, 1, 2, 2] });
    expect(opOf(imported(g([1, 1])), 'top.AvgPool')!.attr('dilations')).toBeUndefined();
  });
});

describe('Resize nearest_mode', () => {
  const resize = (attrs: Record<string, string>, scales = [1, 1, 2, 2]): Module => imported({
    opset: 13, inputs: [valueInfo('x', [1, 1, 2, 2])], initializers: [floatTensor('sc', [4], scales)],
    nodes: [node('Resize', ['x', '', 'sc'], ['y'], { mode: 'nearest', ...attrs })], outputs: ['y'],
  });

  it('writes nearest_mode only where top.Interp would round otherwise', () => {
    const ceil = opOf(resize({ coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }), 'top.Interp')!;
    expect(ceil.attr('nearest_mode')).toMatchObject({ value: 'round_prefer_ceil' });
    const dflt = opOf(resize({ coordinate_transformation_mode: 'align_corners' }), 'top.Interp')!;
    expect(dflt.attr('nearest_mode')).toBeUndefined();
  });

  it('keeps top.Upsample when its floor(o / s) is the same pick, not otherwise', () => {
    expect(opOf(resize({ coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }), 'top.Upsample')).toBeDefined();
    expect(opOf(resize({}), 'top.Upsample')).toBeDefined(); // half_pixel, round_prefer_floor
    expect(opOf(resize({ nearest_mode: 'floor' }), 'top.Upsample')).toBeUndefined(); // half_pixel floor picks o/s − 1 at times
    expect(opOf(resize({ coordinate_transformation_mode: 'asymmetric' }, [1, 1, 3, 3]), 'top.Upsample')).toBeUndefined();
  });
});

describe('attributes top ops cannot express are refused, not ignored', () => {
  const resizeError = (shape: number[], scales: number[]): UserError => importError({
    opset: 13, inputs: [valueInfo('x', shape)], initializers: [floatTensor('sc', [scales.length], scales)],
    nodes: [node('Resize', ['x', '', 'sc'], ['y'], { mode: 'nearest' })], outputs: ['y'],
  });

  it('Resize of an axis top.Interp keeps (rank 3 and 5 too), or with too few scales', () => {
    expect(resizeError([1, 2, 4], [1, 2, 2]).message).toMatch(/resizing axis 1 of a rank-3 input/);
    expect(resizeError([1, 1, 2, 4, 4], [1, 1, 2, 2, 2]).message).toMatch(/resizing axis 2 of a rank-5 input/);
    expect(resizeError([1, 1, 4, 4], [1, 2, 2, 2]).message).toMatch(/resizing axis 1 of a rank-4 input/);
    expect(resizeError([1, 1, 4, 4], [2, 2]).message).toMatch(/2 entries for a rank-4 input/);
  });

  it('BatchNormalization with training_mode', () => {
    const c = (n: string): ReturnType<typeof floatTensor> => floatTensor(n, [2], [1, 1]);
    const e = importError({
      opset: 15, inputs: [valueInfo('x', [1, 2, 3, 3])], initializers: [c('s'), c('b'), c('m'), c('v')],
      nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { training_mode: 1 })], outputs: ['y'],
    });
    expect(e.message).toMatch(/BatchNormalization in training mode/);
  });
});

describe('constant folding', () => {
  it('folds Mod by its fmod attribute (sign of the dividend with fmod = 1)', () => {
    const folded = (fmod: number): number[] => {
      const m = imported({
        inputs: [valueInfo('x', [2])],
        initializers: [floatTensor('a', [2], [-7, 7]), floatTensor('b', [2], [3, -3])],
        nodes: [node('Mod', ['a', 'b'], ['r'], { fmod }), node('Add', ['x', 'r'], ['y'])],
        outputs: ['y'],
      });
      return Array.from(m.weights.get('r')!.data as Float32Array);
    };
    expect(folded(1)).toEqual([-1, 1]);
    expect(folded(0)).toEqual([2, -2]);
  });
});
