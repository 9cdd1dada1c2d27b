// Kernel benchmarks: js reference vs wasm SIMD kernels on single ops, and mobilenet_v2 with every
// op that has a wasm kernel on wasm (the rest on js) against onnxruntime-node at one thread. Medians of 20 runs after warm-up.
//   pnpm exec tsx --conditions=@tpu-quant/source tools/bench/src/kernels.ts [--no-model]
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { f32, Func, Module, ndarray, OpBuilder, tensorType, top } from '@tpu-quant/ir';
// tools/bench depends only on @tpu-quant/ir; the runtime and the wasm backend (not part of the
// runtime's public face yet) are read from source
import type { Backend } from '../../../packages/runtime/src/index.js';
import { getKernel } from '../../../packages/runtime/src/index.js';
import '../../../packages/runtime/src/kernels/wasm/index.js';
import { medianMs, printTable } from './stats.js';

function rand(shape: number[], seed: number): NdArray<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    d[i] = s / 2 ** 31 - 1;
  }
  return ndarray('f32', shape, d);
}

/** One op over one input, built with the ir builders; returns the op and its operand values. */
function oneOp(xShape: number[], make: (b: OpBuilder, x: Value) => Value): Op {
  const m = new Module('bench');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType(xShape, f32)) }, {}, { loc: 'x' }).result();
  return make(b, x).producer!;
}

function runOp(backend: Backend, op: Op, inputs: (NdArray | undefined)[]): NdArray {
  const outputTypes = op.results.map((r) => r.type as TensorType);
  return getKernel(op.type, backend)!.run({ op, inputs, outputTypes, weights: new Map() })[0]!;
}

function conv(x: number[], oc: number, k: number, pad: number, group: number): [Op, (NdArray | undefined)[]] {
  const w = rand([oc, x[1]! / group, k, k], 1);
  const bias = rand([oc], 2);
  const op = oneOp(x, (b, xv) => top.conv(b, { input: xv, filter: b.weight('w', w), bias: b.weight('b', bias) }, {
    kernel_shape: [k, k], pads: [pad, pad, pad, pad], group, do_relu: true, relu_limit: 6,
  }, { loc: 'y' }).result());
  return [op, [rand(x, 3), w, bias]];
}

const rows: Record<string, string | number>[] = [];
async function compare(name: string, op: Op, inputs: (NdArray | undefined)[], macs: number, jsRuns = 20): Promise<void> {
  const js = await medianMs(() => runOp('js', op, inputs), jsRuns, 1);
  const wasm = await medianMs(() => runOp('wasm', op, inputs), 20, 3);
  rows.push({ benchmark: name, 'js ms': js, 'wasm ms': wasm, speedup: `${(js / wasm).toFixed(1)}x`, 'wasm GFLOP/s': (2 * macs) / wasm / 1e6 });
}

const gemmW = rand([256, 256], 4);
const gemm = oneOp([256, 256], (b, x) => top.matMul(b, { input: x, right: b.weight('r', gemmW) }, {}, { loc: 'y' }).result());
await compare('MatMul 256x256x256', gemm, [rand([256, 256], 5), gemmW], 256 ** 3);
const c1 = conv([1, 96, 56, 56], 24, 1, 0, 1);
await compare('Conv 1x1 1x96x56x56 -> 24', ...c1, 96 * 24 * 56 * 56);
const c3 = conv([1, 32, 112, 112], 32, 3, 1, 1);
await compare('Conv 3x3 1x32x112x112 -> 32', ...c3, 32 * 32 * 9 * 112 * 112, 5);
const dw = conv([1, 144, 56, 56], 144, 3, 1, 144);
await compare('Depthwise 3x3 1x144x56x56', ...dw, 144 * 9 * 56 * 56);

console.log(`kernel benchmarks — ${cpus().length} cores, node ${process.version}`);
printTable(rows);

const MODEL = join(import.meta.dirname, '../../../../shared/assets/models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx');
if (!process.argv.includes('--no-model')) {
  if (existsSync(MODEL)) await mobilenet();
  else console.log(`mobilenet_v2: skipped (${MODEL} not found)`);
}

/** Runs @main op by op on `backend` where it has a kernel that supports the op, else on js. */
function executor(m: Module, backend: Backend): (x: NdArray) => NdArray {
  const weights = new Map([...m.weights].map(([k, v]) => [k, v as NdArray]));
  const ops = m.main.ops.filter((o) => o.type !== 'func.return');
  if (ops.some((o) => o.type === 'func.call')) throw new Error('mobilenet bench: func.call not handled');
  const kernels = ops.map((o) => {
    const k = getKernel(o.type, backend);
    return k && (k.supports?.(o) ?? true) ? k : getKernel(o.type, 'js')!;
  });
  return (x) => {
    const vals = new Map<Value, NdArray | undefined>();
    vals.set(m.main.args[0]!, x);
    ops.forEach((op, i) => {
      const inputs = op.operands.map((v) => vals.get(v));
      const outputTypes = op.results.map((r) => (r.type.kind === 'tensor' ? (r.type as TensorType) : undefined));
      kernels[i]!.run({ op, inputs, outputTypes, weights }).forEach((v, j) => vals.set(op.results[j]!, v));
    });
    return vals.get(m.main.outputs[0]!)!;
  };
}

async function mobilenet(): Promise<void> {
  const { importOnnxFile } = await import('../../../packages/frontend-onnx/src/index.js');
  const ort = await import('onnxruntime-node');
  const m = await importOnnxFile(MODEL, { modelName: 'mobilenet_v2', inputShapes: [[1, 3, 224, 224]] });
  const x = rand([1, 3, 224, 224], 7);
  const wasmRun = executor(m, 'wasm');
  const jsRun = executor(m, 'js');
  const sess = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const feeds = { [sess.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [1, 3, 224, 224]) };
  const want = (await sess.run(feeds))[sess.outputNames[0]!]!.data as Float32Array;
  const got = wasmRun(x).data as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  const ortMs = await medianMs(() => sess.run(feeds), 20, 3);
  const wasmMs = await medianMs(() => wasmRun(x), 20, 2);
  const jsMs = await medianMs(() => jsRun(x), 3, 1);
  console.log(`\nmobilenet_v2 1x3x224x224, 1 thread (max |wasm - ort| = ${diff.toExponential(2)}, max |ort| = ${scale.toFixed(3)})`);
  printTable([
    { run: 'onnxruntime-node 1.30 (1 thread)', 'median ms': ortMs, 'vs ort': '1.0x' },
    { run: 'tpu-quant, wasm (js fallback)', 'median ms': wasmMs, 'vs ort': `${(wasmMs / ortMs).toFixed(2)}x` },
    { run: 'tpu-quant, all js (3 runs)', 'median ms': jsMs, 'vs ort': `${(jsMs / ortMs).toFixed(2)}x` },
  ]);
}
