// top.MatMul canonicalizations (lib/Dialect/Top/Canonicalize/MatMul.cpp). Upstream registers, in
// this order: MatMulWithBias, NoKeepDimsAddReshape, MatmulWithPermuteAndSplit, MatMulWithSlice,
// PermuteMatMulPermute, MatMulReverse (benefit 9); OptMatMulSmallCdim and SplitMatMulEva2 are
// defined there but not registered. A MatMul followed by a MulConst is folded by MergeMulConst
// (mul-const.ts, rooted at the MulConst).
// Ported: MatMulWithBias, MatMulWithSlice. Not ported yet: NoKeepDimsAddReshape (our importer
// writes keep_dims = true everywhere), MatmulWithPermuteAndSplit (MatMul → Reshape → Permute →
// Slice+Squeeze QKV splits), PermuteMatMulPermute (weight on the left: MLP-mixer token mixing)
// and MatMulReverse ([M, K] × a rank > 2 activation).
import type { Value } from '../../../core/index.js';
import { boolAttr, floatAttr, Op } from '../../../core/index.js';
import { top } from '../../../dialects/index.js';
import type { Pattern } from './pattern.js';
import { replaceWith } from './replace.js';
import { createWeight, isNone, isWeight, numElements, readAsFloat, sameShape, shapeOf } from './weights.js';

/**
 * MatMulWithBias: MatMul(x, weight) without bias, used only by an Add of two operands one of
 * which is a weight of N elements (N = the MatMul's output columns), takes that weight as its
 * bias and the Add's location; the Add goes away. Upstream refuses a batched weight (batch > 1)
 * and moves the bias weight before the MatMul when it is defined later.
 * Stricter than upstream, so the result is unchanged: the weight must broadcast over the last
 * axis ([N], [1, N], [1, 1, N], ... — upstream also takes e.g. [N, 1]), the Add must have unit
 * coefficients and the MatMul's result shape; the Add's fused relu moves onto the MatMul
 * (applied after the bias there too), which must have none of its own.
 */
export const matMulWithBias: Pattern = {
  name: 'MatMulWithBias',
  root: 'top.MatMul',
  apply(op, cx) {
    if (op.operands.length !== 3 || !isWeight(op.operand(1)) || !isNone(op.operand(2))) return false;
    const uses = op.result().uses;
    if (uses.length !== 1) return false;
    const add = uses[0]!.op;
    if (add.type !== 'top.Add' || add.operands.length !== 2) return false;
    const bias = (add.operands as Value[]).find((v) => isWeight(v));
    if (!bias || add.operands.every((v) => v === op.result())) return false;
    const ws = shapeOf(op.operand(1));
    const bs = shapeOf(bias);
    const os = shapeOf(op.result());
    if (!ws || !bs || !os || ws.length < 2) return false;
    const rt = top.matMulAttrs(op).right_transpose;
    const n = ws[ws.length - (rt ? 2 : 1)]!;
    const batch = ws.slice(0, -2).reduce((p, d) => p * d, 1);
    if (batch > 1) return false;
    if (bs.length === 0 || bs[bs.length - 1] !== n || bs.slice(0, -1).some((d) => d !== 1) || os[os.length - 1] !== n) return false;
    const aa = top.addAttrs(add);
    if (!(aa.coeff ?? [1, 1]).every((c) => c === 1) || !sameShape(os, shapeOf(add.result()))) return false;
    const ma = top.matMulAttrs(op);
    if (aa.do_relu && ma.do_relu) return false;
    const biasOp = bias.producer!;
    if (cx.func.indexOf(biasOp) > cx.func.indexOf(op)) {
      cx.func.remove(biasOp);
      cx.func.insertBefore(op, biasOp);
    }
    op.setOperand(2, bias);
    if (aa.do_relu) {
      op.setAttr('do_relu', boolAttr(true));
      op.setAttr('relu_limit', floatAttr(aa.relu_limit));
    }
    op.loc = add.loc;
    replaceWith(add, op.result());
    return true;
  },
};

/** Full-rank [offset, step] of a Slice without *T operands, as upstream's Slice carries them. */
function fullRankSlice(slice: Op, rank: number, dims: readonly number[]): { offset: number[]; steps: number[] } | undefined {
  if (slice.operands.slice(1).some((v) => !isNone(v))) return undefined;
  const a = top.sliceAttrs(slice);
  const axes = a.axes.length > 0 ? a.axes.map((x) => (x < 0 ? x + rank : x)) : a.offset.map((_, i) => i);
  const offset = new Array<number>(rank).fill(0);
  const steps = new Array<number>(rank).fill(1);
  for (let i = 0; i < axes.length; i++) {
    const ax = axes[i]!;
    const d = dims[ax]!;
    const o = a.offset[i]!;
    offset[ax] = Math.min(Math.max(o < 0 ? o + d : o, 0), d);
    steps[ax] = a.steps[i]!;
  }
  return { offset, steps };
}

/** The columns [begin, end) of a weight along its last axis (WeightOp::split on axis −1). */
function lastAxisSlice(data: Float32Array, shape: readonly number[], begin: number, end: number): Float32Array {
  const n = shape[shape.length - 1]!;
  const rows = data.length / n;
  const w = end - begin;
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * n + begin, r * n + end), r * w);
  return out;
}

/**
 * MatMulWithSlice: a MatMul with a weight right side whose result ([A, B, N]) is read only by
 * Slices that each keep dims 0 and 1 whole (offset 0, steps 1) and take ≥ 128 columns becomes
 * one MatMul per Slice, under the Slice's name, with the weight (and bias) columns it reads:
 * `<weight>__offset<k>` / `<bias>__offset<k>` (WeightOp::split with suffix "_offset<k>").
 * The fused QKV projection of attention blocks becomes three MatMuls, each calibrated apart.
 * Stricter than upstream, so the result is unchanged: rank-3 result, no right_transpose (upstream
 * would split K), and a bias of N elements along its last axis.
 */
export const matMulWithSlice: Pattern = {
  name: 'MatMulWithSlice',
  root: 'top.MatMul',
  apply(op, cx) {
    if (op.operands.length !== 3 || !isWeight(op.operand(1)) || top.matMulAttrs(op).right_transpose) return false;
    const uses = op.result().uses;
    if (uses.length < 2) return false;
    const shape = shapeOf(op.result());
    const ws = shapeOf(op.operand(1));
    if (!shape || shape.length !== 3 || !ws || ws[ws.length - 1] !== shape[2]) return false;
    const bias = op.operand(2);
    const hasBias = !isNone(bias);
    if (hasBias && (!isWeight(bias) || numElements(bias) !== shape[2] || shapeOf(bias)!.at(-1) !== shape[2])) return false;
    const slices: { op: Op; begin: number; size: number }[] = [];
    for (const u of uses) {
      if (u.op.type !== 'top.Slice' || u.index !== 0) return false;
      const ss = shapeOf(u.op.result());
      const fr = fullRankSlice(u.op, 3, shape);
      if (!ss || ss.length !== 3 || !fr || ss[0] !== shape[0] || ss[1] !== shape[1] || ss[2]! < 128) return false;
      if (fr.offset[0] !== 0 || fr.offset[1] !== 0 || fr.steps.some((s) => s !== 1)) return false;
      slices.push({ op: u.op, begin: fr.offset[2]!, size: ss[2]! });
    }
    const w = readAsFloat(cx, op.operand(1));
    const b = hasBias ? readAsFloat(cx, bias) : undefined;
    if (!w || (hasBias && !b)) return false;
    const attrs = [...op.attrs];
    for (const s of slices) {
      const end = s.begin + s.size;
      const wOp = op.operand(1).producer!;
      const nw = createWeight(cx, wOp, `_offset${s.begin}`, lastAxisSlice(w, ws, s.begin, end), [...ws.slice(0, -1), s.size]);
      const bs = shapeOf(bias);
      const nb = hasBias ? createWeight(cx, bias.producer!, `_offset${s.begin}`, lastAxisSlice(b!, bs!, s.begin, end), [...bs!.slice(0, -1), s.size]) : bias;
      const mm = new Op('top.MatMul', { operands: [op.operand(0), nw, nb], resultTypes: [s.op.result().type], attrs, loc: s.op.loc });
      cx.func.insertBefore(s.op, mm);
      replaceWith(s.op, mm.result());
    }
    op.erase();
    return true;
  },
};

export const matMulPatterns: readonly Pattern[] = [matMulWithBias, matMulWithSlice];
