// INT8 Conv for the BM1684X family (spec deploy.md §3.10 Conv: per-channel int8 filter, int32
// bias, 32-bit multiplier/rshift), and the ops that fold into a Conv before them.
//
// Deliberate difference from TPU-MLIR: TPU-MLIR's top canonicalization (model_transform, before
// calibration) folds a BatchNorm (BatchNorm → Scale → Conv) and a MulConst (MergeMulConst) that is
// the only user of a Conv into the Conv's weights; our top modules may still carry them. Here such
// an op, when lowered in INT8 after its INT8 Conv, lowers to the Conv rebuilt with the folded
// weights and the op's own range (and ReLU); the first Conv is left dead and erased.
import type { NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, top } from '@tpu-quant/ir';
import * as tpu from '../dialect/generated/builders.js';
import { quantizeConvMemo } from './conv-quant-memo.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { at, isNone, weightData, type Int8Lowering } from './int8-common.js';

/** What a lowered Conv was made from, so a BatchNorm after it can rebuild it with folded weights. */
interface ConvSource {
  readonly attrs: ReturnType<typeof top.convAttrs>;
  readonly input: Value;
  readonly filter: NdArray;
  readonly bias: NdArray | undefined;
}
const convSources = new WeakMap<Op, ConvSource>();

/** A tpu.Conv2D of `src` producing `outT`, built before `at` with `at`'s location. */
function buildConv(at_: Op, cx: LoweringContext, src: ConvSource, outT: TensorType, names: { filter: string; bias: string }, relu: { doRelu: boolean; limit: number }): Value {
  const { attrs: a, input, filter, bias } = src;
  const inQ = paramsOf(input)!;
  const outQ = paramsOfType(outT);
  const oc = filter.shape[0]!;
  const q = quantizeConvMemo({ filter: filter.data as Float32Array, oc, bias: bias?.data as Float32Array | undefined, inScale: inQ.scale, inZeroPoint: inQ.zeroPoint, outScale: outQ.scale });
  const fw = cx.weight(`${names.filter}_${q.filterSigned ? 'int8' : 'uint8'}`, ndarray(q.filterSigned ? 'i8' : 'u8', filter.shape, q.filter), at_);
  const bw = q.bias ? cx.weight(`${names.bias}_int32`, ndarray('i32', [oc], q.bias), at_) : undefined;
  const out = tpu.conv2D(
    cx.b,
    { input, filter: fw, ...(bw ? { bias: bw } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      do_relu: relu.doRelu, relu_limit: relu.limit, with_bias: bw !== undefined,
      multiplier: q.multipliers, rshift: q.rshifts, quant_mode: 'MultiplierShift',
    },
    at(at_, cx, outT),
  );
  convSources.set(out, src);
  return out.result();
}

export const conv: Int8Lowering = (op, cx) => {
  const a = top.convAttrs(op);
  if (a.kernel_shape.length !== 2 || a.inserts?.some((x) => x !== 0) || (a.auto_pad && a.auto_pad !== 'NOTSET')) return undefined;
  const filter = weightData(cx, op.operand(1));
  const input = cx.int8(op.operand(0));
  const outT = cx.quantTypeOf(op.result());
  const biasV = op.operands[2];
  const bias = isNone(biasV) ? undefined : weightData(cx, biasV!);
  if (!filter || !input || !outT || (!isNone(biasV) && !bias)) return undefined;
  const names = { filter: op.operand(1).name ?? `${op.name}_filter`, bias: biasV?.name && !isNone(biasV) ? biasV.name : `${op.name}_bias` };
  return buildConv(op, cx, { attrs: a, input, filter, bias }, outT, names, { doRelu: a.do_relu, limit: a.relu_limit });
};

/**
 * A BatchNorm that is the only user of an INT8 Conv: the Conv again, with the BatchNorm folded
 * into its weights and the BatchNorm's range and ReLU (the first Conv is left dead and erased).
 */
export const batchNorm: Int8Lowering = (op, cx) => {
  const v = op.operand(0);
  const src = v.producer ? convSources.get(v.producer) : undefined;
  const outT = cx.quantTypeOf(op.result());
  if (!src || v.uses.length !== 1 || !outT) return undefined;
  const fused = foldBatchNorm(op, cx, src.filter, src.bias);
  if (!fused) return undefined;
  const relu = fused.doRelu ? { doRelu: true, limit: fused.reluLimit } : { doRelu: src.attrs.do_relu, limit: src.attrs.relu_limit };
  const name = op.name ?? 'bn';
  return buildConv(op, cx, { ...src, filter: fused.filter, bias: fused.bias }, outT, { filter: `${name}_filter`, bias: `${name}_bias` }, relu);
};

/**
 * `x · c` where x is the single-use result of an INT8 Conv (not one with a ReLU when c < 0, as
 * upstream MergeMulConst, nor with a ReLU limit, which would have to scale too): the Conv rebuilt with filter and bias scaled by c, producing `op`'s
 * range; undefined otherwise.
 */
export function mulConstIntoConv(op: Op, cx: LoweringContext, x: Value, c: number): Value | undefined {
  const src = x.producer ? convSources.get(x.producer) : undefined;
  const outT = cx.quantTypeOf(op.result());
  if (!src || x.uses.length !== 1 || !outT || (src.attrs.do_relu && (c < 0 || src.attrs.relu_limit > 0))) return undefined;
  const scale = (a: NdArray): NdArray => ndarray('f32', a.shape, Float32Array.from(a.data as Float32Array, (v) => Math.fround(v * c)));
  const name = op.name ?? 'mulconst';
  const relu = { doRelu: src.attrs.do_relu, limit: src.attrs.relu_limit };
  return buildConv(op, cx, { ...src, filter: scale(src.filter), ...(src.bias ? { bias: scale(src.bias) } : {}) }, outT, { filter: `${name}_filter`, bias: `${name}_bias` }, relu);
}
