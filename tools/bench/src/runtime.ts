// Runtime benchmarks against onnxruntime-node in the same process: float inference of the shared
// models on the wasm backend at batch 1 (latency) and batch 8 (throughput), 1 and 2 threads (ours:
// a session with `threads`, whose runs split large convs across them; ORT: intraOpNumThreads);
// plus the cost of capturing every tensor and of runFrom on mobilenet_v2's last third.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import type { Module, NdArray } from '@tpu-quant/ir';
import { ndarray, runPipeline } from '@tpu-quant/ir';
import type { Session } from '@tpu-quant/runtime';
import { createSession } from '@tpu-quant/runtime';
import * as ort from 'onnxruntime-node';
import { median, printTable, timePair } from './stats.js';

export interface RuntimeBenchOptions {
  /** Root of the shared assets (models/ under it). */
  readonly assets: string;
  /** Timed runs per configuration (after warm-up). */
  readonly runs: number;
  /** A configuration whose runs would take longer than this gets fewer runs (at least `minRuns`). */
  readonly budgetMs: number;
  readonly minRuns: number;
  /** Model names to run (default: all). */
  readonly models?: readonly string[];
}

interface ModelCase {
  readonly name: string;
  readonly file: string;
  readonly size: number;
}

const MODELS: readonly ModelCase[] = [
  { name: 'mobilenet_v2', file: 'models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', size: 224 },
  { name: 'yolox_nano', file: 'models/detection/yolox_nano_416.onnx', size: 416 },
  { name: 'ppocrv4_det', file: 'models/ocr/ch_PP-OCRv4_det_infer.onnx', size: 480 },
];
const BATCH = 8;
const THREADS = [1, 2];

function rand(shape: readonly number[], seed: number): NdArray<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    d[i] = s / 2 ** 32;
  }
  return ndarray('f32', shape, d);
}

/**
 * Median ms of `fn` after two warm-ups (the first may start a worker pool); slow functions get
 * fewer runs, judged by the second warm-up (`runs` says how many).
 */
async function timeIt(fn: () => Promise<unknown>, o: RuntimeBenchOptions): Promise<{ ms: number; runs: number }> {
  await fn();
  const t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  const runs = Math.max(o.minRuns, Math.min(o.runs, Math.floor(o.budgetMs / Math.max(first, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  return { ms: median(times), runs };
}

const batchOf = (x: NdArray, n: number): NdArray<'f32'> => {
  const one = x.data as Float32Array;
  const d = new Float32Array(one.length * n);
  for (let i = 0; i < n; i++) d.set(one, i * one.length);
  return ndarray('f32', [n, ...x.shape.slice(1)], d);
};

const profile = (s: Session, top = 6): string =>
  [...s.stats().byOpType].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)
    .map(([k, v]) => `${k.replace(/^top\./, '')} ${v.ms.toFixed(1)} ms x${v.count}`).join(', ');

export async function runtimeBenchmarks(o: RuntimeBenchOptions): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const notes: string[] = [];
  const models = MODELS.filter((m) => !o.models || o.models.includes(m.name));
  let mobilenet: Module | undefined;
  for (const mc of models) {
    const path = join(o.assets, mc.file);
    if (!existsSync(path)) {
      console.log(`${mc.name}: skipped (${path} not found; set TPUQ_ASSETS)`);
      continue;
    }
    const shape1 = [1, 3, mc.size, mc.size];
    const m1 = await importOnnxFile(path, { modelName: mc.name, inputShapes: [shape1] });
    await runPipeline(m1, 'canonicalize'); // as model_transform leaves a model
    if (mc.name === 'mobilenet_v2') mobilenet = m1;
    const x1 = rand(shape1, 7);
    const x8 = batchOf(x1, BATCH);
    const samples = Array.from({ length: BATCH }, () => x1);
    // a true batch-8 import, when the graph allows one (reshapes with a fixed batch do not)
    let m8: Module | undefined;
    try {
      m8 = await importOnnxFile(path, { modelName: mc.name, inputShapes: [[BATCH, 3, mc.size, mc.size]] });
      await runPipeline(m8, 'canonicalize');
    } catch (e) {
      notes.push(`${mc.name}: no true batch ${BATCH} (${(e as Error).message.split('\n')[0]})`);
    }
    for (const threads of THREADS) {
      const osess = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
      const iname = osess.inputNames[0]!;
      const dim0 = (osess.inputMetadata[0] as { shape?: readonly (number | string)[] }).shape?.[0];
      const ortFixed = dim0 === 1;
      const t1 = { [iname]: new ort.Tensor('float32', x1.data as Float32Array, shape1) };
      const t8 = { [iname]: new ort.Tensor('float32', x8.data as Float32Array, [...x8.shape]) };
      const ortB1 = await timeIt(() => osess.run(t1), o);
      const ortB8 = await timeIt(async () => {
        if (!ortFixed) return osess.run(t8);
        for (let i = 0; i < BATCH; i++) await osess.run(t1);
      }, o);
      await osess.release();

      const s = await createSession(m1, { backend: 'wasm', threads });
      await s.ready(); // intra-op workers up before timing
      const name = s.inputNames[0]!;
      const ours1 = await timeIt(() => s.run({ [name]: x1 }), o);
      if (threads === 1) notes.push(`${mc.name} b1 profile (wasm, ${s.stats().ms.toFixed(0)} ms in ops): ${profile(s)}; js fallbacks: ${[...s.kernelReport().fallbacks].map(([k, n]) => `${k.replace(/^top\./, '')} x${n}`).join(', ') || 'none'}`);
      else {
        notes.push(`${mc.name} b1 ${threads} threads: ${s.stats().splitOps} ops split (${profile(s)})`);
        // the same comparison with the runs interleaved, so a busy machine slows both alike
        const one = await createSession(m1, { backend: 'wasm' });
        const [a, b] = await timePair(() => one.run({ [name]: x1 }), () => s.run({ [name]: x1 }), o.runs);
        await one.dispose();
        notes.push(`${mc.name} b1 1 vs ${threads} threads, ${o.runs} alternating runs: ${a.toFixed(1)} vs ${b.toFixed(1)} ms (${(a / b).toFixed(2)}x)`);
      }
      const inputs8 = samples.map((x) => ({ [name]: x }));
      const batched = await timeIt(() => s.runBatch(inputs8), o);
      await s.dispose();
      let ours8 = { ...batched, how: `runBatch ${BATCH}x1` };
      // one session.run of a batch-8 tensor (intra-op above 1 thread) against runBatch's samples
      if (m8 && ours1.ms * BATCH < o.budgetMs) {
        const s8 = await createSession(m8, { backend: 'wasm', threads });
        await s8.ready();
        const t = await timeIt(() => s8.run({ [s8.inputNames[0]!]: x8 }), o);
        await s8.dispose();
        notes.push(`${mc.name} true batch ${BATCH} (1 session.run, ${threads} thread${threads > 1 ? 's' : ''}): ${t.ms.toFixed(1)} ms vs runBatch ${batched.ms.toFixed(1)} ms`);
        if (t.ms < ours8.ms) ours8 = { ...t, how: `true batch ${BATCH}` };
      }
      const ortHow = (b: number) => (b === 1 ? '1 run' : ortFixed ? `${BATCH} sequential runs (N fixed at 1)` : `N=${BATCH} tensor`);
      for (const [batch, ours, peer] of [[1, ours1, ortB1], [BATCH, ours8, ortB8]] as const) {
        rows.push({
          model: mc.name, batch: String(batch), threads: String(threads), 'ours ms': ours.ms, 'ORT ms': peer.ms, ratio: (ours.ms / peer.ms).toFixed(2),
          'runs (ours/ORT)': `${ours.runs}/${peer.runs}`,
          ours: batch === 1 ? `session.run${threads > 1 ? ' (intra-op)' : ''}` : (ours as { how: string }).how, ORT: ortHow(batch),
        });
      }
    }
  }
  console.log(`\nruntime: wasm backend vs onnxruntime-node ${ort.env.versions.common} — ${cpus().length} cores (os.cpus().length), node ${process.version}; medians after warm-up; batch ${BATCH} times are for all ${BATCH} samples`);
  printTable(rows);
  for (const n of notes) console.log(`  ${n}`);
  if (mobilenet) await captureAndRunFrom(mobilenet, o);
}

/** Capture of every tensor vs a plain run, and runFrom two-thirds down vs a full run (mobilenet_v2, wasm, 1 thread). */
async function captureAndRunFrom(m: Module, o: RuntimeBenchOptions): Promise<void> {
  const s = await createSession(m, { backend: 'wasm' });
  const name = s.inputNames[0]!;
  const x = { [name]: rand([1, 3, 224, 224], 7) };
  const [plain, all] = await timePair(() => s.run(x), () => s.run(x, { capture: 'all' }), o.runs);
  const ops = s.kernelReport().ops;
  const from = ops[Math.floor((2 * ops.length) / 3)]!.name;
  const { tensors } = await s.run(x, { capture: 'all' });
  const [full, part] = await timePair(() => s.run(x), () => s.runFrom(from, tensors), o.runs);
  await s.dispose();
  console.log(`\nrunFrom root: "${from.length > 60 ? `${from.slice(0, 60)}...` : from}"`);
  const pct = (r: number) => `${(100 * r).toFixed(0)} %`;
  console.log(`\nmobilenet_v2, wasm, 1 thread, ${o.runs} alternating runs each:`);
  printTable([
    { measure: "capture: 'all' vs plain run", 'ms': all, 'baseline ms': plain, ratio: pct(all / plain), bar: '<= 120 %', met: all / plain <= 1.2 ? 'yes' : 'no' },
    { measure: `runFrom(op ${Math.floor((2 * ops.length) / 3)} of ${ops.length}, ${ops[Math.floor((2 * ops.length) / 3)]!.type}) vs run`, 'ms': part, 'baseline ms': full, ratio: pct(part / full), bar: '<= 40 %', met: part / full <= 0.4 ? 'yes' : 'no' },
  ]);
}
