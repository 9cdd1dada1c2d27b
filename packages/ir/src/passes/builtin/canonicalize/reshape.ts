// top.Reshape canonicalizations (lib/Dialect/Top/Canonicalize/Reshape.cpp) that vision models
// hit: TopFuseReshape2 (a Reshape to its input's shape is dropped) and TopReshapeFuse
// (Reshape(Reshape(x)), the inner one used only here, reads x directly; the outer keeps its
// name). Our Reshape may carry a `shape` attribute with 0 / −1 entries that refer to its input,
// so the fused Reshape gets its (static) result shape written out.
// Not ported: the transformer-specific ones (TopFuseReshape3, ReshapeInstanceNormPattern,
// MergeGeluPattern, TopAddReshapeSwap, TopReshapeFuse2, ...).
import { i64ArrayAttr } from '../../../core/index.js';
import type { Pattern } from './pattern.js';
import { replaceWith } from './replace.js';
import { sameShape, shapeOf } from './weights.js';

export const fuseReshape2: Pattern = {
  name: 'TopFuseReshape2',
  root: 'top.Reshape',
  apply(op) {
    if (!sameShape(shapeOf(op.operand(0)), shapeOf(op.result()))) return false;
    replaceWith(op, op.operand(0));
    return true;
  },
};

export const reshapeFuse: Pattern = {
  name: 'TopReshapeFuse',
  root: 'top.Reshape',
  apply(op) {
    const pre = op.operand(0).producer;
    if (pre?.type !== 'top.Reshape' || op.operand(0).uses.length !== 1) return false;
    const out = shapeOf(op.result());
    if (!out) return false;
    op.setOperand(0, pre.operand(0));
    op.setAttr('shape', i64ArrayAttr(out));
    pre.erase();
    return true;
  },
};

export const reshapePatterns: readonly Pattern[] = [fuseReshape2, reshapeFuse];
