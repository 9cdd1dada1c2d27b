// Cost of run_calibration's statistics pass (packages/calib/src/stats) per sample, on real
// mobilenet_v2 activations: every tensor of a few calibration images is captured once, then fed
// to a fresh StatsCollector several times; prints the median ms per sample (the first sample,
// which fills the percentile tails from nothing, separately) next to the inference time.
//
//   npx tsx --conditions=@tpu-quant/source tools/bench/src/calib-stats.ts \
//     [--mlir model.mlir] [--samples 8] [--reps 5] [--input-num 100] [--kernels wasm,js]
//
// Wall and CPU time (this process) are both printed: on a shared machine the CPU time is the
// steadier number. --kernels picks the per-sample passes (WebAssembly SIMD, or the js reference).
//
// Without --mlir it imports mobilenet_v2 from ${TPUQ_ASSETS:-../shared/assets}/models; the
// samples are the first images of ${TPUQ_ASSETS}/images/imagenet-cali, preprocessed as the
// model's top.Input says (random inputs when the images are missing).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import type { Module, NdArray } from '@tpu-quant/ir';
import { loadNpz, ndarray, parseMlir, runPipeline } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { preprocessFromInputOp, preprocessImage } from '../../../packages/calib/src/preprocess/index.js';
import { StatsCollector, tensorInfos } from '../../../packages/calib/src/stats/index.js';
import { median, printTable } from './stats.js';

const { values: args } = parseArgs({
  options: {
    mlir: { type: 'string' },
    samples: { type: 'string', default: '8' },
    reps: { type: 'string', default: '5' },
    'input-num': { type: 'string', default: '100' },
    kernels: { type: 'string', default: 'wasm,js' },
  },
});
const assets = process.env.TPUQ_ASSETS ?? join(process.cwd(), '../shared/assets');
const nSamples = Number(args.samples);
const reps = Number(args.reps);
const inputNum = Number(args['input-num']);

async function loadModel(): Promise<Module> {
  if (args.mlir) {
    const m = parseMlir(await readFile(args.mlir, 'utf8'), args.mlir);
    const wf = m.attrs.get('module.weight_file');
    const npz = wf?.kind === 'string' ? join(dirname(args.mlir), wf.value) : args.mlir.replace(/\.mlir$/, '_top_f32_all_weight.npz');
    m.weights = await loadNpz(npz);
    return m;
  }
  const onnx = join(assets, 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx');
  const m = await importOnnxFile(onnx, { modelName: 'mobilenet_v2', inputShapes: [[1, 3, 224, 224]] });
  await runPipeline(m, 'canonicalize');
  return m;
}

async function inputsFor(m: Module): Promise<NdArray<'f32'>[]> {
  const inputOp = m.main.ops.find((op) => op.type === 'top.Input')!;
  const shape = inputOp.results[0]!.type.kind === 'tensor' ? inputOp.results[0]!.type.shape : [1, 3, 224, 224];
  const dir = join(assets, 'images/imagenet-cali');
  if (existsSync(dir)) {
    const files = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, nSamples);
    const cfg = preprocessFromInputOp(inputOp);
    return Promise.all(files.map((f) => preprocessImage(join(dir, f), cfg, shape)));
  }
  console.log(`${dir} not found: random inputs`);
  const n = shape.reduce((a, b) => a * b, 1);
  let s = 7;
  return Array.from({ length: nSamples }, () => ndarray('f32', shape, Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 4 - 2)));
}

const m = await loadModel();
const infos = tensorInfos(m);
const session = await createSession(m);
const samples: Map<string, Float32Array>[] = [];
const inferMs: number[] = [];
for (const x of await inputsFor(m)) {
  const t0 = performance.now();
  const r = await session.run({ [session.inputNames[0]!]: x }, { capture: 'all' });
  inferMs.push(performance.now() - t0);
  samples.push(new Map([...r.tensors].map(([k, v]) => [k, v.data as Float32Array])));
}
const floats = infos.reduce((a, t) => a + Math.max(t.size, 0), 0);
console.log(`${m.name ?? 'model'}: ${infos.length} tensors, ${(floats / 1e6).toFixed(2)} M floats per sample, ${samples.length} samples x ${reps} reps, inputNum ${inputNum}`);

const timed = (into: number[][], fn: () => void) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  into.push([performance.now() - t0, (c.user + c.system) / 1000]);
};
const row = (what: string, v: number[][]) => ({ what, 'wall ms': median(v.map((x) => x[0]!)), 'cpu ms': median(v.map((x) => x[1]!)) });
const rows: Record<string, string | number>[] = [];
for (const kernels of args.kernels!.split(',') as ('wasm' | 'js')[]) {
  const t = { first: [] as number[][], later: [] as number[][], summarize: [] as number[][] };
  for (let rep = 0; rep < reps; rep++) {
    const c = new StatsCollector(infos, { inputNum, kernels });
    samples.forEach((sample, i) => timed(i === 0 ? t.first : t.later, () => {
      for (const info of infos) {
        const d = sample.get(info.name);
        if (d) c.add(info.name, d);
      }
      c.endSample();
    }));
    timed(t.summarize, () => c.summarize());
  }
  rows.push(row(`${kernels}: statistics per sample (2nd and later)`, t.later), row(`${kernels}: first sample`, t.first), row(`${kernels}: summarize (all tensors)`, t.summarize));
}
rows.push({ what: 'inference per sample (capture all)', 'wall ms': median(inferMs), 'cpu ms': '' });
printTable(rows);
