// BM1690's on-chip L2 SRAM (spec deploy.md §6.1 item 8; upstream BMAddressAssign::assignL2SRAM
// with GmemAllocL2SRAM). Before DDR assignment, activations that are neither graph inputs nor
// returned are offered to L2 SRAM, whose usable size is L2_SRAM_SIZE / 8 · num_core. Buffers
// whose only reader is the next op (weights and None skipped) go first, then the others; each
// group largest first (equal sizes in op order: what libstdc++'s list::sort makes of upstream's
// `>=` comparator over its bottom-up list). Each takes the smallest gap between the placed
// buffers it is live with, else the end of the highest; one that would end past the SRAM stays
// in DDR. Placed buffers take no DDR.
import type { Func, Op, Value } from '@tpu-quant/ir';
import type { ActivationBuffer } from './liveness.js';
import type { LiveRange } from './plan.js';

export interface L2Placement {
  /** Offset of each placed buffer from the L2 SRAM start. */
  readonly offsets: ReadonlyMap<ActivationBuffer, number>;
  /** max(offset + size) over the placed buffers. */
  readonly used: number;
}

function overlaps(a: LiveRange, b: LiveRange): boolean {
  return Math.max(a.start, b.start) < Math.min(a.end, b.end);
}

/** The value upstream keys the buffer by: a merged Concat's buffer belongs to its first input. */
function keyValue(b: ActivationBuffer): Value {
  const p = b.owner.producer;
  if (p?.type === 'tpu.Concat' && b.aliases.includes(p.operands[0]!)) return p.operands[0]!;
  return b.owner;
}

/** `userIsNextOp`: one use, and that user is the next op that is not a weight or None. */
function userIsNextOp(v: Value, next: ReadonlyMap<Op, Op | undefined>): boolean {
  if (v.uses.length !== 1 || !v.producer) return false;
  return next.get(v.producer) === v.uses[0]!.op;
}

export function placeInL2Sram(f: Func, buffers: readonly ActivationBuffer[], outputs: readonly Value[], capacity: number, alignUp: (n: number) => number): L2Placement {
  const next = new Map<Op, Op | undefined>();
  const ops = f.ops;
  for (let i = 0; i < ops.length; i++) {
    let j = i + 1;
    while (j < ops.length && (ops[j]!.type === 'top.Weight' || ops[j]!.type === 'top.None')) j++;
    next.set(ops[i]!, ops[j]);
  }
  const returned = new Set(outputs);
  const groups: { b: ActivationBuffer; size: number; order: number }[][] = [[], []];
  buffers.forEach((b, order) => {
    if (b.owner.producer?.type === 'top.Input') return;
    if ([b.owner, ...b.aliases].some((v) => returned.has(v))) return;
    const size = alignUp(b.bytes);
    if (size === 0 || size > capacity) return;
    groups[userIsNextOp(keyValue(b), next) ? 0 : 1]!.push({ b, size, order });
  });
  const offsets = new Map<ActivationBuffer, number>();
  const placed: { b: ActivationBuffer; start: number; end: number }[] = []; // by start
  let used = 0;
  for (const group of groups) {
    group.sort((x, y) => y.size - x.size || x.order - y.order);
    for (const { b, size } of group) {
      let prev = 0;
      let best = -1;
      let smallest = Infinity;
      for (const p of placed) {
        if (!overlaps(p.b, b)) continue;
        const gap = p.start - prev;
        if (gap >= size && gap < smallest) {
          smallest = gap;
          best = prev;
        }
        prev = Math.max(prev, p.end);
      }
      const start = best >= 0 ? best : prev;
      if (start + size > capacity) continue; // stays in DDR
      const k = placed.findIndex((p) => p.start >= start);
      placed.splice(k < 0 ? placed.length : k, 0, { b, start, end: start + size });
      offsets.set(b, start);
      used = Math.max(used, start + size);
    }
  }
  return { offsets, used };
}
