// top.MulConst canonicalizations (lib/Dialect/Top/Canonicalize/MulConst.cpp), in upstream's
// order: MergeContinuousMulConst, RemoveMulConst, MergeMulConst.
// Not ported: MulTooLarge (clamps |const_val| >= 1e10 to 1e4: changes results), MulConstantFill
// and MulConstAfterTile (top.ConstantFill / top.Tile inputs our importer does not leave here).
import type { Op } from '../../../core/index.js';
import { boolAttr, floatAttr, nameLoc } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { replaceWith } from './replace.js';
import { createWeight, f, isF32OrF16, isNone, isWeight, readAsFloat, shapeOf } from './weights.js';

/**
 * MergeContinuousMulConst: MulConst(MulConst(x, a), b), the inner one used only here, becomes
 * MulConst(x, a·b) under the outer op's name (const_val multiplied in double, as upstream).
 * Upstream ignores the inner op's do_relu; we require it off so the result is unchanged.
 */
export const mergeContinuousMulConst: Pattern = {
  name: 'MergeContinuousMulConst',
  root: 'top.MulConst',
  apply(op) {
    const inner = op.operand(0).producer;
    if (inner?.type !== 'top.MulConst' || inner.result().uses.length !== 1 || top.mulConstAttrs(inner).do_relu) return false;
    op.setAttr('const_val', floatAttr(top.mulConstAttrs(op).const_val * top.mulConstAttrs(inner).const_val));
    replaceWith(inner, inner.operand(0));
    return true;
  },
};

/** RemoveMulConst: MulConst(x, 1) is x. Upstream ignores a fused relu; we require none. */
export const removeMulConst: Pattern = {
  name: 'RemoveMulConst',
  root: 'top.MulConst',
  apply(op) {
    const a = top.mulConstAttrs(op);
    if (a.const_val !== 1 || a.do_relu) return false;
    replaceWith(op, op.operand(0));
    return true;
  },
};

/**
 * MergeMulConst: Conv (2-D kernel) or MatMul with a weight right operand, followed (through
 * Reshapes used once) by a MulConst, takes the constant into its weights: every weight operand
 * times const_val as `<former>__mergeMulConst` (upstream's suffix "_mergeMulConst"). The former
 * op is renamed `<mulconst>_r_MulOrConv` and then the first op after it (itself when no Reshape
 * sits between) takes the MulConst's location. A fused relu of the MulConst turns the former
 * op's do_relu on (upstream leaves relu_limit; we refuse a bounded one).
 */
export const mergeMulConst: Pattern = {
  name: 'MergeMulConst',
  root: 'top.MulConst',
  apply(op, cx) {
    const a = top.mulConstAttrs(op);
    const c = a.const_val;
    if (a.do_relu && a.relu_limit > 0) return false;
    const first = op.operand(0).producer;
    let former: Op | undefined = first;
    while (former?.type === 'top.Reshape') {
      if (former.result().uses.length !== 1) return false;
      former = former.operand(0).producer;
    }
    if (!former || former.results.length !== 1 || former.result().uses.length !== 1 || !isF32OrF16(op.result())) return false;
    if (former.type === 'top.Conv') {
      const ca = top.convAttrs(former);
      if (ca.kernel_shape.length !== 2 || (ca.do_relu && c < 0)) return false;
      if (weightPlusBiasIsZero(cx, former)) return false;
    } else if (former.type === 'top.MatMul') {
      if ((top.matMulAttrs(former).do_relu && c < 0) || !isWeight(former.operand(1))) return false;
    } else {
      return false;
    }
    // Upstream scales every weight operand; a constant input would be scaled twice, so refuse.
    if (isWeight(former.operand(0))) return false;
    const scaled: { i: number; data: Float32Array }[] = [];
    former.operands.forEach((v, i) => {
      if (!isWeight(v)) return;
      const data = readAsFloat(cx, v);
      if (!data) return;
      for (let k = 0; k < data.length; k++) data[k] = f(data[k]! * c);
      scaled.push({ i, data });
    });
    if (scaled.length !== former.operands.filter((v) => isWeight(v)).length) return false; // a weight not loaded
    for (const { i, data } of scaled) former.setOperand(i, createWeight(cx, former, '_mergeMulConst', data, shapeOf(former.operand(i))!));
    former.loc = nameLoc(`${op.name ?? 'mulconst'}_r_MulOrConv`);
    first!.loc = op.loc;
    if (a.do_relu) former.setAttr('do_relu', boolAttr(true));
    replaceWith(op, op.operand(0));
    return true;
  },
};

/** Upstream's "youdao bert bf16" guard: filter and bias of one size that sum to 0 everywhere. */
function weightPlusBiasIsZero(cx: Parameters<Pattern['apply']>[1], conv: Op): boolean {
  const bias = conv.operands[2];
  if (isNone(bias)) return false;
  const w = readAsFloat(cx, conv.operand(1));
  const b = readAsFloat(cx, bias);
  if (!w || !b || w.length !== b.length) return false;
  return w.every((x, i) => x + b[i]! === 0);
}

export const mulConstPatterns: readonly Pattern[] = [mergeContinuousMulConst, removeMulConst, mergeMulConst];
