// convert-top-to-tpu on a small calibrated module (Conv+ReLU6, depthwise Conv, Add, AvgPool,
// Flatten, MatMul, Softmax, and a Sigmoid through a LUT): the structure of the lowered module, and
// its outputs on the js runtime against the float module within the quantization error.
import { describe, expect, it } from 'vitest';
import { f16, getPass, getTarget, ndarray, printMlir, parseMlir, runPipeline, type Module } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { importCalibration, propagateCalibration, lowerTopToTpu, type CalibrationRow } from '../src/index.js';
import { Graph, rand, smallCnn, top } from './helpers.js';

const build = (): Module => smallCnn({ softmax: true });

const input = rand(4 * 64, 7, 2);

/** A calibration table from the float run on the input itself: threshold = max |x|. */
async function calibrate(m: Module): Promise<CalibrationRow[]> {
  const s = await createSession(m, { backend: 'js' });
  const r = await s.run({ x: ndarray('f32', [1, 4, 8, 8], input) }, { capture: 'all' });
  const rows: CalibrationRow[] = [];
  for (const [name, t] of r.tensors) {
    const d = t.data as Float32Array;
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of d) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    rows.push({ name, threshold: Math.max(Math.abs(mn), Math.abs(mx)), min: mn, max: mx });
  }
  return rows;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

describe('convert-top-to-tpu{chip=bm1684x mode=INT8}', () => {
  it('is registered as a pass and as the lower hook of the BM1684X family', () => {
    expect(getPass('convert-top-to-tpu')).toBeDefined();
    for (const c of ['bm1684x', 'bm1688', 'bm1690', 'cv186x']) expect(getTarget(c).lower).toBeTypeOf('function');
    expect(getTarget('cv183x').lower).toBeUndefined();
  });

  it('lowers every op of the slice to INT8 and matches the float module within the quantization error', async () => {
    const float = build();
    const rows = await calibrate(float);
    const m = build();
    importCalibration(m, rows);
    propagateCalibration(m);
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
    const types = m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');
    expect(types).toEqual([
      'top.Input', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Add', 'tpu.Lut', 'tpu.Pool2D', 'tpu.Reshape',
      'tpu.MatMul', 'tpu.Cast', 'tpu.Softmax',
    ]);
    const text = printMlir(m);
    expect(text).toContain('module.state = "TPU_LOWERED"');
    expect(text).toContain('!quant.uniform<u8:f32');
    expect(text).toMatch(/"tpu.Conv2D".*multiplier = \[/);
    // prints and parses back
    expect(parseMlir(text, 'lowered').main.ops.length).toBe(m.main.ops.length);

    const x = { x: ndarray('f32', [1, 4, 8, 8], input) };
    const ref = await (await createSession(float, { backend: 'js' })).run(x, { capture: 'all' });
    const got = await (await createSession(m, { backend: 'js' })).run(x, { capture: 'all' });
    // int8 tensors hold integer codes in range
    const c1 = got.tensors.get('c1')!.data as Float32Array;
    expect([...c1].every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const logits = got.outputs.get('fc_f32')!.data as Float32Array;
    const refLogits = ref.outputs.get('fc')!.data as Float32Array;
    expect(cosine(logits, refLogits)).toBeGreaterThan(0.99);
    const fcScale = Math.max(...rows.filter((r) => r.name === 'fc').map((r) => r.threshold)) / 127;
    for (let i = 0; i < 5; i++) expect(Math.abs(logits[i]! - refLogits[i]!)).toBeLessThan(8 * fcScale);
    const prob = got.outputs.get('prob')!.data as Float32Array;
    expect(cosine(prob, ref.outputs.get('prob')!.data as Float32Array)).toBeGreaterThan(0.99);
  });

  it('keeps unsupported ops float with casts around them, and refuses what it cannot do', async () => {
    const g = new Graph([1, 2, 4, 4]);
    // Erf has no INT8 lowering here (Exp became a LUT with the detection-model ops)
    const ex = top.erf(g.b, { input: g.x }, {}, { loc: 'e' });
    const w = g.weight('w', ndarray('f32', [2, 2, 1, 1], rand(4, 9)));
    const c = top.conv(g.b, { input: ex, filter: w }, { kernel_shape: [1, 1] }, { loc: 'c' });
    const m = g.finish(c.result()).module;
    expect(() => lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' })).toThrow(/calibrated module/);
    importCalibration(m, [
      { name: 'x', threshold: 2, min: -2, max: 2 },
      { name: 'e', threshold: 1, min: -1, max: 1 },
      { name: 'c', threshold: 5, min: -5, max: 5 },
    ]);
    expect(() => lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT4' })).toThrow(/not lowered yet/);
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' });
    expect(rep.int8).toBe(1);
    expect(rep.float.get('top.Erf')).toBe(1);
    const types = m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');
    // the fallback computes in the chip's float type for mixing (F16 on bm1684x, deploy.md §3.8)
    expect(types).toEqual(['top.Input', 'tpu.Cast', 'top.Erf', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Cast']);
    expect(m.main.ops.find((o) => o.type === 'top.Erf')!.result().type).toEqual(expect.objectContaining({ element: f16 }));
  });
});
