// A BatchNorm right after a Conv, folded into the Conv's weights for INT8 lowering. TPU-MLIR does
// this in model_transform's canonicalization (top BatchNorm → Scale, Scale fused into the Conv,
// lib/Dialect/Top/Canonicalize/{BatchNorm,Scale}.cpp) before calibration, so its INT8 Conv
// produces the BatchNorm's output directly; a top module that still has the BatchNorm gets the
// same Conv here: W' = W·k, b' = (b − mean)·k + beta with k = gamma / √(var + eps) per channel
// (computed in f32, as the C++ does).
import type { NdArray, Op } from '@tpu-quant/ir';
import { ndarray, top } from '@tpu-quant/ir';
import type { LoweringContext } from './context.js';
import { isNone, weightData } from './int8-common.js';

export interface FoldedConv {
  /** The BatchNorm folded in (its result is the Conv's new output). */
  readonly op: Op;
  readonly filter: NdArray;
  readonly bias: NdArray;
  readonly doRelu: boolean;
  readonly reluLimit: number;
}

/**
 * A conv's float `filter` ([oc, ...]) and `bias` with BatchNorm `bn` folded in; undefined when the
 * BatchNorm's parameters are not loaded f32 weights of oc values. Changes nothing in the IR.
 */
export function foldBatchNorm(bn: Op, cx: LoweringContext, filter: NdArray, bias: NdArray | undefined): FoldedConv | undefined {
  const a = top.batchNormAttrs(bn);
  const [mean, variance] = [weightData(cx, bn.operand(1)), weightData(cx, bn.operand(2))];
  const gammaV = bn.operands[3];
  const betaV = bn.operands[4];
  const gamma = isNone(gammaV) ? undefined : weightData(cx, gammaV!);
  const beta = isNone(betaV) ? undefined : weightData(cx, betaV!);
  if (!mean || !variance || (!isNone(gammaV) && !gamma) || (!isNone(betaV) && !beta)) return undefined;
  const oc = filter.shape[0]!;
  if (mean.data.length !== oc || variance.data.length !== oc) return undefined;
  const inner = filter.data.length / oc;
  const w = new Float32Array(filter.data.length);
  const b = new Float32Array(oc);
  const f = Math.fround;
  for (let c = 0; c < oc; c++) {
    const k = f(f(gamma ? Number(gamma.data[c]) : 1) / f(Math.sqrt(f(Number(variance.data[c]) + a.epsilon))));
    for (let t = c * inner; t < (c + 1) * inner; t++) w[t] = f(Number(filter.data[t]) * k);
    const b0 = bias ? Number(bias.data[c]) : 0;
    b[c] = f(f(f(b0 - Number(mean.data[c])) * k) + (beta ? Number(beta.data[c]) : 0));
  }
  return { op: bn, filter: ndarray('f32', filter.shape, w), bias: ndarray('f32', [oc], b), doRelu: a.do_relu, reluLimit: a.relu_limit };
}
