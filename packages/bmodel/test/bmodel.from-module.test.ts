import { describe, expect, it } from 'vitest';
import { isUserError, parseMlir } from '@tpu-quant/ir';
import { bmodelFromModule, readBmodel, writeBmodel } from '@tpu-quant/bmodel';

const S_IN = 0.0078740157480314959;
const S_OUT = 0.125;
const text = `#loc = loc(unknown)
module @tiny attributes {module.chip = "bm1684x", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x3x4x4x!quant.uniform<i8:f32, ${S_IN}>> loc(unknown)) -> (tensor<1x3x4x4xf32>, tensor<1x2x!quant.uniform<u8:f32, ${S_OUT}:3>>) {
    %0 = "top.Input"(%arg0) : (tensor<1x3x4x4x!quant.uniform<i8:f32, ${S_IN}>>) -> tensor<1x3x4x4x!quant.uniform<i8:f32, ${S_IN}>> loc(#loc1)
    %1 = "tpu.Cast"(%0) : (tensor<1x3x4x4x!quant.uniform<i8:f32, ${S_IN}>>) -> tensor<1x3x4x4xf32> loc(#loc2)
    %2 = "tpu.Other"(%0) : (tensor<1x3x4x4x!quant.uniform<i8:f32, ${S_IN}>>) -> tensor<1x2x!quant.uniform<u8:f32, ${S_OUT}:3>> loc(#loc3)
    return %1, %2 : tensor<1x3x4x4xf32>, tensor<1x2x!quant.uniform<u8:f32, ${S_OUT}:3>> loc(#loc)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("images")
#loc2 = loc("out_f32")
#loc3 = loc("out_u8")
`;

describe('bmodelFromModule', () => {
  it('takes names, dtypes, shapes, sizes and scales (inputs 1/S) from the signature, and the module as program', () => {
    const weights = new Uint8Array([1, 2, 3]);
    const m = bmodelFromModule(parseMlir(text), { chip: 'bm1684x', version: '2.2+tpu-quant-0.1.0', mlir: text, weights, time: 'now' });
    expect([m.chip, m.nets[0].name, m.time]).toEqual(['BM1684X', 'tiny', 'now']);
    const st = m.nets[0].stages[0];
    expect(st.inputs.map((t) => [t.name, t.dataType, t.shapes, t.size, t.scale, t.zeroPoint])).toEqual([
      ['images', 'i8', [[1, 3, 4, 4]], 48, Math.fround(1 / S_IN), 0],
    ]);
    expect(st.outputs.map((t) => [t.name, t.dataType, t.shapes, t.size, t.scale, t.zeroPoint, t.index])).toEqual([
      ['out_f32', 'f32', [[1, 3, 4, 4]], 192, 1, 0, 0],
      ['out_u8', 'u8', [[1, 2]], 2, S_OUT, 3, 1],
    ]);
    const back = readBmodel(writeBmodel(m));
    expect(back.nets[0].stages[0].program).toEqual({ mlir: text, weights });
  });

  it('refuses a signature a bmodel cannot describe', () => {
    const dyn = text.replaceAll('tensor<1x2x', 'tensor<?x2x');
    try {
      bmodelFromModule(parseMlir(dyn), { chip: 'bm1684x', version: 'v', mlir: dyn, weights: new Uint8Array(0) });
      expect.unreachable();
    } catch (e) {
      expect(isUserError(e) && e.code).toBe('E_BMODEL_WRITE');
      expect((e as Error).message).toMatch(/output out_u8 has a dynamic dimension/);
    }
  });
});
