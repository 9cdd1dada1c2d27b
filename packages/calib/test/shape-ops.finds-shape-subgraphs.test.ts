// findShapeOps: TPU-MLIR's ShapeOps search on small top modules.
import { describe, expect, test } from 'vitest';
import { parseMlir } from '@tpu-quant/ir';
import { findShapeOps } from '../src/patterns/shape-ops.js';

function mlir(body: string, args: string, results: string): string {
  return `module @shapes attributes {module.chip = "ALL", module.state = "TOP_F32", module.weight_file = "w.npz"} {
  func.func @main(${args}) -> (${results}) {
${body}
  }
}
`;
}

describe('findShapeOps', () => {
  test('Shape -> Slice -> Concat -> Reshape: the shape chain and its transparent producers, not the Reshape', () => {
    const m = parseMlir(mlir(`
    %0 = "top.None"() : () -> none loc("none")
    %1 = "top.Input"(%arg0) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("x")
    %2 = "top.Conv"(%1, %0, %0) {kernel_shape = [1, 1]} : (tensor<1x3x4x4xf32>, none, none) -> tensor<1x3x4x4xf32> loc("conv")
    %3 = "top.Shape"(%2) : (tensor<1x3x4x4xf32>) -> tensor<4xf32> loc("shape")
    %4 = "top.Slice"(%3, %0, %0, %0) {offset = [0], steps = [1], ends = [2]} : (tensor<4xf32>, none, none, none) -> tensor<2xf32> loc("slice")
    %5 = "top.Weight"() : () -> tensor<1xf32> loc("minus_one")
    %6 = "top.Concat"(%4, %5) {axis = 0 : si32} : (tensor<2xf32>, tensor<1xf32>) -> tensor<3xf32> loc("concat")
    %7 = "top.Reshape"(%2, %6) : (tensor<1x3x4x4xf32>, tensor<3xf32>) -> tensor<1x3x16xf32> loc("reshape")
    %8 = "top.Relu"(%7) : (tensor<1x3x16xf32>) -> tensor<1x3x16xf32> loc("relu")
    return %8 : tensor<1x3x16xf32> loc("ret")`, '%arg0: tensor<1x3x4x4xf32>', 'tensor<1x3x16xf32>'));
    expect(findShapeOps(m)).toEqual(['shape', 'slice', 'concat']);
  });

  test('arithmetic fed only by shape ops joins (forward closure); a Reshape fed by other data stops it', () => {
    const m = parseMlir(mlir(`
    %1 = "top.Input"(%arg0) : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("x")
    %2 = "top.Relu"(%1) : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("r1")
    %3 = "top.Shape"(%2) : (tensor<2x8xf32>) -> tensor<2xf32> loc("shape")
    %4 = "top.MulConst"(%3) {const_val = 2.0 : f64} : (tensor<2xf32>) -> tensor<2xf32> loc("twice")
    %5 = "top.Add"(%4, %3) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> loc("sum")
    %6 = "top.Sigmoid"(%2) : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("sig")
    %7 = "top.Reshape"(%6, %5) : (tensor<2x8xf32>, tensor<2xf32>) -> tensor<8x2xf32> loc("reshape")
    %8 = "top.Relu"(%7) : (tensor<8x2xf32>) -> tensor<8x2xf32> loc("out")
    return %8 : tensor<8x2xf32> loc("ret")`, '%arg0: tensor<2x8xf32>', 'tensor<8x2xf32>'));
    expect(findShapeOps(m)).toEqual(['shape', 'twice', 'sum']);
  });

  test("TPU-MLIR's over-reach is kept: a Concat feeding a Shape joins backwards, then everything fed only by it", () => {
    const m = parseMlir(mlir(`
    %1 = "top.Input"(%arg0) : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("x")
    %2 = "top.Relu"(%1) : (tensor<2x8xf32>) -> tensor<2x8xf32> loc("r1")
    %3 = "top.Concat"(%2, %2) {axis = 0 : si32} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<4x8xf32> loc("cat_rr")
    %4 = "top.Shape"(%3) : (tensor<4x8xf32>) -> tensor<2xf32> loc("shape")
    %5 = "top.MulConst"(%4) {const_val = 0.5 : f64} : (tensor<2xf32>) -> tensor<2xf32> loc("half")
    %6 = "top.Sigmoid"(%3) : (tensor<4x8xf32>) -> tensor<4x8xf32> loc("sig")
    %7 = "top.Reshape"(%6, %5) : (tensor<4x8xf32>, tensor<2xf32>) -> tensor<8x4xf32> loc("reshape")
    %8 = "top.Relu"(%7) : (tensor<8x4xf32>) -> tensor<8x4xf32> loc("out")
    return %8 : tensor<8x4xf32> loc("ret")`, '%arg0: tensor<2x8xf32>', 'tensor<8x4xf32>'));
    // backward: cat_rr (transparent producer of shape); closure: half, sig (fed by cat_rr only),
    // reshape (sig + half), out. r1 is neither transparent nor an input, so it stays.
    expect(findShapeOps(m)).toEqual(['shape', 'cat_rr', 'half', 'sig', 'reshape', 'out']);
  });

  test('a network output fed by a shape op is listed even when it is a Reshape; Size is a seed; nothing without seeds', () => {
    const m = parseMlir(mlir(`
    %1 = "top.Input"(%arg0) : (tensor<1x6xf32>) -> tensor<1x6xf32> loc("x")
    %2 = "top.Relu"(%1) : (tensor<1x6xf32>) -> tensor<1x6xf32> loc("relu")
    %3 = "top.Size"(%2) : (tensor<1x6xf32>) -> tensor<1xf32> loc("size")
    %4 = "top.Reshape"(%3) : (tensor<1xf32>) -> tensor<1x1xf32> loc("out")
    return %2, %4 : tensor<1x6xf32>, tensor<1x1xf32> loc("ret")`, '%arg0: tensor<1x6xf32>', 'tensor<1x6xf32>, tensor<1x1xf32>'));
    expect(findShapeOps(m)).toEqual(['size', 'out']);
    const none = parseMlir(mlir(`
    %1 = "top.Input"(%arg0) : (tensor<1x6xf32>) -> tensor<1x6xf32> loc("x")
    %2 = "top.Relu"(%1) : (tensor<1x6xf32>) -> tensor<1x6xf32> loc("relu")
    return %2 : tensor<1x6xf32> loc("ret")`, '%arg0: tensor<1x6xf32>', 'tensor<1x6xf32>'));
    expect(findShapeOps(none)).toEqual([]);
  });

  test('a multi-result op (fused loc) is invisible to the search, as in MlirParser; an Input feeding a Shape joins', () => {
    const body = (ret: string): string => `
    %1 = "top.Input"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("x")
    %2 = "top.Shape"(%1) : (tensor<1x4xf32>) -> tensor<2xf32> loc("shape")
    %3:2 = "top.Split"(%2) {axis = 0 : si32, num = 2 : i64} : (tensor<2xf32>) -> (tensor<1xf32>, tensor<1xf32>) loc(fused["s0", "s1"])
    %4 = "top.Concat"(%3#0, %3#1) {axis = 0 : si32} : (tensor<1xf32>, tensor<1xf32>) -> tensor<2xf32> loc("cat")
    %5 = "top.Reshape"(%1, %4) : (tensor<1x4xf32>, tensor<2xf32>) -> tensor<2x2xf32> loc("reshape")
${ret}`;
    const inner = parseMlir(mlir(body(`    %6 = "top.Relu"(%5) : (tensor<2x2xf32>) -> tensor<2x2xf32> loc("out")
    return %6 : tensor<2x2xf32> loc("ret")`), '%arg0: tensor<1x4xf32>', 'tensor<2x2xf32>'));
    // x joins (an Input producing a shape op); the Split is never found, so neither is cat.
    expect(findShapeOps(inner)).toEqual(['shape', 'x']);
    // When the Reshape is the network output, x's consumer joins as an output, and cat as its
    // transparent producer.
    const last = parseMlir(mlir(body('    return %5 : tensor<2x2xf32> loc("ret")'), '%arg0: tensor<1x4xf32>', 'tensor<2x2xf32>'));
    expect(findShapeOps(last)).toEqual(['shape', 'x', 'reshape', 'cat']);
  });
});
