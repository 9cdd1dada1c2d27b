// top.Add canonicalizations (lib/Dialect/Top/Canonicalize/Add.cpp), in upstream's order:
// SwapInput, AddToAddConst, AddToScale. New ops take the Add's location.
// Not ported: AddToRope (a rotary-embedding subgraph), AddMerge (Add(Add(x, w1), w2); with
// one-element weights AddToAddConst applies first), AlignInputsDim (ranks differ: our shape
// inference broadcasts them as they are).
import type { Value } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { builderBefore, replaceWith, resultType } from './replace.js';
import { createWeight, isF32OrF16, isWeight, numElements, readAsFloat, sameShape, shapeOf } from './weights.js';

function unitCoeffs(coeff: readonly number[] | undefined): boolean {
  return (coeff ?? [1, 1]).every((c) => c === 1);
}

/** SwapInput: Add(weight, x) with unit coefficients becomes Add(x, weight). */
export const swapInput: Pattern = {
  name: 'SwapInput',
  root: 'top.Add',
  apply(op) {
    if (op.operands.length !== 2 || !unitCoeffs(top.addAttrs(op).coeff)) return false;
    const [l, r] = op.operands as [Value, Value];
    if (!isWeight(l) || isWeight(r)) return false; // two weights would swap forever
    op.setOperands([r, l]);
    return true;
  },
};

/**
 * AddToAddConst: Add(x, w) with unit coefficients and a one-element weight w on the right becomes
 * AddConst(x, w) keeping do_relu/relu_limit/is_scalar; w = 0 removes the Add. Upstream only
 * takes the right operand (a left one-element weight fails the match; SwapInput moves weights
 * right first). We also require x to have the Add's shape (AddConst keeps its input's shape).
 */
export const addToAddConst: Pattern = {
  name: 'AddToAddConst',
  root: 'top.Add',
  apply(op, cx) {
    if (op.operands.length !== 2 || !isF32OrF16(op.result())) return false;
    const a = top.addAttrs(op);
    if (!unitCoeffs(a.coeff)) return false;
    const [x, w] = op.operands as [Value, Value];
    if (numElements(w) !== 1 || !isWeight(w) || !sameShape(shapeOf(x), shapeOf(op.result()))) return false;
    const data = readAsFloat(cx, w);
    if (!data) return false;
    if (data[0] === 0) {
      replaceWith(op, x);
      return true;
    }
    const ac = top.addConst(builderBefore(cx, op), { input: x }, {
      const_val: data[0]!, do_relu: a.do_relu, relu_limit: a.relu_limit, ...(op.attr('is_scalar') ? { is_scalar: a.is_scalar } : {}),
    }, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, ac.result());
    return true;
  },
};

/**
 * AddToScale: Add(x, w) with w a weight of C = x.shape[1] elements, of x's rank but another
 * shape (e.g. [1,C,1,1]), becomes Scale(x, `<add>__scale_weight` = ones, w) — upstream's suffix
 * "_scale_weight" after the "_" WeightOp::create adds, hence the double underscore.
 */
export const addToScale: Pattern = {
  name: 'AddToScale',
  root: 'top.Add',
  apply(op, cx) {
    if (op.operands.length !== 2) return false;
    const [x, w] = op.operands as [Value, Value];
    if (!isWeight(w)) return false;
    const ls = shapeOf(x);
    const rs = shapeOf(w);
    const os = shapeOf(op.result());
    const a = top.addAttrs(op);
    if (!ls || !rs || !os || sameShape(ls, rs) || !unitCoeffs(a.coeff) || !isF32OrF16(op.result())) return false;
    if (os.length < 2 || ls.length !== rs.length || os.length - rs.length > 1) return false;
    if (rs[1] !== ls[1] || numElements(w) !== ls[1] || !sameShape(ls, os)) return false;
    if (!readAsFloat(cx, w)) return false;
    const ones = new Float32Array(ls[1]!).fill(1);
    const sw = createWeight(cx, op, '_scale_weight', ones, rs);
    const sc = top.scale(builderBefore(cx, op), { input: x, scale: sw, bias: w }, { do_relu: a.do_relu, relu_limit: a.relu_limit }, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, sc.result());
    return true;
  },
};

export const addPatterns: readonly Pattern[] = [swapInput, addToAddConst, addToScale];
