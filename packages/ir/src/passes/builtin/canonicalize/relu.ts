// TopFuseRelu (lib/Dialect/Top/Canonicalize/Relu.cpp): a Relu whose input is the only use of an
// op that supports a fused relu (the op declares `do_relu`) is folded into that op: do_relu =
// true, relu_limit from the Relu, and the op takes the Relu's location (its tensor name), so
// names downstream are unchanged.
import type { Module, Op } from '../../../core/index.js';
import { attrToBool, attrToNumber, boolAttr, floatAttr, getOpDef } from '../../../core/index.js';
import type { Pattern } from './pattern.js';

export const fuseReluPattern: Pattern = {
  name: 'TopFuseRelu',
  root: 'top.Relu',
  apply: (relu) => fuseRelu(relu),
};

/** Applies TopFuseRelu everywhere it matches; returns how many Relus were folded. */
export function fuseRelus(module: Module): number {
  let fused = 0;
  for (const f of module.funcs) {
    for (const relu of f.ops.filter((o) => o.type === 'top.Relu')) if (fuseRelu(relu)) fused++;
  }
  return fused;
}

function fuseRelu(relu: Op): boolean {
  const former = relu.operand(0).producer;
  if (!former || !canTakeRelu(former, relu)) return false;
  const limit = reluLimit(relu);
  const combined = attrToBool(former.attr('do_relu') ?? boolAttr(false)) ? tighter(limit, reluLimit(former)) : limit;
  former.setAttr('do_relu', boolAttr(true));
  former.setAttr('relu_limit', floatAttr(combined));
  former.loc = relu.loc;
  relu.result().replaceAllUsesWith(former.result());
  relu.erase();
  return true;
}

function canTakeRelu(former: Op, relu: Op): boolean {
  if (former.results.length !== 1) return false;
  const uses = former.result().uses;
  if (uses.length !== 1 || uses[0]!.op !== relu) return false;
  return getOpDef(former.type)?.attrs.do_relu !== undefined;
}

function reluLimit(op: Op): number {
  const a = op.attr('relu_limit');
  return a === undefined ? -1 : attrToNumber(a);
}

/**
 * Two relus in a row clamp at the smaller positive limit (-1 = unbounded). TPU-MLIR keeps the
 * Relu's limit when it is smaller and otherwise the former op's; when the Relu is unbounded it
 * drops an existing bound of an op that already had do_relu, which we do not copy.
 */
function tighter(a: number, b: number): number {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return Math.min(a, b);
}
