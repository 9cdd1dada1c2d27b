// BatchNorm rewrites.
//
// bnMergeToConv stands for the step TPU-MLIR's model_transform runs before conversion: onnxsim
// (onnx-optimizer's fuse_bn_into_conv, skipped with `--onnx_sim skip_fuse_bn`) folds a
// BatchNormalization into the Conv before it, so TPU-MLIR's top model has no BatchNorm there.
// It runs before the other patterns, as onnxsim runs before the converter, so a Relu after the
// BatchNorm then fuses into the Conv and names it (the common case: the same name as TPU-MLIR).
// Older TPU-MLIR did this fold in canonicalize (TopBatchNormMergeToConv,
// lib/Dialect/Top/Canonicalize/BatchNorm.cpp): its arithmetic and weight names
// (`<conv>_bn_merged_to_conv_weight` / `_bias`) are the ones used here.
// Difference: the folded Conv takes the BatchNorm's name (as BM1684X's MergeScale2Conv names
// a Scale folded into a Conv). onnxsim keeps the Conv's name, but TPU-MLIR compares with the
// framework run on the simplified model, where that name holds the folded value; we compare with
// the original model, where the Conv's name holds the value before the BatchNorm and the
// BatchNorm's name the value the folded Conv computes. So only a Conv + BatchNorm without a Relu
// after it is named differently from TPU-MLIR (BatchNorm's output name instead of the Conv's).
//
// batchNormToScale is today's TopBatchNormToScale: every other BatchNorm becomes a Scale.
import { boolAttr, floatAttr, type Op, type Value } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern, PatternContext } from './pattern.js';
import { builderBefore, replaceWith, resultType } from './replace.js';
import { createWeight, f, isNone, readAsFloat, shapeOf } from './weights.js';

interface Affine {
  readonly scale: Float32Array;
  readonly bias: Float32Array;
}

/**
 * scale = 1/√(var + eps)·gamma, bias = −mean·scale + beta per channel, as upstream computes them
 * (the square root in double, results stored as float); absent gamma/beta are 1 and 0.
 */
function bnAffine(cx: PatternContext, bn: Op, channels: number): Affine | undefined {
  const mean = readAsFloat(cx, bn.operand(1));
  const variance = readAsFloat(cx, bn.operand(2));
  const gammaV: Value | undefined = bn.operands[3];
  const betaV: Value | undefined = bn.operands[4];
  const gamma = isNone(gammaV) ? undefined : readAsFloat(cx, gammaV);
  const beta = isNone(betaV) ? undefined : readAsFloat(cx, betaV);
  if (!mean || !variance || (!isNone(gammaV) && !gamma) || (!isNone(betaV) && !beta)) return undefined;
  if (mean.length < channels || variance.length < channels) return undefined;
  const eps = top.batchNormAttrs(bn).epsilon;
  const scale = new Float32Array(channels);
  const bias = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    scale[i] = f((1 / Math.sqrt(variance[i]! + eps)) * (gamma ? gamma[i]! : 1));
    bias[i] = f(f(-mean[i]! * scale[i]!) + (beta ? beta[i]! : 0));
  }
  return { scale, bias };
}

/** Conv → BatchNorm (the Conv used only by it, without a fused relu) folded into the Conv. */
export const bnMergeToConv: Pattern = {
  name: 'TopBatchNormMergeToConv',
  root: 'top.BatchNorm',
  benefit: 9,
  apply(bn, cx) {
    const conv = bn.operand(0).producer;
    if (conv?.type !== 'top.Conv' || conv.result().uses.length !== 1 || top.convAttrs(conv).do_relu) return false;
    const filterV = conv.operand(1);
    const filter = readAsFloat(cx, filterV);
    const fs = shapeOf(filterV);
    const biasV = conv.operands[2];
    const convBias = isNone(biasV) ? undefined : readAsFloat(cx, biasV);
    if (!filter || !fs || (!isNone(biasV) && !convBias)) return false;
    const oc = fs[0]!;
    const bnA = bnAffine(cx, bn, oc);
    if (!bnA) return false;
    const inner = filter.length / oc;
    for (let i = 0; i < oc; i++) for (let j = i * inner; j < (i + 1) * inner; j++) filter[j] = f(filter[j]! * bnA.scale[i]!);
    const bias = new Float32Array(oc);
    for (let i = 0; i < oc; i++) bias[i] = convBias ? f(f(convBias[i]! * bnA.scale[i]!) + bnA.bias[i]!) : bnA.bias[i]!;
    conv.setOperand(1, createWeight(cx, conv, 'bn_merged_to_conv_weight', filter, fs));
    const newBias = createWeight(cx, conv, 'bn_merged_to_conv_bias', bias, [oc]);
    if (conv.operands.length > 2) conv.setOperand(2, newBias);
    else conv.setOperands([...conv.operands, newBias]);
    const a = top.batchNormAttrs(bn);
    conv.setAttr('do_relu', boolAttr(a.do_relu));
    conv.setAttr('relu_limit', floatAttr(a.relu_limit));
    conv.loc = bn.loc;
    replaceWith(bn, conv.result());
    return true;
  },
};

/**
 * TopBatchNormToScale: BatchNorm → Scale(x, `<bn>_scale`, `<bn>_bias`) under the BatchNorm's
 * name. Upstream builds the Scale without attributes; we carry do_relu/relu_limit over, since a
 * Relu may already have been fused into the BatchNorm (upstream would drop it).
 */
export const batchNormToScale: Pattern = {
  name: 'TopBatchNormToScale',
  root: 'top.BatchNorm',
  benefit: 9,
  apply(bn, cx) {
    const shape = shapeOf(bn.operand(0));
    if (!shape || shape.length === 0) return false;
    const channels = shape.length > 1 ? shape[1]! : shape[0]!;
    const bnA = bnAffine(cx, bn, channels);
    if (!bnA) return false;
    const sw = createWeight(cx, bn, 'scale', bnA.scale, [channels]);
    const bw = createWeight(cx, bn, 'bias', bnA.bias, [channels]);
    const a = top.batchNormAttrs(bn);
    const sc = top.scale(builderBefore(cx, bn), { input: bn.operand(0), scale: sw, bias: bw }, { do_relu: a.do_relu, relu_limit: a.relu_limit }, { loc: bn.loc, resultType: resultType(bn) });
    replaceWith(bn, sc.result());
    return true;
  },
};
