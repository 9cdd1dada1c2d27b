// fp_forward's three selections (spec calibration.md §15), as MlirParser's walks compute them.
// Only membership matters: upstream collects the names in Python sets.
import type { ParserView } from '@tpu-quant/calib';

/** The two walks of TPU-MLIR's MlirParser that fp_forward uses. */
export type FpGraph = Pick<ParserView, 'preOf' | 'nextOf'>;

/**
 * get_all_pre_ops_by_op_name: `name`, its direct producers, and every deeper producer that has
 * producers itself. The walk goes through all producers, but one without producers of its own
 * (a top.Input, or an output of a multi-result op, which no op is named after) is only listed
 * when it feeds `name` directly.
 */
export function allProducers(g: FpGraph, name: string): Set<string> {
  const direct = g.preOf(name);
  const found = new Set<string>([name, ...direct]);
  const queue = [...direct];
  const expanded = new Set<string>();
  while (queue.length > 0) {
    const cur = queue.shift()!;
    // upstream re-queues a producer-less name each time it is met; expanding it once is the same
    if (expanded.has(cur)) continue;
    expanded.add(cur);
    for (const p of g.preOf(cur)) {
      if (found.has(p)) continue;
      queue.push(p);
      if (g.preOf(p).length > 0) found.add(p);
    }
  }
  return found;
}

/** get_all_next_ops_by_op_name: `name` and every op reachable downstream of it. */
export function allConsumers(g: FpGraph, name: string): Set<string> {
  const found = new Set<string>([name]);
  const queue = [name];
  while (queue.length > 0) {
    for (const n of g.nextOf(queue.shift()!)) {
      if (found.has(n)) continue;
      found.add(n);
      queue.push(n);
    }
  }
  return found;
}

/** One `--fpfwd_blocks` entry: (producers of the ends) ∩ (consumers of the starts). */
export function blockOps(g: FpGraph, starts: readonly string[], ends: readonly string[]): Set<string> {
  const before = union(ends.map((e) => allProducers(g, e)));
  const after = union(starts.map((s) => allConsumers(g, s)));
  return new Set([...before].filter((n) => after.has(n)));
}

export function union(sets: readonly ReadonlySet<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const n of s) out.add(n);
  return out;
}
