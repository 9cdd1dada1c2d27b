// Per-conv profile (not a test): kernel time by shape, plus the cost of copying its input in and
// its output out. `npx tsx --conditions @tpu-quant/source packages/runtime/test/wasm/profile-convs.ts [model]`
import { resolve } from 'node:path';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { top } from '@tpu-quant/ir';
import { createSession, getKernel } from '../../src/index.js';
import { random } from '../helpers/build.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
const FILES: Record<string, [string, number[]]> = {
  mobilenet_v2: ['models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', [1, 3, 224, 224]],
  yolox_nano: ['models/detection/yolox_nano_416.onnx', [1, 3, 416, 416]],
  ppocrv4_det: ['models/ocr/ch_PP-OCRv4_det_infer.onnx', [1, 3, 480, 480]],
};
const name = process.argv[2] ?? 'mobilenet_v2';
const [file, shape] = FILES[name]!;
const mod = await importOnnxFile(resolve(ASSETS, file), { modelName: 'm', inputShapes: [shape] });
const s = await createSession(mod, { backend: 'wasm' });
const k = getKernel('top.Conv', 'wasm')!;
const orig = k.run.bind(k);
const rows = new Map<string, { kind: string; key: string; ms: number[]; inN: number; outN: number }>();
let on = false;
(k as { run: typeof k.run }).run = (ctx) => {
  const t0 = performance.now();
  const r = orig(ctx);
  const dt = performance.now() - t0;
  if (on) {
    const a = top.convAttrs(ctx.op);
    const x = ctx.inputs[0]!;
    const y = r[0]!;
    const [, ic, ih, iw] = x.shape;
    const oc = y.shape[1]!;
    const kind = a.group === ic && a.group === oc ? 'dw' : a.kernel_shape.every((d) => d === 1) ? '1x1' : `${a.kernel_shape.join('x')}`;
    const key = `${ctx.op.name}`;
    const row = rows.get(key) ?? { kind: `${kind} s${a.strides[0]} ${ic}->${oc} ${ih}x${iw}->${y.shape[2]}x${y.shape[3]}`, key, ms: [], inN: x.data.length, outN: y.data.length };
    row.ms.push(dt);
    rows.set(key, row);
  }
  return r;
};
const inputs = { [s.inputNames[0]!]: random(shape, 7) };
for (let i = 0; i < 3; i++) await s.run(inputs);
on = true;
const tot: number[] = [];
for (let i = 0; i < 15; i++) { const t = performance.now(); await s.run(inputs); tot.push(performance.now() - t); }
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
// copy cost: one Float32Array.set of n floats, median over reps
const src = new Float32Array(4 << 20), dst = new Float32Array(4 << 20);
const copyMs = (n: number): number => { const t: number[] = []; for (let i = 0; i < 15; i++) { const a = performance.now(); dst.subarray(0, n).set(src.subarray(0, n)); t.push(performance.now() - a); } return med(t); };
let sum = 0, copies = 0;
const byKind = new Map<string, { n: number; ms: number; copy: number }>();
for (const r of rows.values()) {
  const m = med(r.ms); sum += m;
  const c = copyMs(r.inN) + copyMs(r.outN); copies += c;
  const kk = r.kind.split(' ')[0]!;
  const b = byKind.get(kk) ?? { n: 0, ms: 0, copy: 0 }; b.n++; b.ms += m; b.copy += c; byKind.set(kk, b);
  console.log(`${r.kind.padEnd(36)} ${m.toFixed(3).padStart(7)} ms  copy~${c.toFixed(3)} ms  ${(2 * r.outN * 1e-6).toFixed(2)}`);
}
console.log(`${name}: run median ${med(tot).toFixed(2)} ms; convs ${sum.toFixed(2)} ms; est. copy in+out ${copies.toFixed(2)} ms`);
for (const [kk, b] of byKind) console.log(`  ${kk.padEnd(6)} ${String(b.n).padStart(3)} ${b.ms.toFixed(2).padStart(7)} ms  copy ${b.copy.toFixed(2)} ms`);
