// The statistics thread's side: a StatsCollector fed by messages from the inference thread, so
// histograms and tails are computed while the next sample runs. With the WebAssembly kernels, the
// sample buffers are slots of their shared memory, lent to the inference thread at start.
import { parentPort, workerData } from 'node:worker_threads';
import { StatsCollector } from '../stats/index.js';
import type { TensorInfo } from '../stats/types.js';
import { TorchHistogramObserver } from '../thresholds/index.js';
import { sharedWasmScan } from '../stats/wasm/wasm-scan.js';
import { MAX_QUEUED_SAMPLES, sampleCapacity, type StatsThreadInit, type ToStatsThread } from './stats-thread.js';

const init = workerData as StatsThreadInit;
const port = parentPort!;
const observers = new Map<string, TorchHistogramObserver>();
const collector = new StatsCollector(init.tensors, {
  binNum: init.binNum,
  inputNum: init.inputNum,
  bits: init.bits,
  ...(init.lastTensors ? { lastTensors: new Set(init.lastTensors) } : {}),
  warn: (message) => port.postMessage({ kind: 'warn', message }),
  extraSink: init.torchObserver
    ? (info: TensorInfo) => {
        const o = new TorchHistogramObserver(init.binNum);
        observers.set(info.name, o);
        return o;
      }
    : undefined,
});

// the slots: one per sample in flight and one being filled
const scan = sharedWasmScan();
const capacity = sampleCapacity(init.tensors);
if (scan?.sharedMemory() && capacity > 0) {
  try {
    const slots = Array.from({ length: MAX_QUEUED_SAMPLES + 1 }, () => scan.allocBlock(4 * capacity));
    port.postMessage({ kind: 'memory', memory: scan.sharedMemory()!, slots });
  } catch {
    // past the memory's 4 GiB: the samples travel in buffers of their own, and are copied in
  }
}

let busyMs = 0;
port.on('message', (m: ToStatsThread) => {
  const t = performance.now();
  try {
    if (m.kind === 'sample') {
      const [buffer, base] = m.slot !== undefined ? [scan!.sharedMemory()!, m.slot] : [m.buffer!, 0];
      for (const it of m.items) collector.add(it.name, new Float32Array(buffer, base + 4 * it.offset, it.length));
      for (const e of m.extra) collector.add(e.name, e.data);
      collector.endSample();
      busyMs += performance.now() - t;
      // the buffer (or slot) goes back to the inference thread for a later sample
      if (m.slot !== undefined) port.postMessage({ kind: 'ack', busyMs, slot: m.slot });
      else port.postMessage({ kind: 'ack', busyMs, buffer: m.buffer }, [m.buffer!]);
    } else {
      const summaries = collector.summarize().map((s) => {
        const o = observers.get(s.info.name);
        return o ? { ...s, torchObserver: o.state() } : s;
      });
      port.postMessage({ kind: 'summaries', summaries });
    }
  } catch (e) {
    const err = e as Error & { code?: string; hint?: string };
    port.postMessage({ kind: 'error', message: err.message, stack: err.stack, code: err.code, hint: err.hint });
  }
});
