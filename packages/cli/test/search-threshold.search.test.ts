// searchThreshold (@tpu-quant/mixprec) on the real lowering (chip-bm168x): one sample holds an
// outlier 200x the input's range, so MAX's input threshold turns the other samples' inputs into
// zeros and scores far below the clipping methods; the scores equal full runs of each table's
// INT8 model against the F16 reference (cos and snr by hand); KL is tuned only when tune_num > 0.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { dequantizeAll, getTarget, type NdArray } from '@tpu-quant/ir';
import { cos01, searchThreshold, snrLoss, type MethodTable } from '@tpu-quant/mixprec';
import { createSession } from '@tpu-quant/runtime';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import { biasNet, writeBiasNet } from './bias-fixture.js';

registerBm168x();

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-search-th-'));
let net: Awaited<ReturnType<typeof writeBiasNet>>;
beforeAll(async () => {
  net = await writeBiasNet(tmp, 6, 200);
}, 60_000);

async function outputs(mode: string, rows: MethodTable['scoredRows'] | undefined, samples: Map<string, NdArray>[]): Promise<NdArray[]> {
  const m = biasNet();
  getTarget('bm1684x').lower!(m, { mode, ...(rows ? { calibration: rows } : {}) });
  getTarget('bm1684x').kernels?.(m);
  const session = await createSession(m);
  const out: NdArray[] = [];
  for (const s of samples) out.push(dequantizeAll(m, (await session.run(s)).outputs).values().next().value!);
  await session.dispose();
  return out;
}

const calibration = (tuneNum: number) => ({ samples: { kind: 'npz' as const, entries: net.samples.map((_, i) => [join(tmp, 'data', `s${i}.npz`)]) }, tuneNum, histogramBinNum: 2048, statsThread: false });

describe('searchThreshold', () => {
  test('cos: the clipping methods beat MAX on a heavy tail; scores are the full runs\' mean cos01', async () => {
    const inference = net.samples.slice(0, 4);
    const lines: string[] = [];
    const r = await searchThreshold({ module: biasNet(), chip: 'bm1684x', calibration: calibration(0), inferenceSamples: inference, log: (l) => lines.push(l) });
    expect(r.tables.map((t) => t.name)).toEqual(['KL', 'MAX', 'Percentile9999', 'MSE']);
    expect(r.referenceMode).toBe('F16');
    expect(r.inferenceNumber).toBe(4);
    const byName = new Map(r.tables.map((t) => [t.name, t]));
    const max = byName.get('MAX')!;
    expect(max.rows.find((x) => x.name === 'x')!.threshold).toBeCloseTo(200, 4);
    expect(r.winner.name).not.toBe('MAX');
    expect(max.score).toBeLessThan(r.winner.score - 0.05);
    expect(r.winner.score).toBe(Math.max(...r.tables.map((t) => t.score)));
    // no tuning asked: no tuned KL table, every method scored on its untuned rows
    for (const t of r.tables) expect(t.tunedRows).toBeUndefined();
    const ref = await outputs('F16', undefined, inference);
    for (const t of r.tables) {
      const test = await outputs('INT8', t.scoredRows, inference);
      expect(t.score).toBeCloseTo(test.reduce((a, o, i) => a + cos01(o.data as Float32Array, ref[i]!.data as Float32Array), 0) / inference.length, 12);
    }
    expect(lines).toContain(`cos similarity scores: {${r.tables.map((t) => `'${t.name}': ${t.score}`).join(', ')}}`);
    expect(lines).toContain(`optimal_method_name: ${r.winner.name}, optimal_value: ${r.winner.score}`);
    expect(lines.at(-1)).toBe('success');
  }, 120_000);

  test('snr: 1 - the mean SNR loss; KL tuned when tune_num > 0 (and only KL)', async () => {
    const inference = net.samples.slice(0, 3);
    const r = await searchThreshold({ module: biasNet(), chip: 'bm1684x', calibration: calibration(2), inferenceSamples: inference, benchmarkMethod: 'snr' });
    const kl = r.tables[0]!;
    expect(kl.tunedRows).toBeDefined();
    expect(kl.scoredRows).toBe(kl.tunedRows);
    expect(r.tuneNumber).toBe(2);
    for (const t of r.tables.slice(1)) expect(t.tunedRows).toBeUndefined();
    const ref = await outputs('F16', undefined, inference);
    for (const t of r.tables) {
      const test = await outputs('INT8', t.scoredRows, inference);
      const loss = test.reduce((a, o, i) => a + snrLoss([o], [ref[i]!]), 0) / inference.length;
      expect(t.score).toBeCloseTo(1 - loss, 12);
    }
    expect(r.tables.find((t) => t.name === 'MAX')!.score).toBeLessThan(r.winner.score);
  }, 120_000);
});
