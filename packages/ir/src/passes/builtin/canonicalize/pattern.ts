// The pattern driver of `canonicalize`: TPU-MLIR registers its top canonicalizations as MLIR
// rewrite patterns (lib/Dialect/Top/Canonicalize/*.cpp) applied by MLIR's greedy driver. Here a
// pattern is a named function on ops of one type; the driver visits ops bottom-up (the last op
// of a function first, as MLIR's default worklist pops them), tries the op's patterns by
// descending benefit (insertion order among equals, as MLIR's applicator), and sweeps again
// until nothing changes. Dead ops are erased after each sweep, as the greedy driver erases
// trivially dead ops.
import type { Func, Module, Op } from '../../../core/index.js';
import { eraseDeadOps } from '../../../core/index.js';

export interface PatternContext {
  readonly module: Module;
  readonly func: Func;
}

export interface Pattern {
  /** Upstream's pattern name (counted in the pass's report). */
  readonly name: string;
  /** The op type the pattern is rooted at, e.g. `top.Mul`. */
  readonly root: string;
  /** MLIR PatternBenefit (default 1); higher ones are tried first. */
  readonly benefit?: number;
  /** Rewrites `op` when the pattern matches; returns whether it did. */
  readonly apply: (op: Op, cx: PatternContext) => boolean;
}

/** MLIR's greedy driver gives up after 10 iterations without converging; so do we. */
const MAX_SWEEPS = 10;

/** Applies `patterns` to every function until none matches; returns how often each applied. */
export function applyPatternsGreedily(module: Module, patterns: readonly Pattern[]): Map<string, number> {
  const byRoot = new Map<string, Pattern[]>();
  // A stable sort keeps insertion order among equal benefits.
  const sorted = patterns.map((p, i) => ({ p, i })).sort((a, b) => (b.p.benefit ?? 1) - (a.p.benefit ?? 1) || a.i - b.i);
  for (const { p } of sorted) {
    const list = byRoot.get(p.root) ?? [];
    list.push(p);
    byRoot.set(p.root, list);
  }
  const counts = new Map<string, number>();
  const weightsBefore = weightOpNames(module);
  for (const func of module.funcs) {
    const cx: PatternContext = { module, func };
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let changed = false;
      for (const op of [...func.ops].reverse()) {
        if (op.parent !== func) continue; // erased by an earlier rewrite in this sweep
        for (const p of byRoot.get(op.type) ?? []) {
          if (!p.apply(op, cx)) continue;
          counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
          changed = true;
          break;
        }
      }
      if (eraseDeadOps(func) > 0) changed = true;
      if (!changed) break;
    }
  }
  pruneWeights(module, weightsBefore);
  return counts;
}

function weightOpNames(module: Module): Set<string> {
  const names = new Set<string>();
  for (const f of module.funcs) for (const op of f.ops) if (op.type === 'top.Weight' && op.name) names.add(op.name);
  return names;
}

/**
 * Drops the npz entries of weights whose Weight op the rewrites erased (TPU-MLIR's weight file
 * holds only the weights the final module uses); entries no Weight op named before are kept.
 */
function pruneWeights(module: Module, before: Set<string>): void {
  const after = weightOpNames(module);
  for (const name of before) if (!after.has(name)) module.weights.delete(name);
}
