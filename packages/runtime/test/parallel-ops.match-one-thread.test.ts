// Intra-op threads: Conv and MatMul split across 3 threads give the one-thread result bit for bit
// (each thread runs the same kernel on a disjoint slice of the output), on awkward shapes; and
// the split plan covers every output element exactly once.
import { describe, expect, it } from 'vitest';
import type { NdArray, Value } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { buildPlan } from '../src/plan.js';
import { planSplits } from '../src/parallel/split.js';
import { samplesInline } from '../src/parallel/policy.js';
import '../src/kernels/wasm/index.js';
import type { Built } from './helpers/build.js';
import { finish, moduleWithInputs, random } from './helpers/build.js';

/** Equal element for element, NaN and the sign of zero included. */
function sameData(a: NdArray | undefined, b: NdArray | undefined): boolean {
  if (!a || !b || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

interface ConvCase {
  x: number[]; oc: number; k: number[]; s?: number[]; d?: number[]; p?: number[]; g?: number; bias?: boolean; relu?: number;
}
interface MatMulCase { a: number[]; b: number[]; rt?: boolean; bias?: boolean; relu?: number }

// each big enough to be split (the cost model's estimate is over 2 parts' worth)
const convs: ConvCase[] = [
  { x: [1, 67, 23, 29], oc: 75, k: [1, 1], bias: true, relu: 0 },                     // 1x1 direct, OC not a multiple of 4
  { x: [1, 19, 31, 27], oc: 33, k: [3, 3], p: [1, 1, 1, 1], bias: true, relu: 6 },     // im2col
  { x: [1, 13, 45, 47], oc: 37, k: [3, 3], s: [2, 2], p: [1, 0, 0, 1] },               // stride 2, asymmetric pads
  { x: [1, 30, 25, 23], oc: 45, k: [3, 3], p: [1, 1, 1, 1], g: 3, bias: true },        // groups split whole
  { x: [1, 96, 57, 55], oc: 96, k: [3, 3], s: [2, 2], p: [0, 0, 1, 1], g: 96, bias: true, relu: 6 }, // depthwise s2
  { x: [1, 40, 33, 35], oc: 40, k: [5, 5], d: [2, 2], p: [4, 3, 4, 5], g: 40 },       // depthwise dilated
  { x: [2, 24, 21, 19], oc: 29, k: [3, 3], p: [1, 1, 1, 1], bias: true },              // batch 2: parts loop over images
  { x: [2, 48, 20, 20], oc: 48, k: [3, 3], p: [1, 1, 1, 1], g: 48, relu: 0 },          // depthwise batch 2
  { x: [1, 1283, 1, 1], oc: 1001, k: [1, 1], bias: true },                             // one output position (GEMV)
  { x: [1, 81, 27, 29], oc: 52, k: [1, 1], p: [1, 0, 2, 1], bias: true },              // padded 1x1: im2col
  { x: [1, 48, 301], oc: 40, k: [5], s: [2], p: [2, 1], bias: true },                  // 1-D
];

const matmuls: MatMulCase[] = [
  { a: [97, 512], b: [512, 130], bias: true, relu: 0 },     // rows
  { a: [3, 37, 256], b: [256, 200] },                        // batched rows, parts across batches
  { a: [1, 1280], b: [1280, 1001], bias: true },             // one row: columns (gathered once)
  { a: [1, 1280], b: [1001, 1280], rt: true, bias: true },   // one row, transposed right side: rows of it
  { a: [1, 64, 7, 7], b: [3136, 515], relu: 0.5 },           // left flattened to one row
];

function addConv(b: Built, x: Value, c: ConvCase, i: number): Value {
  const g = c.g ?? 1;
  const w = b.b.weight(`w${i}`, random([c.oc, c.x[1]! / g, ...c.k], 100 + i));
  const bias = c.bias ? b.b.weight(`b${i}`, random([c.oc], 200 + i)) : undefined;
  const n = c.k.length;
  return top.conv(b.b, { input: x, filter: w, ...(bias ? { bias } : {}) }, {
    kernel_shape: c.k, strides: c.s ?? new Array<number>(n).fill(1), dilations: c.d ?? new Array<number>(n).fill(1),
    pads: c.p ?? new Array<number>(2 * n).fill(0), group: g,
    ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
  }, { loc: `conv${i}` }).result();
}

function addMatMul(b: Built, x: Value, c: MatMulCase, i: number): Value {
  const n = c.rt ? c.b[0]! : c.b[1]!;
  const bias = c.bias ? b.b.weight(`mb${i}`, random([n], 300 + i)) : undefined;
  return top.matMul(b.b, { input: x, right: b.b.weight(`r${i}`, random(c.b, 400 + i)), ...(bias ? { bias } : {}) }, {
    right_transpose: c.rt ?? false,
    ...(c.relu !== undefined ? { do_relu: true, relu_limit: c.relu > 0 ? c.relu : -1 } : {}),
  }, { loc: `matmul${i}` }).result();
}

/** One module holding every case as an independent op (one session start for all of them). */
function allCases() {
  const shapes = [...convs.map((c) => c.x), ...matmuls.map((c) => c.a)];
  const b = moduleWithInputs(shapes);
  const outs = [
    ...convs.map((c, i) => addConv(b, b.inputs[i]!, c, i)),
    ...matmuls.map((c, i) => addMatMul(b, b.inputs[convs.length + i]!, c, i)),
  ];
  const module = finish(b, outs);
  const inputs: Record<string, NdArray> = {};
  shapes.forEach((s, i) => (inputs[`x${i}`] = random(s, 500 + i)));
  return { module, inputs };
}

describe('intra-op threads', () => {
  it('split Conv and MatMul equal one thread, bit for bit', async () => {
    const { module, inputs } = allCases();
    const one = await createSession(module);
    const want = await one.run(inputs);
    // workers compute every part they are given (the caller takes none over, however busy the machine)
    process.env.TPUQ_TEST_NO_STEAL = '1';
    const three = await createSession(module, { threads: 3 });
    delete process.env.TPUQ_TEST_NO_STEAL;
    try {
      await three.ready();
      for (let run = 0; run < 2; run++) {
        const got = await three.run(inputs);
        expect(three.stats().splitOps).toBe(convs.length + matmuls.length);
        for (const [name, v] of want.outputs) expect(sameData(got.outputs.get(name), v), `${name}, run ${run}`).toBe(true);
      }
      // capture and runFrom go through the same split ops
      const all = await three.run(inputs, { capture: 'all' });
      for (const [name, v] of want.outputs) expect(sameData(all.tensors.get(name), v), name).toBe(true);
      const from = await three.runFrom('conv4', all.tensors);
      expect(sameData(from.outputs.get('conv4'), want.outputs.get('conv4'))).toBe(true);
    } finally {
      await three.dispose();
    }
  });

  it('runs an op whose weight is overridden on one thread, with the override', async () => {
    const { module, inputs } = allCases();
    const double = (v: NdArray): NdArray => ({ ...v, data: (v.data as Float32Array).map((e) => 2 * e) });
    const overrides = new Map([['w0', double]]);
    const want = await (await createSession(module)).run(inputs, { overrides });
    const s = await createSession(module, { threads: 2 });
    try {
      await s.ready();
      const got = await s.run(inputs, { overrides });
      expect(s.stats().splitOps).toBe(convs.length + matmuls.length - 1);
      expect(sameData(got.outputs.get('conv0'), want.outputs.get('conv0'))).toBe(true);
    } finally {
      await s.dispose();
    }
  });

  it('plans parts that cover each output element once', () => {
    const { module } = allCases();
    const plan = buildPlan(module, 'wasm');
    for (const threads of [2, 3, 5, 16]) {
      const splits = planSplits(plan, module.weights, threads);
      expect(splits.map((s) => s.op.name)).toEqual([...convs.map((_, i) => `conv${i}`), ...matmuls.map((_, i) => `matmul${i}`)]);
      for (const s of splits) {
        expect(s.parts.length).toBeGreaterThanOrEqual(2);
        expect(s.parts.length).toBeLessThanOrEqual(threads);
        const seen = new Uint8Array(s.yShape.reduce((a, b) => a * b, 1));
        for (const p of s.parts) {
          const n = p.y.shape.reduce((a, b) => a * b, 1);
          for (let c = 0; c < p.count; c++) for (let e = 0; e < n; e++) seen[p.y.offset + c * p.y.stride + e]!++;
        }
        expect(seen.every((v) => v === 1), `${s.op.name} over ${threads} threads`).toBe(true);
      }
    }
  });

  it('splits nothing small, and nothing with one thread', () => {
    const b = moduleWithInputs([[1, 8, 8, 8]]);
    const y = addConv(b, b.inputs[0]!, { x: [1, 8, 8, 8], oc: 8, k: [3, 3], p: [1, 1, 1, 1] }, 0);
    const m = finish(b, [y]);
    expect(planSplits(buildPlan(m, 'wasm'), m.weights, 8)).toEqual([]);
    const big = allCases().module;
    expect(planSplits(buildPlan(big, 'wasm'), big.weights, 1)).toEqual([]);
  });
});

describe('runBatch with threads', () => {
  it('sends whole rounds to sample workers and a short last round intra-op', () => {
    expect(samplesInline(1, 2, true)).toBe(1);
    expect(samplesInline(8, 2, true)).toBe(0);
    expect(samplesInline(5, 2, true)).toBe(1);
    expect(samplesInline(2, 4, true)).toBe(2);
    expect(samplesInline(3, 4, true)).toBe(0); // 3 samples at once beat 3 one after another on 4 threads
    expect(samplesInline(5, 2, false)).toBe(0);
  });
});
