// Our js kernels against the ONNX backend node tests (the expected outputs ORT also matches): each
// case's single ONNX node is rebuilt by hand as the equivalent top op, fed the case's inputs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { f32 as F32, tensorType, top } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import type { Built } from './helpers/build.js';
import { finish, maxAbsDiff, moduleWithInputs } from './helpers/build.js';
import { haveNodeTests, loadCase, NODE_DIR } from './helpers/node-case.js';
import type { AttrValue } from './helpers/tensor-proto.js';
import { readFirstNode } from './helpers/tensor-proto.js';

type A = Record<string, AttrValue>;
const ints = (a: A, k: string, d: number[]): number[] => (a[k] as number[] | undefined) ?? d;
const num = (a: A, k: string, d: number): number => (a[k] as number | undefined) ?? d;
const str = (a: A, k: string, d: string): string => (a[k] as string | undefined) ?? d;

/** Builds the top op for an ONNX node; `ins` holds activations (fed) and constants (weights). */
type Builder = (b: Built, ins: Value[], a: A, data: NdArray[], out: readonly number[]) => Value;

const rt = (s: readonly number[]) => ({ resultType: tensorType(s, F32) });

const BUILDERS: Record<string, { fed: number[]; build: Builder }> = {
  Conv: {
    fed: [0],
    build: (b, ins, a, d, out) => {
      const k = ints(a, 'kernel_shape', d[1]!.shape.slice(2));
      return top.conv(b.b, { input: ins[0]!, filter: b.b.weight('w', d[1]!), ...(d[2] ? { bias: b.b.weight('bias', d[2]) } : {}) }, {
        kernel_shape: k, strides: ints(a, 'strides', k.map(() => 1)), pads: ints(a, 'pads', [...k, ...k].map(() => 0)),
        dilations: ints(a, 'dilations', k.map(() => 1)), group: num(a, 'group', 1),
        ...(a.auto_pad ? { auto_pad: a.auto_pad as 'SAME_UPPER' } : {}),
      }, { loc: 'y', ...rt(out) }).result();
    },
  },
  ConvTranspose: {
    fed: [0, 1], // a fed (computed) filter keeps ONNX's [ic, oc/g, k...] layout
    build: (b, ins, a, d, out) => {
      const k = ints(a, 'kernel_shape', d[1]!.shape.slice(2));
      return top.deconv(b.b, { input: ins[0]!, filter: ins[1]! }, {
        kernel_shape: k, strides: ints(a, 'strides', k.map(() => 1)), pads: ints(a, 'pads', [...k, ...k].map(() => 0)),
        dilations: ints(a, 'dilations', k.map(() => 1)), group: num(a, 'group', 1),
        output_padding: ints(a, 'output_padding', k.map(() => 0)),
      }, { loc: 'y', ...rt(out) }).result();
    },
  },
  MaxPool: { fed: [0], build: (b, ins, a, _d, out) => pool(b, ins[0]!, a, out, true) },
  AveragePool: { fed: [0], build: (b, ins, a, _d, out) => pool(b, ins[0]!, a, out, false) },
  GlobalAveragePool: {
    fed: [0],
    build: (b, ins, _a, _d, out) => top.avgPool(b.b, { input: ins[0]! }, { kernel_shape: [], strides: [], pads: [] }, { loc: 'y', ...rt(out) }).result(),
  },
  Resize: {
    fed: [0],
    build: (b, ins, a, d, out) => {
      const scales = d[2] && d[2].data.length > 0 ? Array.from(d[2].data as Float32Array) : [];
      const r = d[0]!.shape.length;
      return top.interp(b.b, { input: ins[0]! }, {
        mode: str(a, 'mode', 'nearest') === 'nearest' ? 'nearest' : 'linear',
        coord_mode: str(a, 'coordinate_transformation_mode', 'half_pixel') as 'half_pixel',
        scale_h: scales.length ? scales[r - 2]! : -1,
        scale_w: scales.length ? scales[r - 1]! : -1,
        ...(a.nearest_mode ? { nearest_mode: a.nearest_mode as 'floor' } : {}),
      }, { loc: 'y', ...rt(out) }).result();
    },
  },
  Erf: { fed: [0], build: (b, ins, _a, _d, out) => top.erf(b.b, { input: ins[0]! }, {}, { loc: 'y', ...rt(out) }).result() },
  Softmax: {
    fed: [0],
    build: (b, ins, a, _d, out) => top.softmax(b.b, { input: ins[0]! }, { axis: num(a, 'axis', -1) }, { loc: 'y', ...rt(out) }).result(),
  },
  LayerNormalization: {
    fed: [0],
    build: (b, ins, a, d, out) => {
      const axis = num(a, 'axis', -1);
      return top.layerNorm(b.b, { input: ins[0]!, weight: b.b.weight('w', d[1]!), ...(d[2] ? { bias: b.b.weight('bias', d[2]) } : {}) }, {
        axis, eps: num(a, 'epsilon', 1e-5), normalized_shape: d[1]!.shape as number[],
      }, { loc: 'y', ...rt(out) }).result();
    },
  },
  Gather: {
    fed: [0],
    build: (b, ins, a, d, out) => top.gather(b.b, { input: ins[0]!, indices: b.b.weight('i', d[1]!) }, { axis: num(a, 'axis', 0) }, { loc: 'y', ...rt(out) }).result(),
  },
  Pad: {
    fed: [0],
    build: (b, ins, a, d, out) => top.pad(b.b, { input: ins[0]! }, {
      paddings: Array.from(d[1]!.data as Float32Array), mode: str(a, 'mode', 'constant') as 'constant',
      val: d[2] ? (d[2].data as Float32Array)[0]! : 0,
    }, { loc: 'y', ...rt(out) }).result(),
  },
  Gelu: {
    fed: [0],
    build: (b, ins, a, _d, out) => top.gelu(b.b, { input: ins[0]! }, { approx_mode: str(a, 'approximate', 'none') === 'tanh' ? 'tanh' : 'normal' }, { loc: 'y', ...rt(out) }).result(),
  },
  HardSigmoid: {
    fed: [0],
    build: (b, ins, a, _d, out) => top.hardSigmoid(b.b, { input: ins[0]! }, { alpha: num(a, 'alpha', 0.2), beta: num(a, 'beta', 0.5) }, { loc: 'y', ...rt(out) }).result(),
  },
  InstanceNormalization: {
    fed: [0],
    build: (b, ins, a, d, out) => top.instanceNorm(b.b, { input: ins[0]!, weight: b.b.weight('w', d[1]!), bias: b.b.weight('bias', d[2]!) }, { eps: num(a, 'epsilon', 1e-5) }, { loc: 'y', ...rt(out) }).result(),
  },
  DepthToSpace: {
    fed: [0],
    build: (b, ins, a, _d, out) => {
      const bs = num(a, 'blocksize', 1);
      return top.depth2Space(b.b, { input: ins[0]! }, { block_h: bs, block_w: bs, is_CRD: str(a, 'mode', 'DCR') === 'CRD', is_inversed: false }, { loc: 'y', ...rt(out) }).result();
    },
  },
  PRelu: {
    fed: [0],
    build: (b, ins, _a, d, out) => top.pRelu(b.b, { input: ins[0]!, slope: b.b.weight('s', d[1]!) }, {}, { loc: 'y', ...rt(out) }).result(),
  },
  MatMul: {
    fed: [0, 1],
    build: (b, ins, _a, _d, out) => top.matMul(b.b, { input: ins[0]!, right: ins[1]! }, {}, { loc: 'y', ...rt(out) }).result(),
  },
};

function pool(b: Built, x: Value, a: A, out: readonly number[], max: boolean): Value {
  const k = ints(a, 'kernel_shape', []);
  const attrs = {
    kernel_shape: k, strides: ints(a, 'strides', k.map(() => 1)), pads: ints(a, 'pads', [...k, ...k].map(() => 0)),
    ceil_mode: num(a, 'ceil_mode', 0) === 1, count_include_pad: num(a, 'count_include_pad', 0) === 1,
    ...(a.dilations ? { dilations: a.dilations as number[] } : {}),
    ...(a.auto_pad && a.auto_pad !== 'NOTSET' ? { auto_pad: a.auto_pad as 'SAME_UPPER' } : {}),
  };
  return (max ? top.maxPool : top.avgPool)(b.b, { input: x }, attrs, { loc: 'y', ...rt(out) }).result();
}

const CASES = [
  'test_conv_with_strides_and_asymmetric_padding', 'test_conv_with_strides_padding', 'test_conv_with_strides_no_padding',
  'test_conv_with_autopad_same',
  'test_convtranspose', 'test_convtranspose_1d', 'test_convtranspose_pads', 'test_convtranspose_dilations',
  'test_convtranspose_group_2', 'test_convtranspose_group_2_image_3',
  'test_resize_upsample_scales_linear', 'test_resize_upsample_scales_linear_align_corners',
  'test_resize_downsample_scales_linear', 'test_resize_downsample_sizes_linear_pytorch_half_pixel',
  'test_resize_upsample_scales_nearest', 'test_resize_downsample_scales_nearest', 'test_resize_upsample_sizes_nearest',
  'test_resize_upsample_sizes_nearest_floor_align_corners', 'test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric',
  'test_resize_upsample_sizes_nearest_ceil_half_pixel', 'test_resize_downsample_sizes_nearest',
  'test_maxpool_2d_ceil', 'test_maxpool_2d_pads', 'test_maxpool_2d_precomputed_pads', 'test_maxpool_2d_same_upper',
  'test_maxpool_2d_strides', 'test_maxpool_1d_default', 'test_maxpool_2d_default',
  'test_averagepool_2d_pads', 'test_averagepool_2d_pads_count_include_pad', 'test_averagepool_2d_precomputed_pads_count_include_pad',
  'test_averagepool_2d_ceil', 'test_averagepool_2d_strides', 'test_averagepool_2d_same_lower', 'test_averagepool_1d_default',
  'test_globalaveragepool',
  // ceil_mode drops a last window that starts in the padding; dilations; 3-D windows
  'test_maxpool_2d_ceil_output_size_reduce_by_one', 'test_averagepool_2d_ceil_last_window_starts_on_pad',
  'test_averagepool_2d_dilations', 'test_maxpool_2d_dilations', 'test_maxpool_3d_default', 'test_maxpool_3d_dilations',
  'test_averagepool_3d_default', 'test_averagepool_3d_dilations_small',
  'test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True',
  'test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True',
  'test_erf', 'test_softmax_axis_0', 'test_softmax_axis_1', 'test_softmax_axis_2', 'test_softmax_large_number', 'test_softmax_negative_axis',
  'test_layer_normalization_2d_axis0', 'test_layer_normalization_3d_axis1_epsilon', 'test_layer_normalization_4d_axis_negative_2',
  'test_layer_normalization_default_axis',
  'test_gather_0', 'test_gather_1', 'test_gather_2d_indices', 'test_gather_negative_indices',
  'test_constant_pad', 'test_edge_pad', 'test_reflect_pad',
  'test_gelu_default_1', 'test_gelu_default_2', 'test_gelu_tanh_1', 'test_gelu_tanh_2',
  'test_hardsigmoid', 'test_instancenorm_epsilon', 'test_depthtospace_example', 'test_depthtospace_crd_mode_example',
  'test_prelu_broadcast', 'test_matmul_4d', 'test_matmul_bcast', 'test_matmul_2d',
];

/** Cases whose expected outputs are written out to 4 decimals (ORT's harness tolerance, 1e-3, applies). */
const ROUNDED_EXPECTATIONS = new Set(['test_averagepool_2d_ceil_last_window_starts_on_pad']);

async function runCase(name: string): Promise<{ got: NdArray; want: NdArray }> {
  const node = readFirstNode(join(NODE_DIR, name, 'model.onnx'));
  const spec = BUILDERS[node.opType];
  if (!spec) throw new Error(`no builder for ${node.opType}`);
  const c = loadCase(name);
  // the data set holds the node's non-empty inputs only; line them up with the node's inputs
  let k = 0;
  const data = node.inputs.map((n) => (n === '' ? undefined : c.inputs[k++]));
  const fed = spec.fed.filter((i) => data[i] !== undefined);
  const b = moduleWithInputs(fed.map((i) => data[i]!.shape));
  const y = spec.build(b, b.inputs, node.attrs, data as NdArray[], c.outputs[0]!.shape);
  const m = finish(b, [y]);
  const s = await createSession(m);
  const feeds: Record<string, NdArray> = {};
  fed.forEach((i, j) => (feeds[`x${j}`] = data[i]!));
  const r = await s.run(feeds);
  return { got: r.outputs.get('y')!, want: c.outputs[0]! };
}

describe.skipIf(!haveNodeTests)('js kernels match the ONNX node tests', () => {
  it.each(CASES)('%s', async (name) => {
    const { got, want } = await runCase(name);
    expect(got.shape).toEqual(want.shape);
    const scale = Math.max(1, ...Array.from(want.data as Float32Array, Math.abs));
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual((ROUNDED_EXPECTATIONS.has(name) ? 1e-3 : 1e-5) * scale);
  });
});

