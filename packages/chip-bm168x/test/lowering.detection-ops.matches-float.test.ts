// convert-top-to-tpu INT8 on a small calibrated module built from the ops of the detection / OCR
// models (YOLOX's Focus slices and Concat, Conv+BatchNorm+Relu, x·sigmoid(x), MulConst,
// Upsample, Pad, Permute, HardSigmoid, Sub/Add with constants, a conv scaled by a constant,
// AddConst, Gather of one index, Exp, Deconv): every op becomes an INT8 tpu op, the structure is TPU-MLIR's (MulShift before a Concat
// input of another scale, Deconv → RequantIntAxis, BatchNorm and a scalar Mul folded into their Conv), and the outputs match the
// float module within the quantization error.
import { describe, expect, it } from 'vitest';
import { ndarray, parseMlir, printMlir, runPipeline, type Module } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { importCalibration, propagateCalibration, type CalibrationRow } from '../src/index.js';
import { Graph, rand, top } from './helpers.js';

function build(): Module {
  const g = new Graph([1, 2, 8, 8]);
  const b = g.b;
  const w = (name: string, shape: number[], seed: number, scale = 0.5, offset = 0) => g.weight(name, ndarray('f32', shape, rand(shape.reduce((p, d) => p * d, 1), seed, scale, offset)));
  // Focus: four strided slices joined on channels
  const sl = (name: string, oy: number, ox: number) => {
    const a = top.slice(b, { input: g.x }, { offset: [oy], ends: [2147483647], steps: [2], axes: [2] }, { loc: `${name}_h` });
    return top.slice(b, { input: a }, { offset: [ox], ends: [2147483647], steps: [2], axes: [3] }, { loc: name });
  };
  const focus = top.concat(b, { inputs: [sl('s00', 0, 0), sl('s10', 1, 0), sl('s01', 0, 1), sl('s11', 1, 1)] }, { axis: 1 }, { loc: 'focus' });
  // Conv → BatchNorm → Relu
  const c1 = top.conv(b, { input: focus, filter: w('w1', [8, 8, 3, 3], 1, 0.3), bias: w('b1', [8], 2, 0.1) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c1' });
  const bn = top.batchNorm(b, { input: c1, mean: w('mean', [8], 3, 0.2), variance: w('var', [8], 4, 0.3, 1), gamma: w('gamma', [8], 5, 0.5, 1), beta: w('beta', [8], 6, 0.2) }, {}, { loc: 'bn' });
  const r = top.relu(b, { input: bn }, {}, { loc: 'relu' });
  // SiLU as x·sigmoid(x) of another conv
  const c2 = top.conv(b, { input: r, filter: w('w2', [8, 1, 3, 3], 7, 0.6), bias: w('b2', [8], 8, 0.2) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, { loc: 'c2' });
  const sg = top.sigmoid(b, { input: c2 }, {}, { loc: 'sig' });
  const silu = top.mul(b, { inputs: [c2, sg] }, {}, { loc: 'silu' });
  const half = top.mulConst(b, { input: silu }, { const_val: 0.5 }, { loc: 'half' });
  const up = top.upsample(b, { input: half }, { scale_h: 2, scale_w: 2 }, { loc: 'up' });
  const pd = top.pad(b, { input: up }, { paddings: [0, 0, 1, 0, 0, 0, 0, 1], val: 0 }, { loc: 'pad' });
  const pm = top.permute(b, { input: pd }, { order: [0, 1, 3, 2] }, { loc: 'perm' });
  const hs = top.hardSigmoid(b, { input: pm }, { alpha: 0.2, beta: 0.5 }, { loc: 'hsig' });
  const sub = top.sub(b, { inputs: [hs, w('sub_c', [1, 8, 1, 1], 9, 0.4)] }, {}, { loc: 'sub' });
  const add = top.add(b, { inputs: [sub, w('add_c', [1, 8, 1, 1], 10, 0.3)] }, {}, { loc: 'add' });
  // a conv scaled by a one-element constant (folds into the conv), then + a one-element constant (AddConst)
  const c3 = top.conv(b, { input: add, filter: w('w3', [8, 8, 1, 1], 14, 0.4), bias: w('b3', [8], 15, 0.1) }, { kernel_shape: [1, 1] }, { loc: 'c3' });
  const sc = top.mul(b, { inputs: [c3, g.weight('s3', ndarray('f32', [1], Float32Array.of(0.75)))] }, {}, { loc: 'scaled' });
  const sh = top.add(b, { inputs: [sc, g.weight('t3', ndarray('f32', [1], Float32Array.of(0.4)))] }, {}, { loc: 'shifted' });
  // Concat of inputs with different ranges (a MulShift requantizes one), Gather of one channel, Exp
  const cat = top.concat(b, { inputs: [sh, pm] }, { axis: 1 }, { loc: 'cat' });
  const gth = top.gather(b, { input: cat, indices: g.weight('idx', ndarray('f32', [1], Float32Array.of(3))) }, { axis: 1 }, { loc: 'gather' });
  const ex = top.exp(b, { input: gth }, {}, { loc: 'exp' });
  // Deconv ×2 upscaling of the Relu output
  const dc = top.deconv(b, { input: r, filter: w('wd', [3, 8, 2, 2], 11, 0.4), bias: w('bd', [3], 12, 0.1) }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { loc: 'deconv' });
  return g.finish(ex.result(), dc.result()).module;
}

const input = rand(2 * 64, 13, 2);

async function calibrate(m: Module): Promise<CalibrationRow[]> {
  const s = await createSession(m, { backend: 'js' });
  const r = await s.run({ x: ndarray('f32', [1, 2, 8, 8], input) }, { capture: 'all' });
  const rows: CalibrationRow[] = [];
  for (const [name, t] of r.tensors) {
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of t.data as Float32Array) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    rows.push({ name, threshold: Math.max(Math.abs(mn), Math.abs(mx)), min: mn, max: mx });
  }
  return rows;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

describe('convert-top-to-tpu INT8: the ops of the detection / OCR models', () => {
  it('lowers every op to INT8 with TPU-MLIR structure and matches the float module', async () => {
    const float = build();
    const rows = await calibrate(float);
    const m = build();
    importCalibration(m, rows);
    propagateCalibration(m);
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    const ops = m.main.ops.filter((o) => !['top.Weight', 'top.None', 'func.return'].includes(o.type));
    expect(ops.filter((o) => o.type.startsWith('top.')).map((o) => o.type)).toEqual(['top.Input']);
    const count = (t: string) => ops.filter((o) => o.type === t).length;
    expect(count('tpu.Slice')).toBe(9); // 8 Focus slices + the Gather
    expect(count('tpu.Concat')).toBe(2);
    expect(count('tpu.Conv2D')).toBe(3);
    expect(count('tpu.AddConst')).toBe(1);
    expect(count('tpu.Mul')).toBe(1);
    expect(count('tpu.Sub')).toBe(1);
    expect(count('tpu.Add')).toBe(1);
    expect(count('tpu.Deconv')).toBe(1);
    expect(count('tpu.RequantIntAxis')).toBe(1);
    expect(count('tpu.Lut')).toBe(4); // relu, sigmoid, hardsigmoid, exp
    // MulConst → MulShift; the Concat input `shifted` has its own range → `shifted_to_cat`
    const mulShifts = ops.filter((o) => o.type === 'tpu.MulShift').map((o) => o.name);
    expect(mulShifts).toContain('half');
    expect(mulShifts.some((n) => n?.endsWith('_to_cat'))).toBe(true);
    // the scalar Mul after c3 folded into it: the conv produces `scaled`
    expect(ops.find((o) => o.type === 'tpu.Conv2D' && o.name === 'scaled')).toBeDefined();
    // the BatchNorm folded into c1: the conv now produces the BatchNorm's tensor
    expect(ops.find((o) => o.type === 'tpu.Conv2D' && o.name === 'bn')).toBeDefined();
    expect(ops.find((o) => o.type === 'tpu.Deconv')!.result().type).toMatchObject({ element: { kind: 'int', width: 32 } });
    const text = printMlir(m);
    expect(parseMlir(text, 'lowered').main.ops.length).toBe(m.main.ops.length);

    const x = { x: ndarray('f32', [1, 2, 8, 8], input) };
    const ref = await (await createSession(float, { backend: 'js' })).run(x, {});
    const got = await (await createSession(m, { backend: 'js' })).run(x, { capture: 'all' });
    // int8 tensors hold integer codes in range
    for (const name of ['focus', 'bn', 'silu', 'cat', 'gather']) {
      expect([...(got.tensors.get(name)!.data as Float32Array)].every((v) => Number.isInteger(v) && v >= -128 && v <= 255)).toBe(true);
    }
    const exp = got.outputs.get('exp_f32')!.data as Float32Array;
    const refExp = ref.outputs.get('exp')!.data as Float32Array;
    expect(cosine(exp, refExp)).toBeGreaterThan(0.99);
    const dc = got.outputs.get('deconv_f32')!.data as Float32Array;
    const refDc = ref.outputs.get('deconv')!.data as Float32Array;
    expect(cosine(dc, refDc)).toBeGreaterThan(0.99);
    // each deconv output within a few output steps of the float value
    const dcStep = rows.find((r) => r.name === 'deconv')!.threshold / 127;
    for (let i = 0; i < dc.length; i++) expect(Math.abs(dc[i]! - refDc[i]!)).toBeLessThan(6 * dcStep);
  });
});
