// run_qtable benchmark: the shared FastestDet (352×352, as tools/scripts/transform-shared-models.sh
// imports it), a KLD + tune table from the 10 coco-like images, then run_qtable for bm1684x on the
// same 10 images with TPU-MLIR's defaults; wall time broken down (float reference, INT8 model,
// search: lowerings and cone re-runs), the qtable it finds, and TPU-MLIR's own published timing of
// run_qtable (quantization chapter, spec calibration.md §14: 11 s on yolov3-tiny; another model,
// and another machine — a reference point, not a same-run peer: TPU-MLIR cannot run here).
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { calibrationData, runCalibration, selectSamples } from '@tpu-quant/calib';
import '@tpu-quant/chip-bm168x';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { runPipeline, type NdArray } from '@tpu-quant/ir';
import { runQtable } from '@tpu-quant/mixprec';
import { printTable } from './stats.js';

const MODEL = 'models/detection/FastestDet_352.onnx';
const IMAGES = 'images/coco-like';
/** TPU-MLIR's quantization chapter: run_qtable on yolov3-tiny. */
const TPU_MLIR_RUN_QTABLE_S = 11;

export async function mixprecBenchmark(o: { readonly assets: string }): Promise<void> {
  const model = join(o.assets, MODEL);
  const images = join(o.assets, IMAGES);
  if (!existsSync(model) || !existsSync(images)) {
    console.log(`mixprec: skipped (${model} or ${images} not found; set TPUQ_ASSETS)`);
    return;
  }
  const module = await importOnnxFile(model, {
    modelName: 'fastestdet',
    inputShapes: [[1, 3, 352, 352]],
    preprocess: { pixel_format: 'bgr', channel_format: 'nchw', keep_aspect_ratio: false, mean: [0, 0, 0], scale: [1 / 255, 1 / 255, 1 / 255] },
  });
  await runPipeline(module, 'canonicalize');
  const list = await selectSamples({ dataset: images, inputNum: 10 });
  const tc = performance.now();
  const cal = await runCalibration({ module, samples: list, tuneNum: 5, method: 'kl', histogramBinNum: 2048 });
  const caliMs = performance.now() - tc;
  const samples: Map<string, NdArray>[] = [];
  for await (const s of calibrationData(list, module).samples()) samples.push(s);

  // the CLI's default: the samples split over one worker thread per core; then one thread, in process
  const threads = cpus().length;
  let t0 = performance.now();
  const r = await runQtable({ module, chip: 'bm1684x', calibration: { rows: cal.rows }, samples, threads, workerSetup: [import.meta.resolve('@tpu-quant/chip-bm168x')] });
  const ms = performance.now() - t0;
  t0 = performance.now();
  const r1 = await runQtable({ module, chip: 'bm1684x', calibration: { rows: cal.rows }, samples, threads: 1 });
  const ms1 = performance.now() - t0;
  if (r1.floatLayers.join() !== r.floatLayers.join() || r1.mixCos !== r.mixCos) throw new Error('run_qtable: one thread and several disagree');
  const sec = (x: number) => (x / 1000).toFixed(2);
  console.log(`run_qtable benchmark — FastestDet 352, ${samples.length} coco-like images, bm1684x, defaults, ${cpus().length} cores, node ${process.version}`);
  printTable([
    { phase: `calibration table (KLD + tune 5; not part of run_qtable)`, s: sec(caliMs) },
    { phase: `float reference (${r.referenceMode}), all samples`, s: sec(r.stats.referenceMs) },
    { phase: 'INT8 model, all samples', s: sec(r.stats.int8Ms) },
    { phase: `search (${r.stats.lowerings} lowerings ${sec(r.stats.lowerMs)} s, cone re-runs ${sec(r.stats.suffixMs)} s; summed over threads)`, s: sec(r.stats.searchMs) },
    { phase: `whole run_qtable (ours, ${r.stats.threads} threads, the CLI default)`, s: sec(ms) },
    { phase: 'whole run_qtable (ours, 1 thread)', s: sec(ms1) },
    { phase: 'TPU-MLIR run_qtable on yolov3-tiny, as its docs quote (another model)', s: TPU_MLIR_RUN_QTABLE_S.toFixed(2) },
  ]);
  console.log(`outcome ${r.outcome}: all_int8_cos ${r.allInt8Cos.toFixed(6)} -> mix ${r.mixCos.toFixed(6)}; ${r.mixMode} layers: ${r.floatLayers.join(', ') || '(none)'}`);
}
