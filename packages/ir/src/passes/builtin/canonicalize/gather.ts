// TopGatherToSlice (lib/Dialect/Top/Canonicalize/Gather.cpp): a Gather with constant indices
// that are one index, or a 1-D run with a constant positive step, becomes a Slice.
// - one index i on axis ax: Slice(offset i, end i+1 on ax) named `<gather>_slice`, then (input
//   rank > 1) a Squeeze of ax under the Gather's name; rank 1: the Slice alone.
// - indices [o, o+s, ..., o+(n−1)s], s > 0: one Slice under the Gather's name.
// Where upstream writes attribute values that only its Slice kernel tolerates (ends INT64_MAX
// or −1 on the untouched axes, an inclusive last index as end on ax, index −1 kept as offset
// −1 with end 0) we write the exact exclusive bounds; the sliced data are the same.
// When the Gather keeps axis ax (indices of shape [1]), upstream's Squeeze is typed to keep it
// too, i.e. it changes nothing: we leave it out and give the Slice the Gather's name (the name
// consumers read survives; the table loses upstream's extra `<gather>_slice` row). When the
// result has yet another shape (indices [1,1]) the Squeeze only reshapes: we emit a Reshape.
// Not ported: TopGatherMulConst (Gather of a weight times a constant).
import { nameLoc } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { builderBefore, replaceWith, resultType } from './replace.js';
import { readAsFloat, sameShape, shapeOf } from './weights.js';

export const gatherToSlice: Pattern = {
  name: 'TopGatherToSlice',
  root: 'top.Gather',
  apply(op, cx) {
    const idx = readAsFloat(cx, op.operand(1));
    const is = shapeOf(op.operand(1));
    const xs = shapeOf(op.operand(0));
    if (!idx || !is || !xs || xs.length === 0) return false;
    const rank = xs.length;
    const ax = top.gatherAttrs(op).axis < 0 ? top.gatherAttrs(op).axis + rank : top.gatherAttrs(op).axis;
    const d = xs[ax]!;
    const full = { offset: new Array<number>(rank).fill(0), ends: [...xs], steps: new Array<number>(rank).fill(1) };
    const b = builderBefore(cx, op);
    if (idx.length === 1) {
      let i = Math.trunc(idx[0]!);
      if (i < 0) i += d;
      if (i < 0 || i >= d) return false;
      full.offset[ax] = i;
      full.ends[ax] = i + 1;
      const sliceShape = xs.map((s, k) => (k === ax ? 1 : s));
      const sliceType = { ...resultType(op), shape: sliceShape };
      const keepsAxis = sameShape(resultType(op).shape, sliceShape);
      const sliceLoc = keepsAxis && rank > 1 ? op.loc : nameLoc(`${op.name ?? 'gather'}_slice`);
      const slice = top.slice(b, { input: op.operand(0) }, full, { loc: sliceLoc, resultType: sliceType });
      if (rank === 1 || keepsAxis) {
        replaceWith(op, slice.result());
        return true;
      }
      const out = resultType(op);
      const squeezed = sameShape(out.shape, xs.filter((_, k) => k !== ax))
        ? top.squeeze(b, { input: slice }, { axes: [ax] }, { loc: op.loc, resultType: out })
        : top.reshape(b, { input: slice }, { shape: [...out.shape] }, { loc: op.loc, resultType: out });
      replaceWith(op, squeezed.result());
      return true;
    }
    if (is.length !== 1) return false;
    const o = idx[0]!;
    const step = idx[1]! - o;
    for (let k = 2; k < idx.length; k++) if (o + k * step !== idx[k]) return false;
    if (step <= 0 || o < 0 || o + step * (idx.length - 1) >= d) return false;
    full.offset[ax] = o;
    full.steps[ax] = step;
    full.ends[ax] = o + step * (idx.length - 1) + 1;
    const slice = top.slice(b, { input: op.operand(0) }, full, { loc: op.loc, resultType: resultType(op) });
    replaceWith(op, slice.result());
    return true;
  },
};
