// runBiasCorrection (@tpu-quant/mixprec) on the real lowering (chip-bm168x): c2's INT8 output is
// shifted per channel (bias-fixture.ts); the corrected bias moves its INT8 channel means onto the
// float ones and its layer cos rises; a correction that makes a layer worse is reverted; the cone
// run gives what a full run of the corrected model gives; the input module is left as it was.
import { describe, expect, test } from 'vitest';
import { dequantizeAll, getTarget, type Module, type NdArray } from '@tpu-quant/ir';
import { channelMeans, cos01, runBiasCorrection } from '@tpu-quant/mixprec';
import { createSession } from '@tpu-quant/runtime';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import { biasNet, biasRows, biasSamples } from './bias-fixture.js';

registerBm168x();

type Rows = Awaited<ReturnType<typeof biasRows>>;

/** c2's per-channel means (averaged over samples) and cos01 of the outputs, by a full run. */
async function fullRun(mode: string, rows: Rows, weights: Map<string, NdArray> | undefined, samples: Map<string, NdArray>[]): Promise<{ means: Float64Array; c2: NdArray[]; out: NdArray[] }> {
  const m: Module = biasNet();
  if (weights) m.weights = new Map(weights);
  getTarget('bm1684x').lower!(m, { mode, ...(mode === 'INT8' ? { calibration: rows } : {}) });
  getTarget('bm1684x').kernels?.(m);
  const session = await createSession(m);
  const means = new Float64Array(8);
  const c2: NdArray[] = [];
  const out: NdArray[] = [];
  for (const s of samples) {
    const r = await session.run(s, { capture: ['c2'] });
    const t = dequantizeAll(m, new Map([...r.tensors, ...r.outputs]));
    c2.push(t.get('c2')!);
    out.push(dequantizeAll(m, r.outputs).values().next().value!);
    channelMeans(t.get('c2')!).forEach((v, i) => (means[i]! += v / samples.length));
  }
  await session.dispose();
  return { means, c2, out };
}

const meanCos = (a: NdArray[], b: NdArray[]) => a.reduce((acc, t, i) => acc + cos01(t.data as Float32Array, b[i]!.data as Float32Array), 0) / a.length;
const gap = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + Math.abs(v - b[i]!), 0);

describe('runBiasCorrection', () => {
  test('c2 is corrected: its INT8 channel means move onto the float ones, layer and output cos rise', async () => {
    const samples = biasSamples(4);
    const rows = await biasRows(biasNet(), samples);
    const module = biasNet();
    const before = new Map([...module.weights].map(([k, v]) => [k, Float32Array.from(v.data as Float32Array)]));
    const lines: string[] = [];
    const r = await runBiasCorrection({ module, chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999, log: (l) => lines.push(l) });
    expect(r.outcome).toBe('searched'); // 0.9999 is not reached
    expect(r.referenceMode).toBe('F16');
    expect(r.allInt8Cos).toBeLessThan(0.999);
    expect(r.trials.map((t) => [t.op, t.applied])).toEqual([['c2', true]]); // c1, c3 are above 0.99
    const t = r.trials[0]!;
    expect(t.oldLayerCos).toBeLessThan(0.99);
    expect(t.layerCos).toBeGreaterThan(0.999);
    expect(r.bestCos).toBe(t.outputsCos);
    expect(r.bestCos).toBeGreaterThan(r.allInt8Cos);
    expect(r.changed).toEqual(['b2']);
    // the input module is untouched; the result shares every other weight
    for (const [k, v] of module.weights) expect(v.data).toEqual(before.get(k));
    for (const [k, v] of r.weights) if (k !== 'b2') expect(v).toBe(module.weights.get(k));

    // a full run of the corrected model: c2's INT8 means come within a tenth of their old gap to
    // the float means, and the cone run's numbers are the full run's
    const float = await fullRun('F16', rows, undefined, samples);
    const old = await fullRun('INT8', rows, undefined, samples);
    const fixed = await fullRun('INT8', rows, r.weights, samples);
    expect(gap(fixed.means, float.means)).toBeLessThan(gap(old.means, float.means) / 10);
    expect(meanCos(fixed.c2, float.c2)).toBeCloseTo(t.layerCos, 12);
    expect(meanCos(fixed.out, float.out)).toBeCloseTo(t.outputsCos, 12);
    expect(meanCos(old.out, float.out)).toBeCloseTo(r.allInt8Cos, 12);
    expect(lines).toContain(`op:c2 bias correction applied, layer_cos:${t.layerCos.toFixed(6)}, outputs_cos:${t.outputsCos.toFixed(6)} (old layer_cos:${t.oldLayerCos.toFixed(6)})`);
  }, 60_000);

  test('a correction that lowers its layer cos is reverted and leaves its bias as it was', async () => {
    const samples = biasSamples(4);
    // c1's threshold at 30% of its range: INT8 clips c1 (a scale-like error a bias cannot fix)
    const rows = await biasRows(biasNet(), samples, { c1: 0.3 });
    const r = await runBiasCorrection({ module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999 });
    const c1 = r.trials.find((t) => t.op === 'c1')!;
    expect(c1.oldLayerCos).toBeLessThan(0.99);
    expect(c1.applied).toBe(false);
    expect(c1.layerCos < c1.oldLayerCos || c1.outputsCos < r.allInt8Cos).toBe(true);
    expect(r.changed).not.toContain('b1');
    expect([...(r.weights.get('b1')!.data as Float32Array)]).toEqual([...(biasNet().weights.get('b1')!.data as Float32Array)]);
    // every trial follows the rule: applied unless outputs cos fell below the best so far or the layer got worse
    let best = r.allInt8Cos;
    for (const t of r.trials) {
      expect(t.applied).toBe(!(t.outputsCos < best || t.layerCos < t.oldLayerCos));
      if (t.applied) best = t.outputsCos;
    }
    expect(r.bestCos).toBe(best);
  }, 60_000);

  test('all_int8_cos above expected_cos: nothing to do, the weights are the module\'s', async () => {
    const samples = biasSamples(4);
    const rows = await biasRows(biasNet(), samples);
    const module = biasNet();
    const r = await runBiasCorrection({ module, chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.99 });
    expect(r.outcome).toBe('no-need');
    expect(r.trials).toEqual([]);
    expect(r.changed).toEqual([]);
    for (const [k, v] of module.weights) expect(r.weights.get(k)).toBe(v);
  }, 60_000);

  test('a bias weight two convs share is left alone (a correction would change the other conv too)', async () => {
    const samples = biasSamples(4);
    const rows = await biasRows(biasNet({ sharedBias: true }), samples);
    const r = await runBiasCorrection({ module: biasNet({ sharedBias: true }), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999, minLayerCos: 0.99999 });
    expect(r.allInt8Cos).toBeLessThan(0.999);
    expect(r.trials.map((t) => t.op)).not.toContain('c2');
    expect(r.trials.map((t) => t.op)).not.toContain('c3');
    expect(r.changed).not.toContain('b2');
  }, 60_000);

  test('expected_cos reached by a correction: success, the walk stops there', async () => {
    const samples = biasSamples(4);
    const rows = await biasRows(biasNet(), samples);
    const r = await runBiasCorrection({ module: biasNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.999, minLayerCos: 0.99999 });
    expect(r.outcome).toBe('success');
    expect(r.trials.at(-1)!.op).toBe('c2');
    expect(r.bestCos).toBeGreaterThan(0.999);
  }, 60_000);
});
