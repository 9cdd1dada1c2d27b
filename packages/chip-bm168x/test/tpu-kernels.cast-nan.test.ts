// A NaN reaching quantization (a float op's 0/0, e.g. a decomposed LayerNorm whose variance and
// eps quantized to 0) becomes the storage type's lowest code, as x86's float -> int conversion
// then saturation gives it in TPU-MLIR's C++, instead of flowing into the integer kernels.
import { describe, expect, it } from 'vitest';
import { ndarray, parseMlir } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { quantize, toInt8, toUint8 } from '../src/index.js';
import '../src/index.js';

describe('NaN into quantization', () => {
  it('quantize / to_int8 / to_uint8 give the lowest code', () => {
    expect(quantize(Number.NaN, { scale: 0.5, zeroPoint: 0, bits: 8, signed: true })).toBe(-128);
    expect(quantize(Number.NaN, { scale: 0.5, zeroPoint: 3, bits: 8, signed: false })).toBe(0);
    expect(toInt8(Number.NaN)).toBe(-128);
    expect(toUint8(Number.NaN)).toBe(0);
    expect(quantize(1.2, { scale: 0.5, zeroPoint: 0, bits: 8, signed: true })).toBe(2); // unchanged otherwise
  });

  it('tpu.Cast f32 -> int8 -> tpu.Add: NaN reads as -128, the Add computes on it', async () => {
    const T = 'tensor<1x3xf32>';
    const Q = 'tensor<1x3x!quant.uniform<i8:f32, 5.000000e-01>>';
    const m = parseMlir(`module @nan attributes {module.chip = "bm1684x", module.state = "TPU_LOWERED", module.weight_file = "w.npz"} {
  func.func @main(%arg0: ${T}) -> ${T} {
    %0 = "top.Input"(%arg0) : (${T}) -> ${T} loc("x")
    %1 = "tpu.Cast"(%0) : (${T}) -> ${Q} loc("q")
    %2 = "tpu.Add"(%1, %1) {multipliers = [1, 1], rshifts = [0, 0]} : (${Q}, ${Q}) -> tensor<1x3x!quant.uniform<i8:f32, 1.000000e+00>> loc("sum")
    %3 = "tpu.Cast"(%2) : (tensor<1x3x!quant.uniform<i8:f32, 1.000000e+00>>) -> ${T} loc("out")
    return %3 : ${T} loc("ret")
  }
}
`);
    const s = await createSession(m, { backend: 'js' });
    const { outputs } = await s.run(new Map([['x', ndarray('f32', [1, 3], new Float32Array([Number.NaN, 1, -1]))]]));
    await s.dispose();
    // codes: NaN -> -128, 1 -> 2, -1 -> -2; sum of a code with itself saturates at -128
    expect([...(outputs.get('out')!.data as Float32Array)]).toEqual([-128, 4, -4]);
  });
});
