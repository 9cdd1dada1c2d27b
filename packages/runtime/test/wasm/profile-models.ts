// Profiles the benchmark models on the wasm backend (not a test): median ms per run and the
// per-op-type split of the median run; `--ort` adds onnxruntime-node on one thread, in the same
// process, as the yardstick. `npx tsx --conditions @tpu-quant/source
// packages/runtime/test/wasm/profile-models.ts [model...] [--runs N] [--backend js|wasm] [--ort]`
// (TPUQ_WASM_RELAXED=0 runs the plain wasm build instead of the relaxed-SIMD one.)
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { createSession } from '../../src/index.js';
import { wasmBuild } from '../../src/kernels/wasm/loader.js';
import { random } from '../helpers/build.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
const MODELS = [
  { name: 'mobilenet_v2', file: 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', shape: [1, 3, 224, 224] },
  { name: 'yolox_nano', file: 'models/detection/yolox_nano_416.onnx', shape: [1, 3, 416, 416] },
  { name: 'ppocrv4_det', file: 'models/ocr/ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 480, 480] },
];
const args = process.argv.slice(2);
const opt = (k: string, d: string): string => (args.includes(k) ? args[args.indexOf(k) + 1]! : d);
const runs = Number(opt('--runs', '15'));
const backend = opt('--backend', 'wasm') as 'js' | 'wasm';
const ort = args.includes('--ort');
const names = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
for (const m of MODELS.filter((x) => names.length === 0 || names.includes(x.name))) {
  const mod = await importOnnxFile(resolve(ASSETS, m.file), { modelName: 'm', inputShapes: [m.shape] });
  const s = await createSession(mod, { backend });
  const inputs = { [s.inputNames[0]!]: random(m.shape, 7) };
  for (let i = 0; i < 3; i++) await s.run(inputs);
  const times: { ms: number; by: Record<string, { count: number; ms: number }> }[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(inputs);
    times.push({ ms: performance.now() - t0, by: Object.fromEntries([...s.stats().byOpType].map(([k, v]) => [k, { ...v }])) });
  }
  // per op type: the median over runs
  const med = (v: number[]): number => v.sort((a, b) => a - b)[v.length >> 1]!;
  const total = med(times.map((t) => t.ms));
  let ortNote = '';
  if (ort) {
    // onnxruntime-node is a dependency of the cli package, not of this one
    const req = createRequire(resolve(import.meta.dirname, '../../../cli/package.json'));
    const rt = req('onnxruntime-node') as typeof import('onnxruntime-node');
    const os = await rt.InferenceSession.create(await readFile(resolve(ASSETS, m.file)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const feed = { [os.inputNames[0]!]: new rt.Tensor('float32', inputs[s.inputNames[0]!]!.data as Float32Array, m.shape) };
    for (let i = 0; i < 3; i++) await os.run(feed);
    const ot: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await os.run(feed);
      ot.push(performance.now() - t0);
    }
    ortNote = `; ort 1 thread ${ot.sort((a, b) => a - b)[ot.length >> 1]!.toFixed(1)} ms`;
  }
  console.log(`${m.name} (${backend}${backend === 'wasm' ? `, ${wasmBuild} build` : ''}): ${total.toFixed(1)} ms median of ${runs}${ortNote}; fallbacks ${JSON.stringify(Object.fromEntries(s.kernelReport().fallbacks))}`);
  const types = Object.keys(times[0]!.by);
  const rows = types.map((t) => [t, times[0]!.by[t]!.count, med(times.map((x) => x.by[t]!.ms))] as const).sort((a, b) => b[2] - a[2]);
  for (const [t, c, ms] of rows) console.log(`  ${t.padEnd(16)} ${String(c).padStart(4)} ${ms.toFixed(2).padStart(8)} ms`);
}
