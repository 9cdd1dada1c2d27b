// runQtable (@tpu-quant/mixprec) on the real lowering (chip-bm168x, registered by the cli): the
// INT8-sensitive conv and its consumer go to F16 and the mixed model's outputs pass expected_cos;
// the mixed model's cos agrees with a full run of the model lowered from the written qtable.
import { describe, expect, test } from 'vitest';
import { parseQtable } from '@tpu-quant/calib';
import { dequantizeAll, getTarget } from '@tpu-quant/ir';
import { cos01, formatMixQtable, runQtable } from '@tpu-quant/mixprec';
import { createSession } from '@tpu-quant/runtime';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import { qtableNet, qtableRows, qtableSamples } from './qtable-fixture.js';

registerBm168x();

async function fullRunCos(rows: Awaited<ReturnType<typeof qtableRows>>, qtable: Map<string, string> | undefined, samples: ReturnType<typeof qtableSamples>): Promise<number> {
  const lowered = (mode: string, q?: Map<string, string>) => {
    const m = qtableNet();
    getTarget('bm1684x').lower!(m, { mode, ...(mode === 'INT8' ? { calibration: rows } : {}), ...(q ? { quantizeTable: q } : {}) });
    return m;
  };
  const ref = lowered('F16');
  const test = lowered('INT8', qtable);
  const [rs, ts] = [await createSession(ref), await createSession(test)];
  let cos = 0;
  for (const s of samples) {
    const a = dequantizeAll(ref, (await rs.run(s)).outputs);
    const b = dequantizeAll(test, (await ts.run(s)).outputs);
    cos += cos01([...b.values()][0]!.data as Float32Array, [...a.values()][0]!.data as Float32Array);
  }
  return cos / samples.length;
}

describe('runQtable', () => {
  test('the sensitive conv and its consumer go to F16; outputs_cos rises above expected_cos', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const lines: string[] = [];
    const r = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, log: (l) => lines.push(l) });
    expect(r.outcome).toBe('success');
    expect(r.mixMode).toBe('F16');
    expect(r.allInt8Cos).toBeLessThan(0.99);
    expect(r.floatLayers).toEqual(['c2', 'c3']);
    expect(r.mixCos).toBeGreaterThan(0.99);
    // c1 is fine in INT8 and visited first; c2 is the first below min_layer_cos
    expect(r.layerCos.map(([n]) => n)).toEqual(['c1', 'c2']);
    expect(r.layerCos[0]![1]).toBeGreaterThan(0.99);
    expect(r.layerCos[1]![1]).toBeLessThan(0.99);
    expect(r.maxFloatLayers).toBe(1); // 5 top ops (x, c1..c4) // 4
    // the cone run (runFrom on the cache) gives what a full run of the qtable's model gives
    const q = parseQtable(formatMixQtable({ time: new Date(), sampleNumber: 4, chip: 'bm1684x', mixMode: 'F16' }, r.floatLayers));
    expect(r.mixCos).toBeCloseTo(await fullRunCos(rows, q, samples), 12);
    expect(r.allInt8Cos).toBeCloseTo(await fullRunCos(rows, undefined, samples), 12);
    expect(lines).toContain('run float mode: F16');
  }, 60_000);

  test('more float layers than #top ops // 4 without reaching expected_cos: fail, the list kept', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const lines: string[] = [];
    const r = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, expectedCos: 0.9999999, log: (l) => lines.push(l) });
    expect(r.outcome).toBe('fail');
    expect(r.floatLayers).toEqual(['c2', 'c3']); // 2 > max 1
    expect(r.mixCos).toBeGreaterThan(r.allInt8Cos);
    expect(lines).toContain('job fail, the number of layers of F16 exceeded the maximum');
  }, 60_000);

  test('an easy model (honest table) stops at once: no need for mix precision', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 1);
    const lines: string[] = [];
    const r = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, log: (l) => lines.push(l) });
    expect(r.outcome).toBe('no-need');
    expect(r.floatLayers).toEqual([]);
    expect(r.allInt8Cos).toBeGreaterThan(0.99);
    expect(lines.at(-1)).toBe(`job success, current int8 cos:${r.allInt8Cos} is higher than expected_cos:0.99,no need for mix precsion`);
  }, 60_000);

  test('global_compare_layers: only ancestors of the compare layer are searched, on its cos', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    // c1 alone: nothing below it is sensitive, so INT8 is already good on it
    const r = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, globalCompareLayers: 'c1' });
    expect(r.outcome).toBe('no-need');
    const r2 = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, globalCompareLayers: 'c2:0.5,c4:0.5' });
    expect(r2.outcome).toBe('success');
    expect(r2.floatLayers).toEqual(['c2', 'c3']);
  }, 60_000);

  test('fp_type F32 on bm1684x: F32 layers; BF16 is refused as bm1684x does not mix it', async () => {
    const samples = qtableSamples(2);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const r = await runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, fpType: 'F32' });
    expect(r.mixMode).toBe('F32');
    expect(r.referenceMode).toBe('F16');
    await expect(runQtable({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, samples, fpType: 'BF16' })).rejects.toThrow(/fp_type BF16 is not a mixing float type of bm1684x/);
  }, 60_000);
});
