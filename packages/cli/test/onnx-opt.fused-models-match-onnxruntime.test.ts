// TPU-MLIR's OnnxOpt fusions keep the float results: a model made of PyTorch-style decomposed
// LayerNorm, GELU (erf and tanh forms), HardSigmoid and HardSwish chains imports as the fused
// top ops and runs (js and wasm backends) to what onnxruntime computes for the original graph;
// model_transform on tiny_vit leaves top.LayerNorm / top.GELU and passes its ORT comparison.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeOnnxModel, importOnnx, type AttributeProto, type NodeProto, type TensorProto } from '@tpu-quant/frontend-onnx';
import { ndarray, verifyModule, type Module } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import * as ort from 'onnxruntime-node';
import { asset, HAVE_ASSETS } from './assets.js';
import { runCli } from './run-cli.js';

const scalar = (name: string, v: number): NodeProto => ({
  op_type: 'Constant', input: [], output: [name], name,
  attribute: [{ name: 'value', type: 4, t: { name, dims: [], data_type: 1, float_data: [v] } }],
});
const n = (op: string, input: string[], out: string, attribute: AttributeProto[] = []): NodeProto => ({ op_type: op, input, output: [out], name: out, attribute });
const tensor = (name: string, dims: number[], f: (i: number) => number): TensorProto => ({
  name, dims, data_type: 1, float_data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

const OUTPUTS = ['ln', 'gelu1', 'gelu2', 'hsw', 'y'];

/** x[1,6,16] -> MatMul -> LayerNorm chain -> GELU (erf) -> MatMul -> GELU (tanh) -> HardSwish -> HardSigmoid. */
function chainsModel(): Uint8Array {
  const nodes: NodeProto[] = [
    n('MatMul', ['x', 'w0'], 'h0'),
    // LayerNorm over the last axis
    n('ReduceMean', ['h0'], 'mu', [{ name: 'axes', type: 7, ints: [-1] }]),
    n('Sub', ['h0', 'mu'], 'd'),
    scalar('two', 2), n('Pow', ['d', 'two'], 'p'),
    n('ReduceMean', ['p'], 'v', [{ name: 'axes', type: 7, ints: [-1] }]),
    scalar('eps', 1e-5), n('Add', ['v', 'eps'], 've'), n('Sqrt', ['ve'], 's'), n('Div', ['d', 's'], 'nrm'),
    n('Mul', ['nrm', 'g'], 'ng'), n('Add', ['ng', 'b'], 'ln'),
    // GELU, erf form
    scalar('sqrt2', Math.fround(Math.SQRT2)), n('Div', ['ln', 'sqrt2'], 'e0'), n('Erf', ['e0'], 'e1'),
    scalar('one', 1), n('Add', ['e1', 'one'], 'e2'), n('Mul', ['ln', 'e2'], 'e3'), scalar('half', 0.5), n('Mul', ['e3', 'half'], 'gelu1'),
    n('MatMul', ['gelu1', 'w1'], 'h1'),
    // GELU, tanh form
    n('Mul', ['h1', 'half'], 't0'), scalar('three', 3), n('Pow', ['h1', 'three'], 't1'),
    scalar('c1', 0.044715), n('Mul', ['t1', 'c1'], 't2'), n('Add', ['h1', 't2'], 't3'),
    scalar('c2', Math.sqrt(2 / Math.PI)), n('Mul', ['t3', 'c2'], 't4'), n('Tanh', ['t4'], 't5'),
    n('Add', ['t5', 'one'], 't6'), n('Mul', ['t0', 't6'], 'gelu2'),
    // HardSwish: x * relu6(x + 3) / 6, then HardSigmoid: relu6(x + 3) / 6
    scalar('zero', 0), scalar('six', 6),
    n('Add', ['gelu2', 'three'], 'a0'), n('Clip', ['a0', 'zero', 'six'], 'c0'), n('Mul', ['gelu2', 'c0'], 'm0'), n('Div', ['m0', 'six'], 'hsw'),
    n('Add', ['hsw', 'three'], 'a1'), n('Clip', ['a1', 'zero', 'six'], 'c1c'), n('Div', ['c1c', 'six'], 'y'),
  ];
  const wave = (k: number) => (i: number) => Math.sin(i * k) * 0.7;
  return encodeOnnxModel({
    ir_version: 7,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'chains',
      node: nodes,
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 1 }, { dim_value: 6 }, { dim_value: 16 }] } } } }],
      output: OUTPUTS.map((name) => ({ name })),
      initializer: [tensor('w0', [16, 16], wave(0.37)), tensor('g', [16], (i) => 0.5 + i / 16), tensor('b', [16], (i) => (i % 5) * 0.1 - 0.2), tensor('w1', [16, 16], (i) => (((i * 7) % 13) / 13 - 0.4) * 2.5)],
    },
  });
}

const input = ndarray('f32', [1, 6, 16], Float32Array.from({ length: 96 }, (_, i) => Math.cos(i * 0.53) * 2));

async function ortRun(bytes: Uint8Array): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', input.data as Float32Array, [1, 6, 16]) });
  await s.release();
  return OUTPUTS.map((o) => out[o]!.data as Float32Array);
}

async function ourRun(m: Module, backend: 'js' | 'wasm'): Promise<Float32Array[]> {
  const s = await createSession(m, { backend });
  const { outputs } = await s.run(new Map([[s.inputNames[0]!, input]]));
  return [...outputs.values()].map((a) => a.data as Float32Array);
}

/** Largest |a - b| relative to the largest |b|, per output. */
function relDiffs(a: Float32Array[], b: Float32Array[]): number[] {
  return b.map((ref, k) => {
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(a[k]![i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    return worst / scale;
  });
}

describe('OnnxOpt fusions keep the float results', () => {
  test.each(['js', 'wasm'] as const)('the fused chains model runs to onnxruntime\'s outputs on %s', async (backend) => {
    const bytes = chainsModel();
    const m = importOnnx(bytes, { modelName: 'chains' });
    verifyModule(m);
    const types = m.main.ops.map((o) => o.type);
    for (const t of ['top.LayerNorm', 'top.GELU', 'top.HardSwish', 'top.HardSigmoid']) expect(types, t).toContain(t);
    for (const t of ['top.Erf', 'top.Tanh', 'top.Sqrt', 'top.Reduce', 'top.Clip', 'top.Div']) expect(types, t).not.toContain(t);
    expect(m.main.ops.filter((o) => o.type === 'top.GELU').map((o) => `${o.name}`)).toEqual(['gelu1_GELU', 'gelu2_GELU']);
    // the spread of values the chains see (not all in one flat region of the activations)
    const ref = await ortRun(bytes);
    expect(Math.min(...ref[2]!)).toBeLessThan(-0.1);
    expect(Math.max(...ref[2]!)).toBeGreaterThan(1.5);
    const ours = await ourRun(m, backend);
    expect(ours.map((o) => o.length)).toEqual(ref.map((o) => o.length));
    // the decomposed and fused forms differ by float rounding only
    const d = relDiffs(ours, ref);
    console.log(`chains (${backend}): max |fused - onnxruntime| / max |ref| per output ${OUTPUTS.map((o, k) => `${o} ${d[k]!.toExponential(2)}`).join(', ')}`);
    for (const [k, o] of OUTPUTS.entries()) expect(d[k], o).toBeLessThan(1e-6);
    // and the unfused import agrees with the fused one as closely
    const plain = importOnnx(bytes, { modelName: 'chains', fusePatterns: false });
    expect(plain.main.ops.some((o) => o.type === 'top.GELU')).toBe(false);
    for (const v of relDiffs(await ourRun(plain, backend), ours)) expect(v).toBeLessThan(1e-6);
  }, 60_000);

  test.skipIf(!HAVE_ASSETS)('model_transform on tiny_vit leaves top.LayerNorm / top.GELU and passes the onnxruntime comparison', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tpuq-onnxopt-'));
    const mlir = join(tmp, 'tiny_vit.mlir');
    const r = runCli([
      'model_transform', '--model_name', 'tiny_vit', '--model_def', asset('models/torch-random/tiny_vit.onnx'),
      '--test_input', asset('models/torch-random/tiny_vit.input.npy'), '--test_result', join(tmp, 'tiny_vit_top_outputs.npz'), '--mlir', mlir,
    ], undefined, 120_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/npz compare PASSED\./);
    const text = readFileSync(mlir, 'utf8');
    const count = (t: string): number => text.split(`"${t}"`).length - 1;
    expect(count('top.LayerNorm')).toBe(9);
    expect(count('top.GELU')).toBe(4);
    expect(count('top.Erf') + count('top.Sqrt') + count('top.Reduce')).toBe(0);
    expect(text).toContain('loc("/enc/layers.0/norm1/Add_1_output_0_LayerNormalization")');
  }, 150_000);
});
