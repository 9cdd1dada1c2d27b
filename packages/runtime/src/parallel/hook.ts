// The seam between the wasm kernels and intra-op parallelism. A kernel that can split its output
// asks `trySplit` before computing; while a session with intra-op workers runs, the request goes
// to that session's team, which runs the same kernel on disjoint parts of the output on several
// threads. Everywhere else (workers, other sessions, direct kernel calls) it answers undefined.
import type { NdArray } from '@tpu-quant/ir';
import type { KernelContext } from '../registry.js';

/** The op's result computed across threads, or undefined: compute it here, on this thread. */
export type Splitter = (ctx: KernelContext) => NdArray | undefined;

let active: Splitter | undefined;

export function trySplit(ctx: KernelContext): NdArray | undefined {
  return active?.(ctx);
}

/** Runs `fn` (synchronous: a session's step loop) with kernels' split requests going to `s`. */
export function withSplitter<T>(s: Splitter, fn: () => T): T {
  const prev = active;
  active = s;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
