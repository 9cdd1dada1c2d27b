// top.Mul canonicalizations (lib/Dialect/Top/Canonicalize/Mul.cpp), in upstream's order:
// MulToSiLU, MulToMulConst, MulToScale, MulMerge. Each new op takes the Mul's location, so the
// Mul's tensor name survives (the Sigmoid's, the merged Mul's do not).
// Not ported: MulToMulConst2 (top.ConstantFill operands, which our importer folds away) and
// MergeGelu (x·0.5·(1 + erf(x·0.7071)) in one spelling that ONNX exports do not produce).
import type { Op, Value } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { broadcastBinary, builderBefore, replaceWith, resultType } from './replace.js';
import { createWeight, isF32, isWeight, numElements, readAsFloat, sameShape, shapeOf } from './weights.js';

function isPlainSigmoid(op: Op | undefined): boolean {
  if (op?.type !== 'top.Sigmoid') return false;
  const a = top.sigmoidAttrs(op);
  return !a.log && a.scale === 1 && a.bias === 0;
}

/**
 * MulToSiLU: x · Sigmoid(x) (either order), the Sigmoid used only here and the Mul without a
 * fused relu, becomes SiLU(x). Upstream does not look at the Sigmoid's scale/bias/log attributes
 * (its importer never sets them on this path); we require a plain sigmoid so the result is exact.
 */
export const mulToSiLU: Pattern = {
  name: 'MulToSiLU',
  root: 'top.Mul',
  apply(op, cx) {
    if (op.operands.length !== 2 || top.mulAttrs(op).do_relu) return false;
    const [a, b] = op.operands as [Value, Value];
    let x: Value | undefined;
    for (const [s, other] of [[b, a], [a, b]] as const) {
      const sig = s.producer;
      if (isPlainSigmoid(sig) && sig!.operand(0) === other && s.uses.length === 1) {
        x = other;
        break;
      }
    }
    if (!x) return false;
    const silu = top.siLU(builderBefore(cx, op), { input: x }, {}, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, silu.result());
    return true;
  },
};

/**
 * MulToMulConst: a Mul with a one-element weight operand becomes MulConst(other, w) keeping
 * do_relu/relu_limit; a weight of 1 removes the Mul (its consumers read the other operand).
 * Upstream types the MulConst like the other operand; when the weight's broadcast changes the
 * shape (e.g. x:[4] · w:[1,1]) that would change the tensor, so we leave such a Mul alone.
 */
export const mulToMulConst: Pattern = {
  name: 'MulToMulConst',
  root: 'top.Mul',
  apply(op, cx) {
    if (op.operands.length !== 2 || !isF32(op.result())) return false;
    for (let i = 0; i < 2; i++) {
      const w = op.operand(i);
      if (numElements(w) !== 1 || !isWeight(w)) continue;
      const data = readAsFloat(cx, w);
      if (!data) return false;
      const input = op.operand(1 - i);
      if (!sameShape(shapeOf(input), shapeOf(op.result()))) return false;
      const c = data[0]!;
      if (c === 1) {
        replaceWith(op, input);
        return true;
      }
      const a = top.mulAttrs(op);
      const mc = top.mulConst(builderBefore(cx, op), { input }, { const_val: c, do_relu: a.do_relu, relu_limit: a.relu_limit }, { loc: op.loc, resultType: resultType(op) });
      replaceWith(op, mc.result());
      return true;
    }
    return false;
  },
};

/**
 * MulToScale: 4-D x times a 4-D weight of C = x.shape[1] elements ([1,C,1,1]) becomes
 * Scale(x, `<mul>_scale` [C], `<mul>_bias` zeros [C]) keeping do_relu/relu_limit.
 */
export const mulToScale: Pattern = {
  name: 'MulToScale',
  root: 'top.Mul',
  apply(op, cx) {
    if (op.operands.length !== 2) return false;
    const [l, r] = op.operands as [Value, Value];
    const ls = shapeOf(l);
    const rs = shapeOf(r);
    if (!ls || !rs || ls.length !== 4 || rs.length !== 4 || ls[1] !== rs[1]) return false;
    const c = ls[1]!;
    const [x, s] = numElements(l) === c ? [r, l] : numElements(r) === c ? [l, r] : [undefined, undefined];
    if (!x || !s || !isWeight(s) || !sameShape(shapeOf(x), shapeOf(op.result()))) return false;
    const scale = readAsFloat(cx, s);
    if (!scale) return false;
    const a = top.mulAttrs(op);
    const sw = createWeight(cx, op, 'scale', scale, [c]);
    const bw = createWeight(cx, op, 'bias', new Float32Array(c), [c]);
    const sc = top.scale(builderBefore(cx, op), { input: x, scale: sw, bias: bw }, { do_relu: a.do_relu, relu_limit: a.relu_limit }, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, sc.result());
    return true;
  },
};

/**
 * MulMerge: Mul(Mul(c, d), b) with weights b and d, the inner Mul without relu, becomes
 * Mul(c, `<mul>_merged` = b·d broadcast). Upstream erases the inner Mul even when it has other
 * uses (a dangling op in MLIR); we require it to be used only here.
 */
export const mulMerge: Pattern = {
  name: 'MulMerge',
  root: 'top.Mul',
  apply(op, cx) {
    if (op.operands.length !== 2 || !isF32(op.result())) return false;
    let [a, b] = op.operands as [Value, Value];
    if (isWeight(a)) [a, b] = [b, a];
    else if (!isWeight(b)) return false;
    const inner = a.producer;
    if (inner?.type !== 'top.Mul' || inner.operands.length !== 2 || top.mulAttrs(inner).do_relu || a.uses.length !== 1) return false;
    let [c, d] = inner.operands as [Value, Value];
    if (isWeight(c)) [c, d] = [d, c];
    else if (!isWeight(d)) return false;
    const bd = readAsFloat(cx, b);
    const dd = readAsFloat(cx, d);
    if (!bd || !dd) return false;
    const merged = broadcastBinary(bd, shapeOf(b)!, dd, shapeOf(d)!, (p, q) => Math.fround(p * q));
    if (!merged) return false;
    const w = createWeight(cx, op, 'merged', merged.data, merged.shape);
    const at = top.mulAttrs(op);
    const attrs = at.do_relu ? { do_relu: true, relu_limit: at.relu_limit } : {};
    const mul = top.mul(builderBefore(cx, op), { inputs: [c, w] }, attrs, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, mul.result());
    inner.erase();
    return true;
  },
};

export const mulPatterns: readonly Pattern[] = [mulToSiLU, mulToMulConst, mulToScale, mulMerge];
