// Kernel benchmarks: js reference vs wasm SIMD kernels on single ops (`pnpm bench --only kernels`).
// Whole models against onnxruntime-node are in runtime.ts. Medians of 20 runs after warm-up.
import { cpus } from 'node:os';
import type { NdArray, TensorType, Value } from '@tpu-quant/ir';
import { f32, Func, Module, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import type { Backend } from '@tpu-quant/runtime';
import { createSession, getKernel } from '@tpu-quant/runtime';
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

async function compare(rows: Record<string, string | number>[], name: string, op: Op, inputs: (NdArray | undefined)[], macs: number, jsRuns = 20): Promise<void> {
  const js = await medianMs(() => runOp('js', op, inputs), jsRuns, 1);
  const wasm = await medianMs(() => runOp('wasm', op, inputs), 20, 3);
  rows.push({ benchmark: name, 'js ms': js, 'wasm ms': wasm, speedup: `${(js / wasm).toFixed(1)}x`, 'wasm GFLOP/s': (2 * macs) / wasm / 1e6 });
}

/** The wasm kernels register when the first wasm session is created (they are not in the public face). */
async function loadWasmKernels(): Promise<void> {
  const m = new Module('load');
  const t = tensorType([1], f32);
  const f = m.addFunc(new Func('main', { resultTypes: [t] }));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(t) }, {}, { loc: 'x' }).result();
  f.append(new Op('func.return', { operands: [x] }));
  await (await createSession(m, { backend: 'wasm' })).dispose();
}

/** Single-op benchmarks, js vs wasm; the wasm kernels load with the first wasm session. */
export async function kernelBenchmarks(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  await loadWasmKernels();
  const gemmW = rand([256, 256], 4);
  const gemm = oneOp([256, 256], (b, x) => top.matMul(b, { input: x, right: b.weight('r', gemmW) }, {}, { loc: 'y' }).result());
  await compare(rows, 'MatMul 256x256x256', gemm, [rand([256, 256], 5), gemmW], 256 ** 3);
  const c1 = conv([1, 96, 56, 56], 24, 1, 0, 1);
  await compare(rows, 'Conv 1x1 1x96x56x56 -> 24', ...c1, 96 * 24 * 56 * 56);
  const c3 = conv([1, 32, 112, 112], 32, 3, 1, 1);
  await compare(rows, 'Conv 3x3 1x32x112x112 -> 32', ...c3, 32 * 32 * 9 * 112 * 112, 5);
  const dw = conv([1, 144, 56, 56], 144, 3, 1, 144);
  await compare(rows, 'Depthwise 3x3 1x144x56x56', ...dw, 144 * 9 * 56 * 56);

  console.log(`kernel benchmarks — ${cpus().length} cores, node ${process.version}`);
  printTable(rows);
}
