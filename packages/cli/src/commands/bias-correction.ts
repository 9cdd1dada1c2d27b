// Bias correction (calibration spec §9.2): `run_calibration --bc` and `run_qtable --debug_cmd
// run_bias_correction`. The correction itself is @tpu-quant/mixprec's runBiasCorrection; here: the
// samples (the first bc_inference_num / input_num), the corrected weights written as a new npz and
// mlir (never over the input, see weight-variant.ts), the log `Bias_Correction` beside the outputs.
import { join } from 'node:path';
import { calibrationData, type SampleList, type ThresholdRow } from '@tpu-quant/calib';
import { atomicWriteFile, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { runBiasCorrection } from '@tpu-quant/mixprec';
import { parseInteger } from '../flags.js';
import { progressBar } from '../progress.js';
import { searchWorkerSetup } from './sensitivity-common.js';
import { writeWeightVariant } from './weight-variant.js';

export interface BiasCorrectionContext {
  readonly module: Module;
  readonly mlirFile: string;
  readonly name: string;
  readonly chip: string;
  readonly outDir: string;
  readonly samples: SampleList;
  /** Samples to use (bc_inference_num; undefined = all). */
  readonly sampleNum?: number;
  readonly rows: readonly ThresholdRow[];
  readonly asymOps?: readonly string[];
  readonly expectedCos: number;
  readonly minLayerCos: number;
  readonly globalCompareLayers?: string;
  /** Worker threads the samples are split over (searchThreads: the cores by default; 1: this thread). */
  readonly threads?: number;
  readonly out: (s: string) => void;
}

export function parseSampleNum(v: string, flag: string): number {
  const n = parseInteger(v, flag);
  if (n < 1) throw new UserError('E_BAD_FLAG', `--${flag} ${v} must be at least 1`, `e.g. --${flag} 30`);
  return n;
}

/**
 * Runs bias correction; when a correction was applied, writes `<name>_bc_weight.npz` and
 * `<name>_bc.mlir`, points `module` at them and returns the mlir path (else undefined).
 */
export async function biasCorrectModel(ctx: BiasCorrectionContext): Promise<string | undefined> {
  const t0 = performance.now();
  const lines: string[] = [];
  const info = (s: string): void => {
    lines.push(`INFO:root:${s}`);
    ctx.out(s);
  };
  const samples: Map<string, NdArray>[] = [];
  for await (const s of calibrationData(ctx.samples, ctx.module, ctx.sampleNum !== undefined ? { limit: ctx.sampleNum } : {}).samples()) samples.push(s);
  info(`bias correction: ${samples.length} samples, chip ${ctx.chip}, expected_cos ${ctx.expectedCos}, min_layer_cos ${ctx.minLayerCos}`);
  const r = await runBiasCorrection({
    module: ctx.module,
    chip: ctx.chip,
    calibration: { rows: ctx.rows, ...(ctx.asymOps ? { asymOps: ctx.asymOps } : {}) },
    samples,
    expectedCos: ctx.expectedCos,
    minLayerCos: ctx.minLayerCos,
    ...(ctx.globalCompareLayers ? { globalCompareLayers: ctx.globalCompareLayers } : {}),
    ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}),
    workerSetup: searchWorkerSetup(),
    log: info,
    progress: progressBar(),
  });
  let written: string | undefined;
  if (r.outcome !== 'no-need') {
    info('>>>run result:');
    info(`int8 outputs_cos:${r.allInt8Cos.toFixed(6)} old`);
    info('bias correction statistic:');
    for (const t of r.trials) info(`  op:${t.op}, old layer cos:${t.oldLayerCos.toFixed(6)}, new layer cos:${t.layerCos.toFixed(6)}, new output cos:${t.outputsCos.toFixed(6)}${t.applied ? '' : ' (reverted)'}`);
    info(`best mix model outputs_cos:${r.bestCos.toFixed(6)}`);
    const applied = r.trials.filter((t) => t.applied).length;
    if (r.changed.length > 0) {
      const f = await writeWeightVariant(ctx.module, r.weights, { mlirFile: ctx.mlirFile, outDir: ctx.outDir, name: ctx.name, tag: 'bc' });
      info(`bias correction: ${applied} of ${r.trials.length} convs corrected; wrote ${f.mlir} and ${f.npz} (the input model is unchanged; deploy ${f.mlir})`);
      written = f.mlir;
    } else {
      info(`bias correction: no correction kept (${r.trials.length} tried); the weights are unchanged, nothing written`);
    }
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  info(`time: reference ${s(r.stats.referenceMs)}, int8 ${s(r.stats.int8Ms)}, ${r.stats.lowerings} lowerings ${s(r.stats.lowerMs)}, cone runs ${s(r.stats.coneMs)}; ${threadsNote(r.stats.threads)}`);
  info(`total time:${((performance.now() - t0) / 1000).toFixed(6)}`);
  await atomicWriteFile(join(ctx.outDir, 'Bias_Correction'), `${lines.join('\n')}\n`);
  return written;
}

/** The end of a time line: where the samples ran. */
export function threadsNote(threads: number): string {
  return threads === 1 ? '1 thread' : `samples over ${threads} threads (times summed over them)`;
}
