// Which tensors get statistics (spec §3.1): op order, top.Input included, weights and None left
// out, multi-output ops expanded with consumer-less results dropped when a sibling has consumers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadNpz, ndarray, parseMlir } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { StatsCollector, tensorInfos } from '../src/stats/index.js';

// packages/ir/test/fixtures/mlir/split-fused-loc.mlir
const splitnet = `#loc = loc(unknown)
module @splitnet attributes {module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32", module.top_run_mode = "STATIC", module.weight_file = "splitnet_top_f32_all_weight.npz"} {
  func.func @main(%arg0: tensor<1x4x6x6xf32> loc(unknown)) -> (tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>) {
    %0 = "top.None"() : () -> none loc(#loc)
    %1 = "top.Input"(%arg0) {do_preprocess = false} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc(#loc1)
    %2 = "top.Weight"() : () -> tensor<4x4x1x1xf32> loc(#loc2)
    %3 = "top.Conv"(%1, %2, %0) {dilations = [1, 1], do_relu = true, group = 1 : i64, kernel_shape = [1, 1], pads = [0, 0, 0, 0], relu_limit = 6.000000e+00 : f64, strides = [1, 1]} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>, none) -> tensor<1x4x6x6xf32> loc(#loc3)
    %4:2 = "top.Split"(%3) {axis = 1 : i64, num = 2 : i64, split_size = [2, 2]} : (tensor<1x4x6x6xf32>) -> (tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>) loc(#loc9)
    %5 = "top.Sigmoid"(%4#0) {bias = 0.000000e+00 : f64, log = false, round_mode = #top<round_mode HalfAwayFromZero>, scale = 1.000000e+00 : f64} : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> loc(#loc6)
    %6 = "top.Add"(%4#1, %5) {do_relu = false, is_scalar = false, relu_limit = -1.000000e+00 : f64} : (tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> loc(#loc7)
    %7 = "top.MulConst"(%6) {const_val = 0.33333333333333331 : f64, do_relu = false, relu_limit = -1.000000e+00 : f64} : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> loc(#loc8)
    return %4#0, %7 : tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32> loc(#loc)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("input")
#loc2 = loc("conv_w")
#loc3 = loc("conv")
#loc4 = loc("split_a")
#loc5 = loc("split_b")
#loc6 = loc("gate")
#loc7 = loc("add")
#loc8 = loc("third")
#loc9 = loc(fused[#loc4, #loc5])`;

const net = (body: string, results: string, locs: string) => `#loc = loc(unknown)
module @m attributes {module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32", module.weight_file = "m.npz"} {
  func.func @main(%arg0: tensor<1x4xf32> loc(unknown)) -> (${results}) {
    %0 = "top.None"() : () -> none loc(#loc)
    %1 = "top.Input"(%arg0) {do_preprocess = false} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc(#loc1)
${body}
  } loc(#loc)
} loc(#loc)
#loc1 = loc("in")
${locs}`;

describe('tensorInfos', () => {
  test('splitnet: both split results are consumed, weights and None are not listed', () => {
    const infos = tensorInfos(parseMlir(splitnet, 'split-fused-loc.mlir'));
    expect(infos.map((t) => [t.name, t.opIndex, t.opType])).toEqual([
      ['input', 0, 'top.Input'],
      ['conv', 1, 'top.Conv'],
      ['split_a', 2, 'top.Split'],
      ['split_b', 2, 'top.Split'],
      ['gate', 3, 'top.Sigmoid'],
      ['add', 4, 'top.Add'],
      ['third', 5, 'top.MulConst'],
    ]);
    expect(infos.every((t) => t.opCount === 6)).toBe(true);
    expect(infos.map((t) => t.isInput)).toEqual([true, false, false, false, false, false, false]);
    expect(infos.map((t) => t.size)).toEqual([144, 144, 72, 72, 72, 72, 72]);
  });

  test('a multi-output op drops its consumer-less results when a sibling is consumed (the return does not count)', () => {
    const m = parseMlir(net(`    %2:3 = "top.Split"(%1) {axis = 1 : i64, num = 3 : i64, split_size = [2, 1, 1]} : (tensor<1x4xf32>) -> (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1x1xf32>) loc(#loc5)
    %3 = "top.Relu"(%2#1) {relu_limit = -1.000000e+00 : f64} : (tensor<1x1xf32>) -> tensor<1x1xf32> loc(#loc6)
    return %2#0, %3 : tensor<1x2xf32>, tensor<1x1xf32> loc(#loc)`,
    'tensor<1x2xf32>, tensor<1x1xf32>',
    `#loc2 = loc("s0")
#loc3 = loc("s1")
#loc4 = loc("s2")
#loc5 = loc(fused[#loc2, #loc3, #loc4])
#loc6 = loc("r")`), 'm.mlir');
    expect(tensorInfos(m).map((t) => [t.name, t.opIndex, t.size])).toEqual([['in', 0, 4], ['s1', 1, 1], ['r', 2, 1]]);
  });

  test('a multi-output op none of whose results is consumed keeps them all', () => {
    const m = parseMlir(net(`    %2:2 = "top.Split"(%1) {axis = 1 : i64, num = 2 : i64, split_size = [2, 2]} : (tensor<1x4xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) loc(#loc4)
    return %2#0, %2#1 : tensor<1x2xf32>, tensor<1x2xf32> loc(#loc)`,
    'tensor<1x2xf32>, tensor<1x2xf32>',
    `#loc2 = loc("a")
#loc3 = loc("b")
#loc4 = loc(fused[#loc2, #loc3])`), 'm.mlir');
    expect(tensorInfos(m).map((t) => t.name)).toEqual(['in', 'a', 'b']);
  });
});

describe('the runtime observes exactly the listed tensors', () => {
  test('tiny_conv: every listed tensor gets one sample per run', async () => {
    const dir = new URL('../../../examples/tiny_conv/', import.meta.url);
    const m = parseMlir(readFileSync(new URL('tiny_conv.mlir', dir), 'utf8'), 'tiny_conv.mlir');
    m.weights = await loadNpz(fileURLToPath(new URL('tiny_conv_top_f32_all_weight.npz', dir)));
    const infos = tensorInfos(m);
    expect(infos.map((t) => t.name)).toEqual(['input', 'conv1', 'relu1', 'pool1', 'dw2', 'conv3', 'gap', 'flatten', 'fc', 'prob']);
    const session = await createSession(m, { backend: 'js' });
    const col = new StatsCollector(infos, { inputNum: 2 });
    const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i));
    for (let s = 0; s < 2; s++) {
      await session.run({ input: ndarray('f32', [1, 3, 32, 32], x) }, {
        observer: (name, v) => col.add(name, v.data as Float32Array),
      });
      col.endSample();
    }
    const sums = col.summarize();
    expect(sums.map((t) => t.samples)).toEqual(infos.map(() => 2));
    expect(sums.map((t) => t.info.size)).toEqual([3072, 8192, 8192, 2048, 2048, 1024, 16, 16, 10, 10]);
    expect(sums.find((t) => t.info.name === 'relu1')!.min).toBe(0);
  });
});
