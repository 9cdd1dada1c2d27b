// top.Scale canonicalizations (lib/Dialect/Top/Canonicalize/Scale.cpp): TopMultiScaleMergeToOne
// (benefit 10) and ConstbinaryMergeToTopScale (benefit 6).
// Not ported: TopScaleMergeToBatchNorm (no BatchNorm is left when Scales exist: BatchNorms become
// Scales first), ScaleShapeAlign (retypes weights to [1, C]), TopScaleMergeToMatMul. Folding a
// Scale into the Conv before it (MergeScale2Conv) is not a canonicalization upstream: the
// BM1684X processor-top-optimize pass does it in model_deploy.
import type { Value } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { replaceWith } from './replace.js';
import { createWeight, f, isF32OrF16, numElements, readAsFloat } from './weights.js';

function sameElement(a: Value, b: Value): boolean {
  return JSON.stringify((a.type as { element?: unknown }).element) === JSON.stringify((b.type as { element?: unknown }).element);
}

/**
 * TopMultiScaleMergeToOne: Scale → Scale, the first without relu and used only by the second,
 * becomes one Scale under the second's name: scale = s1·s2, bias = b1·s2 + b2
 * (`<second>_merged_scale` / `_merged_bias`).
 */
export const multiScaleMergeToOne: Pattern = {
  name: 'TopMultiScaleMergeToOne',
  root: 'top.Scale',
  benefit: 10,
  apply(op, cx) {
    const uses = op.result().uses;
    if (top.scaleAttrs(op).do_relu || uses.length !== 1 || uses[0]!.op.type !== 'top.Scale') return false;
    const next = uses[0]!.op;
    if (!isF32OrF16(op.result()) || !sameElement(op.result(), next.result())) return false;
    const [s1, b1, s2, b2] = [op.operand(1), op.operand(2), next.operand(1), next.operand(2)].map((v) => readAsFloat(cx, v));
    const c = numElements(op.operand(1));
    if (!s1 || !b1 || !s2 || !b2 || c === undefined || [s1, b1, s2, b2].some((a) => a.length !== c)) return false;
    const scale = new Float32Array(c);
    const bias = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      scale[i] = f(s1[i]! * s2[i]!);
      bias[i] = f(f(b1[i]! * s2[i]!) + b2[i]!);
    }
    next.setOperand(1, createWeight(cx, next, 'merged_scale', scale, [c]));
    next.setOperand(2, createWeight(cx, next, 'merged_bias', bias, [c]));
    replaceWith(op, op.operand(0));
    return true;
  },
};

/**
 * ConstbinaryMergeToTopScale: MulConst(x, v) or AddConst(x, v), used only by a Scale, moves into
 * it: scale·v (`<scale>_constbinary_merged_to_scale`) or bias + scale·v
 * (`<scale>_constbinary_merged_to_bias`). Upstream starts the new bias from zeros, dropping the
 * Scale's own bias (a bug whenever that bias is not zero); we add it. A constant op with a fused
 * relu is left alone (upstream ignores the relu).
 */
export const constBinaryMergeToScale: Pattern = {
  name: 'ConstbinaryMergeToTopScale',
  root: 'top.Scale',
  benefit: 6,
  apply(op, cx) {
    const former = op.operand(0).producer;
    if (!former || (former.type !== 'top.MulConst' && former.type !== 'top.AddConst') || former.result().uses.length !== 1) return false;
    if (!isF32OrF16(op.result())) return false;
    const isMul = former.type === 'top.MulConst';
    const a = isMul ? top.mulConstAttrs(former) : top.addConstAttrs(former);
    if (a.do_relu) return false;
    const scale = readAsFloat(cx, op.operand(1));
    const bias = readAsFloat(cx, op.operand(2));
    const n = numElements(op.operand(1));
    if (!scale || !bias || n === undefined || bias.length !== n) return false;
    const v = f(a.const_val);
    if (isMul) {
      for (let i = 0; i < n; i++) scale[i] = f(scale[i]! * v);
      op.setOperand(1, createWeight(cx, op, 'constbinary_merged_to_scale', scale, [n]));
    } else {
      for (let i = 0; i < n; i++) bias[i] = f(bias[i]! + f(scale[i]! * v));
      op.setOperand(2, createWeight(cx, op, 'constbinary_merged_to_bias', bias, [n]));
    }
    op.setOperand(0, former.operand(0));
    former.erase();
    return true;
  },
};

export const scalePatterns: readonly Pattern[] = [multiScaleMergeToOne, constBinaryMergeToScale];
