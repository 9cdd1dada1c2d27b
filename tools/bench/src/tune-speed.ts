// Auto-tune speed and output on a real model, for before/after comparisons of src/tune/: the top
// mlir (+ weight npz), KLD thresholds from N calibration samples, then tuneThresholds alone on the
// first T of them, timed (wall and process CPU, all threads), R times. Writes the tuned table and
// the candidate trace (op, tensor, threshold, distance as exact hex floats) to OUT.table / OUT.trace.
// TUNE_IMPL=path: take tuneThresholds from that module instead (an older copy of src/tune/tuner.ts).
//   tsx --conditions=@tpu-quant/source tools/bench/src/tune-speed.ts MLIR (--dataset DIR | --data_list FILE) [N=10] [T=5] [R=3] [OUT] [THREADS]
import { writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { calibrationData, computeThresholds, runCalibration, selectSamples } from '@tpu-quant/calib';
import * as calib from '@tpu-quant/calib';
import { loadNpz, parseMlir, type NdArray } from '@tpu-quant/ir';

const [mlir, flag, src, nArg, tArg, rArg, out, thArg] = process.argv.slice(2);
if (!mlir || !flag || !src) throw new Error('usage: tune-speed.ts MLIR --dataset DIR|--data_list FILE [N] [T] [R] [OUT] [THREADS]');
const module = parseMlir(await readFile(mlir, 'utf8'), mlir);
const wf = module.attrs.get('module.weight_file');
if (wf?.kind === 'string') module.weights = await loadNpz(join(dirname(mlir), wf.value));
const n = Number(nArg ?? 10);
const tn = Number(tArg ?? 5);
const runs = Number(rArg ?? 3);
const list = await selectSamples(flag === '--dataset' ? { dataset: src, inputNum: n } : { dataList: src, inputNum: n });
const cal = await runCalibration({ module, samples: list, tuneNum: 0, method: 'kl', histogramBinNum: 2048 });
const th = computeThresholds(cal.summaries, 'kl');
// WIDE=1: thresholds at 0.7 × the tuning absmax, so that (nearly) every tensor is searched
const thresholds = new Map(th.rows.map((r) => [r.name, process.env.WIDE ? 0.7 * (th.tuneAbsmax.get(r.name) ?? r.threshold) : r.threshold]));
const samples: Map<string, NdArray>[] = [];
for await (const s of calibrationData(list, module, { limit: tn }).samples()) {
  samples.push(s);
  if (samples.length >= tn) break;
}
const tuneThresholds: typeof calib.tuneThresholds = process.env.TUNE_IMPL ? (await import(process.env.TUNE_IMPL)).tuneThresholds : calib.tuneThresholds;
const hex = (x: number): string => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  return b.getBigUint64(0).toString(16);
};
const walls: number[] = [];
const cpus: number[] = [];
for (let r = 0; r < runs; r++) {
  const trace: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const tuned = await tuneThresholds(module, thresholds, th.tuneAbsmax, samples, {
    onCandidate: (op, tensor, t, d) => trace.push(`${op} ${tensor} ${hex(t)} ${hex(d)}`),
    ...(thArg ? { threads: Number(thArg) } : {}),
  });
  const c = process.cpuUsage(c0);
  walls.push(performance.now() - t0);
  cpus.push((c.user + c.system) / 1000);
  if (r === 0 && out) {
    await writeFile(`${out}.table`, [...tuned].map(([k, v]) => `${k} ${hex(v)}`).join('\n') + '\n');
    await writeFile(`${out}.trace`, trace.join('\n') + '\n');
  }
  console.log(`run ${r}: ${(walls[r]! / 1000).toFixed(2)} s wall, ${(cpus[r]! / 1000).toFixed(2)} s CPU, ${trace.length} candidates`);
}
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`median: ${(med(walls) / 1000).toFixed(2)} s wall, ${(med(cpus) / 1000).toFixed(2)} s CPU`);
