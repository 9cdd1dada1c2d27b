// INT8 simulation benchmark (issue #6): shared mobilenet_v2, calibrated on 20 imagenet-cali images
// (KLD, no tuning), lowered with convert-top-to-tpu{chip=bm1684x mode=INT8}, then one image run
// through the INT8 tpu module on the wasm backend (the chip's integer wasm kernels) and through the
// float top module on the wasm backend, alternately; medians and their ratio (bar <= 2). The INT8
// module also runs a few times on the js backend (the reference kernels), and both INT8 runs must
// give the same codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrationData, runCalibration, selectSamples } from '@tpu-quant/calib';
import { importCalibration, propagateCalibration } from '@tpu-quant/chip-bm168x';
import { runPipeline, type NdArray } from '@tpu-quant/ir';
import { createSession, type Session } from '@tpu-quant/runtime';
import { importSharedMobilenet, sharedMobilenetPaths } from './shared-mobilenet.js';
import { median, printTable, timePair } from './stats.js';

export interface DeployBenchOptions {
  readonly assets: string;
  /** Timed runs of each module (after warm-up). */
  readonly runs: number;
  /** Calibration samples (default 20). */
  readonly samples?: number;
}

/** Runs of the js reference kernels (seconds each). */
const JS_RUNS = 3;

export async function deployBenchmark(o: DeployBenchOptions): Promise<void> {
  const paths = sharedMobilenetPaths(o.assets, 'deploy');
  if (!paths) return;
  const { model: modelPath, images } = paths;
  const float = await importSharedMobilenet(modelPath);
  const int8 = await importSharedMobilenet(modelPath);
  const list = await selectSamples({ dataset: images, inputNum: o.samples ?? 20 });
  const dir = await mkdtemp(join(tmpdir(), 'tpuq-bench-deploy-'));
  let input: NdArray;
  try {
    const cal = await runCalibration({ module: float, samples: list, tuneNum: 0, method: 'kl', histogramBinNum: 2048, cacheDir: dir });
    importCalibration(int8, cal.rows, { processor: 'bm1684x' });
    propagateCalibration(int8, { processor: 'bm1684x' });
    await runPipeline(int8, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    let first: NdArray | undefined;
    for await (const sample of calibrationData({ ...list, entries: list.entries.slice(0, 1) }, float).samples()) {
      first = [...sample.values()][0];
      break;
    }
    input = first!;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const fs = await createSession(float, { backend: 'wasm' });
  const qs = await createSession(int8, { backend: 'wasm' });
  const js = await createSession(int8, { backend: 'js' });
  const feed = { [fs.inputNames[0]!]: input };
  try {
    // warm-up (packs the INT8 filters), then the two alternately so noise hits both alike
    const [floatMs, int8Ms] = await timePair(() => fs.run(feed), () => qs.run(feed), o.runs);
    const byType = [...qs.stats().byOpType].sort((a, b) => b[1].ms - a[1].ms);
    const jsTimes: number[] = [];
    let ref: Map<string, NdArray> | undefined;
    for (let i = 0; i < JS_RUNS; i++) {
      const t0 = performance.now();
      ref = (await js.run(feed)).outputs;
      jsTimes.push(performance.now() - t0);
    }
    const got = (await qs.run(feed)).outputs;
    const same = [...ref!].every(([name, t]) => t.data.every((v, i) => Object.is(v, got.get(name)!.data[i])));
    const wasmOps = qs.kernelReport().ops.filter((op) => op.type === 'tpu.Conv2D' && op.backend === 'wasm').length;

    console.log(`deploy benchmark — mobilenet_v2 INT8 (bm1684x, ${list.entries.length}-image KLD table) vs float, batch 1, 1 thread, ${cpus().length} cores, node ${process.version}`);
    printTable([
      { run: `float top module, wasm backend (median of ${o.runs})`, ms: floatMs },
      { run: `INT8 tpu module, wasm backend: integer wasm kernels (median of ${o.runs}; ${wasmOps} Conv2D on wasm)`, ms: int8Ms },
      { run: `INT8 tpu module, js backend: reference kernels (median of ${JS_RUNS})`, ms: median(jsTimes) },
      { run: 'ratio INT8 wasm / float (bar <= 2)', ms: (int8Ms / floatMs).toFixed(2) },
      { run: 'INT8 outputs wasm === js, code for code', ms: same ? 'yes' : 'NO' },
    ]);
    console.log('INT8 wasm time by op type (last run):');
    printTable(byType.map(([type, t]) => ({ op: type, count: String(t.count), ms: t.ms })));
  } finally {
    for (const s of [fs, qs, js] as Session[]) await s.dispose();
  }
}

