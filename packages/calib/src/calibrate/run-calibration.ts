// run_calibration's core (spec §1.2 step b and §3-4): one statistics pass over the samples
// (or the cached statistics of an identical earlier pass), thresholds by the chosen method, then
// TPU-MLIR's auto-tune where it can change anything. File writing is the caller's.
import { availableParallelism } from 'node:os';
import type { Module, NdArray } from '@tpu-quant/ir';
import { createSession, type Backend } from '@tpu-quant/runtime';
import { calibrationData, type SampleList } from '../data/index.js';
import { StatsCollector, tensorInfos } from '../stats/index.js';
import type { CaliMethod, TensorInfo, TensorSummary, ThresholdRow } from '../stats/types.js';
import { chooseAsymOps } from '../patterns/index.js';
import { checkAsymmetricMethod, computeThresholds, TorchHistogramObserver } from '../thresholds/index.js';
import { tuneThresholds } from '../tune/index.js';
import { methodIsTuned } from './method-options.js';
import { StatsShards } from './stats-shards.js';
import { NO_PROGRESS, type ProgressSink } from './progress.js';
import { cachePath, loadStatistics, saveStatistics, statisticsKey } from './statistics-cache.js';

export interface CalibrationRequest {
  /** Top-dialect f32 module with its weights loaded. */
  readonly module: Module;
  readonly samples: SampleList;
  /** Samples for auto-tune (--tune_list); default: the first tuneNum calibration samples. */
  readonly tuneSamples?: SampleList;
  /** Auto-tune samples (0 = no tuning). */
  readonly tuneNum: number;
  readonly method: CaliMethod;
  readonly histogramBinNum: number;
  /** `int4` in debug_cmd: also compute the `#int4_th` section (KLD with 8 levels). */
  readonly int4?: boolean;
  /**
   * `--part_asymmetric` (spec §4.8): SiLU/GELU ops feeding only Conv/MatMul get their percentile
   * range; the result's `asymOps` is the table's `#asym_op` list. Only the threshold step
   * changes, so cached statistics serve both.
   */
  readonly partAsymmetric?: boolean;
  /** Where statistics are cached; undefined = no cache. */
  readonly cacheDir?: string;
  /**
   * Statistics of an earlier run on the same module, samples and bin number (its `summaries`):
   * used instead of a statistics pass, so several methods cost one pass (the search tools).
   */
  readonly statistics?: readonly TensorSummary[];
  readonly backend?: Backend;
  /** Threads of the statistics pass's session (default 1) and of auto-tune (default: see TuneOptions.threads). */
  readonly threads?: number;
  /** Statistics on worker threads, overlapping inference (default true). */
  readonly statsThread?: boolean;
  /** How many statistics threads share the tensors (default: cores − 2, at least 1, at most 4). */
  readonly statsThreads?: number;
  readonly progress?: ProgressSink;
  readonly log?: (line: string) => void;
}

export interface CalibrationTimings {
  /** Waiting for decoded, preprocessed samples (decoding overlaps inference, so this is what it adds). */
  dataMs: number;
  inferenceMs: number;
  /** Statistics time on the inference thread's path (copies, waiting for the statistics thread, summaries). */
  statisticsMs: number;
  /** Time the statistics thread computed (overlapping inference), when it ran. */
  statisticsThreadMs: number;
  thresholdMs: number;
  tuneMs: number;
  cacheMs: number;
}

export interface CalibrationResult {
  readonly rows: ThresholdRow[];
  /** The per-tensor statistics the thresholds came from. */
  readonly summaries: readonly TensorSummary[];
  readonly int4Rows?: ThresholdRow[];
  /** With `partAsymmetric`: the `#asym_op` section (each asymmetric op, then its consumers). */
  readonly asymOps?: readonly string[];
  /** Samples run (after batching), the table's "# sample number". */
  readonly sampleNumber: number;
  /** Tune samples used, when tuning ran (the table's "# tune number"). */
  readonly tuneNumber?: number;
  readonly fromCache: boolean;
  readonly cacheFile?: string;
  readonly warnings: string[];
  readonly timings: CalibrationTimings;
}

export async function runCalibration(req: CalibrationRequest): Promise<CalibrationResult> {
  const progress = req.progress ?? NO_PROGRESS;
  const log = req.log ?? (() => {});
  const timings: CalibrationTimings = { dataMs: 0, inferenceMs: 0, statisticsMs: 0, statisticsThreadMs: 0, thresholdMs: 0, tuneMs: 0, cacheMs: 0 };
  // refused combinations fail before the statistics pass, not after it
  if (req.partAsymmetric) checkAsymmetricMethod(req.method, req.int4);
  const data = calibrationData(req.samples, req.module);
  // the sample count sets the percentile levels' tail lengths and keys the cache: make it exact
  const count = data.exactCount ? await data.exactCount() : data.count;
  const torch = req.method === 'torch_observer';
  const warnings: string[] = [];

  let t = performance.now();
  let summaries: TensorSummary[] | undefined = req.statistics ? [...req.statistics] : undefined;
  let cacheFile: string | undefined;
  let key: string | undefined;
  if (!summaries && req.cacheDir !== undefined) {
    key = await statisticsKey({
      module: req.module,
      sampleFiles: req.samples.entries.flat(),
      binNum: req.histogramBinNum,
      inputNum: count,
      torchObserver: torch,
      bits: req.int4 ? 4 : 8,
      backend: req.backend,
    });
    cacheFile = cachePath(req.cacheDir, key);
    summaries = await loadStatistics(cacheFile, key, (w) => warnings.push(w));
    if (summaries) log(`statistics read from cache ${cacheFile}`);
  }
  timings.cacheMs += performance.now() - t;
  const fromCache = summaries !== undefined && req.statistics === undefined;

  if (!summaries) {
    summaries = await collectStatistics(req, count, data.samples(), progress, timings);
    if (cacheFile && key) {
      t = performance.now();
      // the cache is a shortcut: a folder we cannot write costs the next run time, not this run
      try {
        await saveStatistics(cacheFile, key, summaries);
      } catch (e) {
        warnings.push(`WARNING: could not save the statistics cache ${cacheFile} (${(e as Error).message}); continuing without it`);
        cacheFile = undefined;
      }
      timings.cacheMs += performance.now() - t;
    }
  }

  t = performance.now();
  const asym = req.partAsymmetric ? chooseAsymOps(req.module) : undefined;
  const result = computeThresholds(summaries, req.method, { int4: req.int4, asymOps: asym?.ops });
  timings.thresholdMs = performance.now() - t;
  let rows = result.rows;
  for (const w of result.warnings) log(w);
  warnings.push(...result.warnings);

  let tuneNumber: number | undefined;
  if (req.tuneNum > 0 && !req.int4) {
    const tuneList = req.tuneSamples ?? req.samples;
    const tuneData = calibrationData(tuneList, req.module, { limit: req.tuneNum });
    tuneNumber = Math.min(req.tuneNum, tuneData.count);
    if (methodIsTuned(req.method)) {
      t = performance.now();
      const samples: Map<string, NdArray>[] = [];
      for await (const s of tuneData.samples()) {
        samples.push(s);
        if (samples.length >= tuneNumber) break;
      }
      const thresholds = new Map(rows.map((r) => [r.name, r.threshold]));
      let reported = -1;
      const tuned = await tuneThresholds(req.module, thresholds, result.tuneAbsmax, samples, {
        backend: req.backend === 'js' ? 'js' : 'wasm',
        ...(req.threads !== undefined ? { threads: req.threads } : {}),
        onProgress: (done, total) => {
          if (reported < 0) {
            progress.start('auto-tune', total, 'ops');
            reported = 0;
          }
          progress.tick(done - reported);
          reported = done;
        },
      });
      progress.end();
      rows = rows.map((r) => ({ ...r, threshold: tuned.get(r.name) ?? r.threshold }));
      timings.tuneMs = performance.now() - t;
    }
    // other methods: TPU-MLIR still walks the graph, but the upper bound equals the threshold, so
    // nothing can change (spec §4.10); we skip the walk and write the same table.
  }
  return { rows, summaries, int4Rows: result.int4Rows, asymOps: asym?.listed, sampleNumber: data.headerSampleNumber, tuneNumber, fromCache, cacheFile, warnings, timings };
}

async function collectStatistics(
  req: CalibrationRequest,
  count: number,
  samples: AsyncIterable<Map<string, NdArray>>,
  progress: ProgressSink,
  timings: CalibrationTimings,
): Promise<TensorSummary[]> {
  const infos = tensorInfos(req.module);
  const known = new Set(infos.map((i) => i.name));
  // the session first: when it cannot be made, no statistics thread is left running (it would
  // keep the process alive after the error)
  const session = await createSession(req.module, { backend: req.backend, threads: req.threads });
  let sink: StatsSink | undefined;
  try {
    const stats = req.statsThread === false ? inlineStats(infos, count, req) : threadStats(infos, count, req);
    sink = stats;
    progress.start('statistics', count, 'samples');
    const it = samples[Symbol.asyncIterator]();
    for (;;) {
      let t = performance.now();
      const next = await it.next();
      timings.dataMs += performance.now() - t;
      if (next.done) break;
      let statsMs = 0;
      t = performance.now();
      await session.run(next.value, {
        // activations are computed straight into the statistics thread's buffer (no copy)
        outputMemory: stats.reserve && ((name, n) => (known.has(name) ? stats.reserve!(name, n) : undefined)),
        observer: (name, value) => {
          if (!known.has(name)) return;
          const s = performance.now();
          stats.add(name, asF32(value));
          statsMs += performance.now() - s;
        },
      });
      const s = performance.now();
      await stats.endSample();
      statsMs += performance.now() - s;
      timings.inferenceMs += performance.now() - t - statsMs;
      timings.statisticsMs += statsMs;
      progress.tick();
    }
    progress.end();
    const t = performance.now();
    const summaries = await stats.summarize();
    timings.statisticsMs += performance.now() - t;
    timings.statisticsThreadMs = stats.busyMs();
    return summaries;
  } finally {
    progress.end();
    await Promise.all([session.dispose(), sink?.close()]);
  }
}

/** Where tensors go: the statistics thread, or (statsThread: false) a collector on this thread. */
interface StatsSink {
  /** Where the session may write a tensor that add() will then take without a copy. */
  reserve?(name: string, n: number): Float32Array | undefined;
  add(name: string, data: Float32Array): void;
  endSample(): Promise<void>;
  summarize(): Promise<TensorSummary[]>;
  close(): Promise<void>;
  busyMs(): number;
}

function threadStats(infos: TensorInfo[], count: number, req: CalibrationRequest): StatsSink {
  // one statistics thread per core left after inference and decoding (measured on 2 cores: a
  // second shard only contended with inference), at most 4
  const shards = req.statsThreads ?? Math.max(1, Math.min(4, availableParallelism() - 2));
  const thread = StatsShards.start({ tensors: infos, binNum: req.histogramBinNum, inputNum: count, torchObserver: req.method === 'torch_observer', bits: req.int4 ? 4 : 8 }, shards, req.log);
  return {
    reserve: (name, n) => thread.reserve(name, n),
    add: (name, data) => thread.add(name, data),
    endSample: () => thread.endSample(),
    summarize: () => thread.summarize(),
    close: () => thread.terminate(),
    busyMs: () => thread.busyMs,
  };
}

function inlineStats(infos: TensorInfo[], count: number, req: CalibrationRequest): StatsSink {
  const observers = new Map<string, TorchHistogramObserver>();
  const collector = new StatsCollector(infos, {
    binNum: req.histogramBinNum,
    inputNum: count,
    bits: req.int4 ? 4 : 8,
    warn: req.log,
    extraSink:
      req.method === 'torch_observer'
        ? (info: TensorInfo) => {
            const o = new TorchHistogramObserver(req.histogramBinNum);
            observers.set(info.name, o);
            return o;
          }
        : undefined,
  });
  return {
    add: (name, data) => collector.add(name, data),
    endSample: async () => collector.endSample(),
    summarize: async () =>
      collector.summarize().map((s) => {
        const o = observers.get(s.info.name);
        return o ? { ...s, torchObserver: o.state() } : s;
      }),
    close: async () => {},
    busyMs: () => 0,
  };
}

function asF32(a: NdArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  const out = new Float32Array(a.data.length);
  const d = a.data;
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}
