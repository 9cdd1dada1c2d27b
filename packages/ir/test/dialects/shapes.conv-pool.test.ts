import { describe, expect, it } from 'vitest';
import { inferShapes, ShapeError, top } from '../../src/dialects/index.js';
import { fixture, shapeOf } from './fixture.js';

describe('Conv shape', () => {
  it('keeps size with pad 1 and a 3×3 kernel; oc from the filter', () => {
    const { b, input, weight } = fixture();
    const c = top.conv(b, { input: input([1, 3, 14, 14]), filter: weight('w', [8, 3, 3, 3]) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c' });
    expect(shapeOf(c)).toEqual([1, 8, 14, 14]);
  });

  it('handles stride, dilation and asymmetric pads per axis', () => {
    const { b, input, weight } = fixture();
    // H: (15 + 0 + 2 − (2·(3−1)+1)) / 2 + 1 = 7; W: (20 + 1 + 0 − 3) / 3 + 1 = 7
    const c = top.conv(
      b,
      { input: input([2, 4, 15, 20]), filter: weight('w', [6, 4, 3, 3]) },
      { kernel_shape: [3, 3], strides: [2, 3], dilations: [2, 1], pads: [0, 1, 2, 0] },
      { loc: 'c' },
    );
    expect(shapeOf(c)).toEqual([2, 6, 7, 7]);
  });

  it('handles groups (depthwise) and rejects a channel mismatch', () => {
    const { b, input, weight } = fixture();
    const x = input([1, 32, 8, 8]);
    const dw = top.conv(b, { input: x, filter: weight('dw', [32, 1, 3, 3]) }, { kernel_shape: [3, 3], group: 32 }, { loc: 'dw' });
    expect(shapeOf(dw)).toEqual([1, 32, 6, 6]);
    expect(() =>
      top.conv(b, { input: x, filter: weight('bad', [16, 3, 3, 3]) }, { kernel_shape: [3, 3], group: 2 }, { loc: 'bad' }),
    ).toThrow(ShapeError);
  });

  it('does 1-D and 3-D convolutions with per-axis defaults', () => {
    const { b, input, weight } = fixture();
    const c1 = top.conv(b, { input: input([1, 2, 10]), filter: weight('w1', [4, 2, 3]) }, { kernel_shape: [3] }, { loc: 'c1' });
    expect(shapeOf(c1)).toEqual([1, 4, 8]);
    expect(top.convAttrs(c1).pads).toEqual([0, 0]);
    const c3 = top.conv(
      b,
      { input: input([1, 2, 5, 6, 7]), filter: weight('w3', [3, 2, 3, 3, 3]) },
      { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1], strides: [1, 2, 2] },
      { loc: 'c3' },
    );
    expect(shapeOf(c3)).toEqual([1, 3, 5, 3, 4]);
  });

  it('resolves SAME_UPPER auto_pad to ceil(in / stride)', () => {
    const { b, input, weight } = fixture();
    const c = top.conv(b, { input: input([1, 1, 7, 8]), filter: weight('w', [1, 1, 3, 3]) }, { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, { loc: 'c' });
    expect(shapeOf(c)).toEqual([1, 1, 4, 4]);
  });

  it('accounts for inserts (zeros between input pixels)', () => {
    const { b, input, weight } = fixture();
    const c = top.conv(b, { input: input([1, 1, 4, 4]), filter: weight('w', [1, 1, 3, 3]) }, { kernel_shape: [3, 3], inserts: [1, 1] }, { loc: 'c' });
    expect(shapeOf(c)).toEqual([1, 1, 5, 5]); // 4 pixels + 3 zeros = 7, minus 2
  });

  it('gives undefined for a dynamic input and says so when building', () => {
    const { b, input, weight, f } = fixture();
    const x = input([-1, 3, 8, 8]);
    const w = weight('w', [4, 3, 3, 3]);
    expect(() => top.conv(b, { input: x, filter: w }, { kernel_shape: [3, 3] }, { loc: 'c' })).toThrow(/an input shape is not known/);
    const c = top.conv(b, { input: x, filter: w }, { kernel_shape: [3, 3] }, { loc: 'c', resultType: { kind: 'tensor', shape: [-1, 4, 6, 6], element: { kind: 'float', name: 'f32' } } });
    expect(inferShapes(c)).toBeUndefined();
    expect(f.ops.filter((o) => o.type === 'top.Conv')).toHaveLength(1);
  });

  it('rejects a kernel that does not fit', () => {
    const { b, input, weight } = fixture();
    expect(() => top.conv(b, { input: input([1, 1, 2, 2]), filter: weight('w', [1, 1, 3, 3]) }, { kernel_shape: [3, 3] }, { loc: 'c' })).toThrow(
      /does not fit/,
    );
  });
});

describe('Deconv shape', () => {
  it('upsamples by stride with pads and output_padding; oc = filter[0]·group for a weight', () => {
    const { b, input, weight } = fixture();
    // (5 − 1)·2 − 1 − 1 + 1·(3 − 1) + 1 + 1 = 10
    const d = top.deconv(
      b,
      { input: input([1, 8, 5, 5]), filter: weight('w', [4, 8, 3, 3]) },
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], group: 2 },
      { loc: 'd' },
    );
    expect(shapeOf(d)).toEqual([1, 8, 10, 10]);
  });
});

describe('pooling shapes', () => {
  it('floors by default and grows the after-pad with ceil_mode', () => {
    const { b, input } = fixture();
    const x = input([1, 3, 6, 6]);
    const floor = top.maxPool(b, { input: x }, { kernel_shape: [3, 3], strides: [2, 2] }, { loc: 'p0' });
    const ceil = top.maxPool(b, { input: x }, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: true }, { loc: 'p1' });
    expect(shapeOf(floor)).toEqual([1, 3, 2, 2]);
    expect(shapeOf(ceil)).toEqual([1, 3, 3, 3]);
  });

  it('follows ONNX’s ceil_mode rule with asymmetric pads (TPU-MLIR’s pad growth would give 2)', () => {
    const { b, input } = fixture();
    // ceil((5 + 0 + 1 − 3) / 2) + 1 = 3; the last window starts at 4, inside the input, so it stays
    const p = top.avgPool(b, { input: input([1, 1, 5, 5]) }, { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: true }, { loc: 'p' });
    expect(shapeOf(p)).toEqual([1, 1, 3, 3]);
  });

  it('pools globally with an empty kernel, dropping dims without keepdims', () => {
    const { b, input } = fixture();
    const x = input([2, 16, 7, 7]);
    expect(shapeOf(top.avgPool(b, { input: x }, { kernel_shape: [] }, { loc: 'g' }))).toEqual([2, 16, 1, 1]);
    expect(shapeOf(top.avgPool(b, { input: x }, { kernel_shape: [], keepdims: false }, { loc: 'g2' }))).toEqual([2, 16]);
  });

  it('gives MaxPoolWithMask two equal results and AdaptiveAvgPool its output size', () => {
    const { b, input } = fixture();
    const x = input([1, 4, 9, 9]);
    const mp = top.maxPoolWithMask(b, { input: x }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'mp' });
    expect([shapeOf(mp, 0), shapeOf(mp, 1)]).toEqual([[1, 4, 4, 4], [1, 4, 4, 4]]);
    expect(shapeOf(top.adaptiveAvgPool(b, { input: x }, { output_size: [3, 2] }, { loc: 'ap' }))).toEqual([1, 4, 3, 2]);
  });
});

describe('MatMul shape', () => {
  const cases: [number[], number[], Record<string, boolean>, number[]][] = [
    [[5, 6], [6, 7], {}, [5, 7]],
    [[1, 512, 7, 7], [25088, 4096], {}, [1, 4096]],
    [[3, 4, 5, 6], [3, 4, 6, 7], {}, [3, 4, 5, 7]],
    [[4, 5, 6], [6, 7], {}, [4, 5, 7]],
    [[4, 5, 6], [6], {}, [4, 5]],
    [[4, 5, 6], [6, 7], { keep_dims: false }, [20, 7]],
    [[3], [3, 256], {}, [1, 256]],
    [[2, 1, 5, 6], [3, 6, 7], {}, [2, 3, 5, 7]],
    [[4, 5, 6], [7, 6], { right_transpose: true }, [4, 5, 7]],
  ];
  it.each(cases)('%j × %j %j = %j', (a, w, attrs, out) => {
    const { b, input } = fixture();
    const mm = top.matMul(b, { input: input(a), right: input(w) }, attrs, { loc: 'mm' });
    expect(shapeOf(mm)).toEqual(out);
  });

  it('rejects mismatched K', () => {
    const { b, input } = fixture();
    expect(() => top.matMul(b, { input: input([2, 3, 5]), right: input([2, 4, 7]) }, {}, { loc: 'mm' })).toThrow(/K mismatch/);
  });
});

describe('pool shape: ONNX ceil_mode and dilations', () => {
  const pool = (shape: number[], attrs: Parameters<typeof top.maxPool>[2]): readonly number[] => {
    const { b, input } = fixture();
    return shapeOf(top.maxPool(b, { input: input(shape) }, attrs, { loc: 'p' }));
  };

  it('drops a last window that would start in the after padding', () => {
    // test_maxpool_2d_ceil_output_size_reduce_by_one: 2x2, k 1, stride 2 -> 1x1 (TPU-MLIR's pad growth gives 2x2)
    expect(pool([1, 1, 2, 2], { kernel_shape: [1, 1], strides: [2, 2], ceil_mode: true })).toEqual([1, 1, 1, 1]);
    // test_averagepool_2d_ceil_last_window_starts_on_pad: 2x2, k 3, stride 3, pads 1 -> 1x1 (the 2nd window starts on the pad)
    expect(pool([1, 3, 2, 2], { kernel_shape: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], ceil_mode: true })).toEqual([1, 3, 1, 1]);
    // a window that starts inside the input is kept: 4x4, k 3, stride 2 -> 2x2
    expect(pool([1, 1, 4, 4], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: true })).toEqual([1, 1, 2, 2]);
  });

  it('spans dilated windows, in 2-D and 3-D', () => {
    expect(pool([1, 1, 4, 4], { kernel_shape: [2, 2], dilations: [2, 2] })).toEqual([1, 1, 2, 2]);
    expect(pool([1, 1, 4, 4, 4], { kernel_shape: [2, 2, 2], strides: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0], dilations: [2, 2, 2] })).toEqual([1, 1, 2, 2, 2]);
    expect(pool([1, 3, 32, 32, 32], { kernel_shape: [2, 2, 2] })).toEqual([1, 3, 31, 31, 31]);
  });
});
