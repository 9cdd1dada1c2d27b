// run_calibration benchmark (issue: run_calibration): shared mobilenet_v2 on 100 imagenet-cali
// images with the default method (KLD + auto-tune), wall time broken down by phase, against
// onnxruntime-node's plain float inference over the same preprocessed samples in the same run;
// then a second method read from the statistics cache.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrationData, formatCaliTable, runCalibration, selectSamples, type CalibrationResult } from '@tpu-quant/calib';
import { atomicWriteFile, type NdArray } from '@tpu-quant/ir';
import * as ort from 'onnxruntime-node';
import { importSharedMobilenet, sharedMobilenetPaths } from './shared-mobilenet.js';
import { median, printTable } from './stats.js';

export interface CalibrationBenchOptions {
  readonly assets: string;
  /** Calibration samples (default 100). */
  readonly samples?: number;
  /** ORT repetitions over the samples, for its median (default 5). */
  readonly ortRuns?: number;
  readonly threads?: number;
}

export async function calibrationBenchmark(o: CalibrationBenchOptions): Promise<void> {
  const paths = sharedMobilenetPaths(o.assets, 'calibration');
  if (!paths) return;
  const { model: modelPath, images } = paths;
  const n = o.samples ?? 100;
  const threads = o.threads ?? 1;
  const module = await importSharedMobilenet(modelPath);
  const list = await selectSamples({ dataset: images, inputNum: n });
  const dir = await mkdtemp(join(tmpdir(), 'tpuq-bench-cali-'));
  try {
    // ours, cold cache: the whole run_calibration work (decode, inference, statistics, KLD, tune, table)
    const t0 = performance.now();
    const kl = await runCalibration({ module, samples: list, tuneNum: 5, method: 'kl', histogramBinNum: 2048, cacheDir: join(dir, 'cache'), threads });
    const tw = performance.now();
    await writeTable(join(dir, 'kl_table'), kl);
    const writeMs = performance.now() - tw;
    const oursMs = performance.now() - t0;

    // the second method from the cache
    const t1 = performance.now();
    const mse = await runCalibration({ module, samples: list, tuneNum: 5, method: 'mse', histogramBinNum: 2048, cacheDir: join(dir, 'cache'), threads });
    await writeTable(join(dir, 'mse_table'), mse);
    const cachedMs = performance.now() - t1;
    if (!mse.fromCache) console.log('warning: the second run did not read the statistics cache');

    // the same run with the statistics pass on the optional ort backend (tune stays on wasm)
    const t2 = performance.now();
    const viaOrt = await runCalibration({ module, samples: list, tuneNum: 5, method: 'kl', histogramBinNum: 2048, backend: 'ort', threads });
    await writeTable(join(dir, 'kl_ort_table'), viaOrt);
    const ortBackendMs = performance.now() - t2;

    // the peer: onnxruntime-node float inference over the same preprocessed samples
    const inputs: NdArray[] = [];
    for await (const s of calibrationData(list, module).samples()) inputs.push([...s.values()][0]!);
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const feeds = inputs.map((x) => ({ [session.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) }));
    const runs: number[] = [];
    for (let r = 0; r < (o.ortRuns ?? 5) + 1; r++) {
      const s = performance.now();
      for (const f of feeds) await session.run(f);
      if (r > 0) runs.push(performance.now() - s); // first pass is warm-up
    }
    await session.release();
    const ortMs = median(runs);

    const t = kl.timings;
    const sec = (ms: number) => (ms / 1000).toFixed(2);
    console.log(`calibration benchmark — mobilenet_v2, ${kl.sampleNumber} imagenet-cali images, ${cpus().length} cores, node ${process.version}, threads ${threads}`);
    printTable([
      { phase: 'data wait (decode + preprocess not hidden by inference)', s: sec(t.dataMs) },
      { phase: 'inference (ours, wasm)', s: sec(t.inferenceMs) },
      { phase: 'statistics on the inference thread (copies, waits, summaries)', s: sec(t.statisticsMs) },
      { phase: 'statistics thread compute (overlaps inference)', s: sec(t.statisticsThreadMs) },
      { phase: 'thresholds (KLD)', s: sec(t.thresholdMs) },
      { phase: 'auto-tune (5 samples)', s: sec(t.tuneMs) },
      { phase: 'cache write', s: sec(t.cacheMs) },
      { phase: 'table write', s: sec(writeMs) },
      { phase: 'whole run_calibration (ours)', s: sec(oursMs) },
      { phase: `onnxruntime-node float inference, same samples (median of ${runs.length})`, s: sec(ortMs) },
      { phase: 'ratio ours / ORT (bar <= 6)', s: (oursMs / ortMs).toFixed(2) },
      { phase: 'second method (use_mse) from the cache (bar <= 5 s)', s: sec(cachedMs) },
      { phase: `whole run with --backend ort (inference ${sec(viaOrt.timings.inferenceMs)}, stats thread ${sec(viaOrt.timings.statisticsThreadMs)}, tune ${sec(viaOrt.timings.tuneMs)})`, s: sec(ortBackendMs) },
      { phase: 'ratio with --backend ort / ORT', s: (ortBackendMs / ortMs).toFixed(2) },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeTable(path: string, r: CalibrationResult): Promise<void> {
  const text = formatCaliTable(
    { mlirVersion: 'bench', mlirPath: 'mobilenet_v2.mlir', time: new Date(), histogramBins: 2048, sampleNumber: r.sampleNumber, tuneNumber: r.tuneNumber },
    r.rows,
  );
  await atomicWriteFile(path, text);
}
