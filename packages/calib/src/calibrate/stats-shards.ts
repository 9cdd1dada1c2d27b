// The statistics pass on several threads: every tensor's statistics depend on that tensor alone,
// so the tensors are split between threads (balanced by size) and each thread keeps its own in
// sample order. The summaries come back in the model's tensor order, equal to one thread's.
import { LAST_TENSORS } from '../stats/collector.js';
import type { TensorSummary } from '../stats/types.js';
import { StatsThread, type StatsThreadInit } from './stats-thread.js';

export class StatsShards {
  private constructor(
    private readonly threads: readonly StatsThread[],
    private readonly shardOf: ReadonlyMap<string, StatsThread>,
    private readonly order: readonly string[],
  ) {}

  static start(init: StatsThreadInit, shards: number, warn?: (m: string) => void): StatsShards {
    const n = Math.max(1, Math.min(Math.floor(shards), init.tensors.length));
    const last = init.lastTensors ?? init.tensors.slice(-LAST_TENSORS).map((t) => t.name);
    // largest first, each to the shard with the fewest elements so far
    const parts = Array.from({ length: n }, () => ({ load: 0, tensors: [] as (typeof init.tensors)[number][] }));
    const bySize = [...init.tensors].sort((a, b) => Math.max(b.size, 1) - Math.max(a.size, 1));
    for (const t of bySize) {
      const p = parts.reduce((a, b) => (b.load < a.load ? b : a));
      p.tensors.push(t);
      p.load += Math.max(t.size, 1);
    }
    const index = new Map(init.tensors.map((t, i) => [t.name, i]));
    const threads: StatsThread[] = [];
    const shardOf = new Map<string, StatsThread>();
    try {
      for (const p of parts) {
        // each shard keeps the model's tensor order among its own
        const tensors = p.tensors.sort((a, b) => index.get(a.name)! - index.get(b.name)!);
        const t = StatsThread.start({ ...init, tensors, lastTensors: last }, warn);
        threads.push(t);
        for (const x of tensors) shardOf.set(x.name, t);
      }
    } catch (e) {
      for (const t of threads) void t.terminate();
      throw e;
    }
    return new StatsShards(threads, shardOf, init.tensors.map((t) => t.name));
  }

  /** Time the statistics threads have computed so far, summed. */
  get busyMs(): number {
    return this.threads.reduce((a, t) => a + t.busyMs, 0);
  }

  /** Adds one tensor of the current sample (copied); names outside the list are ignored. */
  add(name: string, data: Float32Array): void {
    this.shardOf.get(name)?.add(name, data);
  }

  /** Room for the tensor in its thread's sample buffer (StatsThread.reserve); undefined outside the list. */
  reserve(name: string, n: number): Float32Array | undefined {
    return this.shardOf.get(name)?.reserve(name, n);
  }

  async endSample(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.endSample()));
  }

  async summarize(): Promise<TensorSummary[]> {
    const all = (await Promise.all(this.threads.map((t) => t.summarize()))).flat();
    const byName = new Map(all.map((s) => [s.info.name, s]));
    return this.order.map((name) => byName.get(name)!);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
