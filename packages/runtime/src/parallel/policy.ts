// Samples or ops: how runBatch spends a session's threads. Sample workers (one single-threaded
// session each) run whole rounds of T samples at close to full efficiency, better than splitting
// every op of one sample T ways. A last, partial round of r samples would leave T - r threads idle;
// run one after another with intra-op instead, they take r / (T·E) rounds, E being the intra-op
// efficiency (speedup / T). So the remainder runs intra-op when r < T·E.

/**
 * Intra-op speedup per thread, measured on mobilenet_v2 at batch 1 with 2 threads (~1.5×, see
 * tools/bench runtime); lower with more threads, where the split ops' parts get small.
 */
export const INTRA_OP_EFFICIENCY = 0.75;

/** How many of `samples` (the last ones) a session with `threads` threads runs itself, intra-op. */
export function samplesInline(samples: number, threads: number, intraOp: boolean): number {
  if (!intraOp || threads < 2) return 0;
  const r = samples % threads;
  return r > 0 && r < threads * INTRA_OP_EFFICIENCY ? r : 0;
}
