import { describe, expect, it } from 'vitest';
import { ShapeError, top } from '../../src/dialects/index.js';
import { fixture, shapeOf, shapesOf } from './fixture.js';

describe('Concat and Split', () => {
  it('adds up the concat axis (negative axes count from the end)', () => {
    const { b, input } = fixture();
    const c = top.concat(b, { inputs: [input([1, 2, 4]), input([1, 3, 4]), input([1, 1, 4])] }, { axis: -2 }, { loc: 'c' });
    expect(shapeOf(c)).toEqual([1, 6, 4]);
    expect(() => top.concat(b, { inputs: [input([1, 2, 4]), input([1, 2, 5])] }, {}, { loc: 'c2' })).toThrow(ShapeError);
  });

  it('splits by split_size or evenly, the last piece taking the remainder', () => {
    const { b, input } = fixture();
    const x = input([2, 10, 3]);
    const sized = top.split(b, { input: x }, { axis: 1, num: 3, split_size: [2, 5, 3] }, { loc: 's' });
    expect(shapesOf(sized)).toEqual([[2, 2, 3], [2, 5, 3], [2, 3, 3]]);
    const even = top.split(b, { input: x }, { axis: -1, num: 3 }, { loc: 's2' });
    expect(even.results).toHaveLength(3);
    expect(shapeOf(even, 2)).toEqual([2, 10, 1]);
    const uneven = top.split(b, { input: x }, { axis: 1, num: 4 }, { loc: 's3' });
    expect(shapesOf(uneven).map((x) => x[1])).toEqual([3, 3, 3, 1]);
    expect(() => top.split(b, { input: x }, { axis: 1, num: 2, split_size: [3, 3] }, { loc: 's4' })).toThrow(/add up/);
  });
});

describe('Slice', () => {
  it('slices leading axes with python semantics (negative indices, clamping)', () => {
    const { b, input } = fixture();
    const x = input([10, 8, 6]);
    const s = top.slice(b, { input: x }, { offset: [-3, 1], ends: [1000, -1], steps: [1, 2] }, { loc: 's' });
    expect(shapeOf(s)).toEqual([3, 3, 6]);
    expect(s.operands.slice(1).every((v) => v.type.kind === 'none')).toBe(true);
  });

  it('steps backwards', () => {
    const { b, input } = fixture();
    const x = input([10]);
    // python: list(range(10))[8:2:-2] → 8, 6, 4
    expect(shapeOf(top.slice(b, { input: x }, { offset: [8], ends: [2], steps: [-2] }, { loc: 's' }))).toEqual([3]);
    // [-1::-1] reversed whole axis: ends far below the start
    expect(shapeOf(top.slice(b, { input: x }, { offset: [-1], ends: [-1000], steps: [-1] }, { loc: 's2' }))).toEqual([10]);
  });

  it('slices only the named axes', () => {
    const { b, input } = fixture();
    const s = top.slice(b, { input: input([4, 5, 6]) }, { offset: [1], ends: [4], steps: [1], axes: [2] }, { loc: 's' });
    expect(shapeOf(s)).toEqual([4, 5, 3]);
  });

  it('rejects a zero step and mismatched list lengths', () => {
    const { b, input } = fixture();
    const x = input([4, 5]);
    expect(() => top.slice(b, { input: x }, { offset: [0], ends: [2], steps: [0] }, { loc: 's' })).toThrow(ShapeError);
    expect(() => top.slice(b, { input: x }, { offset: [0, 0], ends: [2], steps: [1] }, { loc: 's' })).toThrow(ShapeError);
  });

  it('StridedSlice applies begin/end/shrink masks to constant operands', () => {
    const { b, input, weight } = fixture();
    const s = top.stridedSlice(
      b,
      { input: input([4, 6, 8]), starts: weight('st', [3], [1, 0, 2]), ends: weight('en', [3], [3, 0, 8]), strides: weight('sd', [3], [1, 1, 3]) },
      { end_mask: 0b010, shrink_axis_mask: 0b001 },
      { loc: 's' },
    );
    expect(shapeOf(s)).toEqual([6, 2]);
  });
});

describe('Gather, Reduce, Arg, TopK', () => {
  it('gathers indices into the axis; a single index without keepdims drops it', () => {
    const { b, input } = fixture();
    const x = input([5, 6, 7]);
    expect(shapeOf(top.gather(b, { input: x, indices: input([2, 3]) }, { axis: 1 }, { loc: 'g' }))).toEqual([5, 2, 3, 7]);
    expect(shapeOf(top.gather(b, { input: x, indices: input([1]) }, { axis: 1, keepdims: false }, { loc: 'g2' }))).toEqual([5, 7]);
    expect(shapeOf(top.gatherElements(b, { input: x, indices: input([5, 2, 7]) }, { axis: 1 }, { loc: 'ge' }))).toEqual([5, 2, 7]);
    expect(shapeOf(top.scatterND(b, { input_data: x, indices: input([2, 1]), updates: input([2, 6, 7]) }, {}, { loc: 'sc' }))).toEqual([5, 6, 7]);
  });

  it('reduces with and without keepdims', () => {
    const { b, input } = fixture();
    const x = input([2, 3, 4]);
    expect(shapeOf(top.reduce(b, { input: x }, { axes: [1, -1], keepdims: true, mode: 'ReduceMean' }, { loc: 'r' }))).toEqual([2, 1, 1]);
    expect(shapeOf(top.reduce(b, { input: x }, { axes: [1, -1], keepdims: false, mode: 'ReduceSum' }, { loc: 'r2' }))).toEqual([2]);
    expect(shapeOf(top.reduce(b, { input: x }, { axes: [0, 1, 2], keepdims: false, mode: 'ReduceMax' }, { loc: 'r3' }))).toEqual([1]);
  });

  it('gives Arg indices (values none when asked) and TopK K entries', () => {
    const { b, input, weight } = fixture();
    const x = input([2, 10]);
    const arg = top.arg(b, { input: x }, { axis: 1, keepdims: true, mode: 'ArgMax' }, { loc: 'arg', noneResults: ['values'] });
    expect(shapeOf(arg)).toEqual([2, 1]);
    expect(arg.result(1).type.kind).toBe('none');
    const tk = top.topK(b, { input: x }, { axis: 1, K: 3 }, { loc: 'tk' });
    expect([shapeOf(tk, 0), shapeOf(tk, 1)]).toEqual([[2, 3], [2, 3]]);
    const tk2 = top.topK(b, { input: x, kT: weight('k', [1], [4]) }, { axis: -1 }, { loc: 'tk2' });
    expect(shapeOf(tk2, 1)).toEqual([2, 4]);
  });
});

describe('shape-producing ops', () => {
  it('Shape gives the rank, sliced by start/end', () => {
    const { b, input } = fixture();
    const x = input([2, 3, 4, 5]);
    expect(shapeOf(top.shape(b, { input: x }, {}, { loc: 's' }))).toEqual([4]);
    expect(shapeOf(top.shape(b, { input: x }, { start: 1, end: -1 }, { loc: 's2' }))).toEqual([2]);
  });

  it('ConstantFill and Range read constant operands', () => {
    const { b, weight } = fixture();
    expect(shapeOf(top.constantFill(b, { input: weight('dims', [3], [2, 3, 4]) }, { value: 1 }, { loc: 'cf' }))).toEqual([2, 3, 4]);
    const r = top.range(b, { start: weight('s', [1], [1]), limit: weight('l', [1], [10]), delta: weight('d', [1], [3]) }, {}, { loc: 'r' });
    expect(shapeOf(r)).toEqual([3]);
    expect(shapeOf(top.range(b, { limit: weight('l2', [1], [5]) }, {}, { loc: 'r2' }))).toEqual([5]);
  });
});

describe('post-processing and sequence ops', () => {
  it('YoloDetection and DetectionOutput give fixed-size box tables', () => {
    const { b, input } = fixture();
    const heads = [input([1, 255, 20, 20]), input([1, 255, 40, 40])];
    const y = top.yoloDetection(
      b,
      { inputs: heads },
      { net_input_h: 640, net_input_w: 640, nms_threshold: 0.5, obj_threshold: 0.3, keep_topk: 200, anchors: [10, 13], version: 'yolov5' },
      { loc: 'yolo' },
    );
    expect(shapeOf(y)).toEqual([1, 1, 200, 6]);
    const d = top.detectionOutput(
      b,
      { inputs: [input([4, 7668]), input([4, 40257]), input([1, 2, 7668])] },
      { num_classes: 21, nms_threshold: 0.45, top_k: 400, code_type: 'CENTER_SIZE', keep_top_k: 200, confidence_threshold: 0.01 },
      { loc: 'det' },
    );
    expect(shapeOf(d)).toEqual([4, 1, 200, 7]);
  });

  it('LSTM and GRU follow the ONNX layouts', () => {
    const { b, input, weight } = fixture();
    const x = input([7, 2, 16]);
    const lstm = top.lstm(
      b,
      { input: x, filter: weight('wf', [2, 128, 16]), recurrence: weight('wr', [2, 128, 32]) },
      { hidden_size: 32, bidirectional: true },
      { loc: 'lstm' },
    );
    expect(shapesOf(lstm)).toEqual([[7, 2, 2, 32], [2, 2, 32], [2, 2, 32]]);
    const gru = top.gru(
      b,
      { input: input([2, 7, 16]), filter: weight('gf', [1, 96, 16]), recurrence: weight('gr', [1, 96, 32]) },
      { hidden_size: 32, bidirectional: false, batch_first: true },
      { loc: 'gru' },
    );
    expect(shapesOf(gru)).toEqual([[2, 7, 1, 32], [2, 1, 32]]);
  });
});
