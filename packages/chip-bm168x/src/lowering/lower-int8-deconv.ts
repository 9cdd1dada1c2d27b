// INT8 Deconv for the BM1684X family (spec deploy.md §3.10; upstream BM1684X/Deconv.cpp): a
// tpu.Deconv `<name>_i32` with per-channel int8 filter `<name>_filter_i8` (uint8 when no weight is
// negative and there is no bias) and int32 bias `<name>_bias_int32` computing the int32
// accumulator, then a tpu.RequantIntAxis (MultiplierShift, HalfAwayFromZero) with the packed
// per-channel [multiplier, −rshift, zp] weight `<name>_quant_int32` giving the output its type.
import type { TensorType } from '@tpu-quant/ir';
import { i32, ndarray, tensorType, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { quantizeDeconvBM1684X } from '../quant/deconv-weights.js';
import { paramsOf, paramsOfType } from './context.js';
import { at, isNone, weightData, type Int8Lowering } from './int8-common.js';

export const deconv: Int8Lowering = (op, cx) => {
  const a = top.deconvAttrs(op);
  // 2-D only; a fused ReLU with a limit would need the limit in int32 units (not lowered)
  if (a.kernel_shape.length !== 2 || (a.do_relu && a.relu_limit > 0) || cx.asymmetric) return undefined;
  const filter = weightData(cx, op.operand(1));
  const input = cx.int8(op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  if (!filter || !input || !outT) return undefined;
  const biasV = op.operands[2];
  const bias = isNone(biasV) ? undefined : weightData(cx, biasV!);
  if (!isNone(biasV) && !bias) return undefined;
  const inQ = paramsOf(input)!;
  const outQ = paramsOfType(outT);
  const oc = (op.result().type as TensorType).shape[1]!;
  if (filter.shape[0] !== oc) return undefined;
  const q = quantizeDeconvBM1684X({
    filter: filter.data as Float32Array, oc, bias: bias?.data as Float32Array | undefined,
    inScale: inQ.scale, inZeroPoint: inQ.zeroPoint, outScale: outQ.scale, outZeroPoint: outQ.zeroPoint,
  });
  const name = op.name ?? 'deconv';
  const dtype = q.filterSigned ? 'i8' : 'u8';
  const fw = cx.weight(`${name}_filter_${dtype}`, ndarray(dtype, filter.shape, q.filter), op);
  const bw = q.bias ? cx.weight(`${name}_bias_int32`, ndarray('i32', [1, oc, 1, 1], q.bias), op) : undefined;
  const qw = cx.weight(`${name}_quant_int32`, ndarray('i32', [1, oc, 1, 3], q.quant), op);
  const shape = [...outT.shape];
  const acc = tpu.deconv(
    cx.b,
    { input, filter: fw, ...(bw ? { bias: bw } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      output_padding: a.output_padding,
      do_relu: a.do_relu, relu_limit: a.relu_limit, with_bias: bw !== undefined,
    },
    at(op, cx, tensorType(shape, i32), cx.freshName(`${name}_i32`)),
  ).result();
  return tpu.requantIntAxis(cx.b, { input: acc, quant: qw }, { quant_mode: 'MultiplierShift' }, at(op, cx, outT)).result();
};
