// Which tensors get statistics and table rows (spec §3.1, §16).
import type { Module, Op } from '@tpu-quant/ir';
import { numElements } from '@tpu-quant/ir';
import type { TensorInfo } from './types.js';

/** Ops of the main function that are not in TPU-MLIR's op list (MlirParser.ops). */
const NOT_LISTED = new Set(['top.Weight', 'top.None', 'func.return', 'return']);

/**
 * The tensors that get statistics/table rows (spec §3.1): every result of every op of the main
 * function except top.Weight / top.None / return, in op order, top.Input included; multi-output
 * ops: if some results have consumers, the consumer-less ones are dropped. opIndex = position in
 * that op list.
 *
 * "Consumers" are ops of the op list, as in TPU-MLIR's get_next_op_by_op_name: a result that
 * only the return uses counts as consumer-less. Results without a name (no location) or of a
 * non-tensor type are left out: the runtime observes neither, and a table row needs a name.
 */
export function tensorInfos(module: Module): TensorInfo[] {
  const ops = module.main.ops.filter((op) => !NOT_LISTED.has(op.type));
  const infos: TensorInfo[] = [];
  ops.forEach((op, opIndex) => {
    const anyUsed = op.results.length > 1 && op.results.some((r) => hasListedUse(r.uses));
    for (const r of op.results) {
      const name = r.name;
      if (name === undefined || r.type.kind !== 'tensor') continue;
      if (anyUsed && !hasListedUse(r.uses)) continue;
      infos.push({
        name,
        opIndex,
        opCount: ops.length,
        opType: op.type,
        isInput: op.type === 'top.Input',
        size: numElements(r.type),
      });
    }
  });
  return infos;
}

function hasListedUse(uses: readonly { readonly op: Op }[]): boolean {
  return uses.some((u) => !NOT_LISTED.has(u.op.type));
}
