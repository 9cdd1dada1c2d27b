// The search_qtable / run_sensitive_layer engine (@tpu-quant/mixprec runSensitivitySearch) on the
// real bm1684x lowering: a deliberately INT8-sensitive layer ranks first and goes float, the mixed
// model beats all-INT8, the best threshold per layer is committed, an easy model stops at once;
// and a trial's cone run (runFrom on the cached baseline) equals a full run of the same mixed model
// bit for bit, which is what lets the search skip the unchanged part of the network.
import { describe, expect, test } from 'vitest';
import { f32, Func, getTarget, Module as IrModule, ndarray, Op, OpBuilder, stringAttr, tensorType, top, type Module, type NdArray } from '@tpu-quant/ir';
import { asF32, cachedRun, coneScore, runSensitivitySearch, weightedCos } from '@tpu-quant/mixprec';
import { createSession } from '@tpu-quant/runtime';
import { registerBm168x } from '@tpu-quant/chip-bm168x';
import { qtableNet, qtableRows, qtableSamples } from './qtable-fixture.js';
import { rand } from './seeded-rand.js';

registerBm168x();

// A branchy CNN with two outputs (fc, sum): x -> c1 (3x3, ReLU) -> c2 (depthwise 3x3) and c3 (1x1)
// -> sum -> sig -> mpool -> pool -> flat -> fc
function branchyCnn(): Module {
  const m = new IrModule('branchy', new Map([['module.state', stringAttr('TOP_F32')]]));
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 4, 8, 8], f32)) }, {}, { loc: 'x' }).result();
  const w = (name: string, shape: number[], seed: number, scale: number) => b.weight(name, ndarray('f32', shape, rand(shape.reduce((p, q) => p * q, 1), seed, scale)));
  const c1 = top.conv(b, { input: x, filter: w('w1', [8, 4, 3, 3], 1, 0.3), bias: w('b1', [8], 2, 0.1) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], do_relu: true }, { loc: 'c1' });
  const c2 = top.conv(b, { input: c1, filter: w('w2', [8, 1, 3, 3], 3, 0.5) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, { loc: 'c2' });
  const c3 = top.conv(b, { input: c1, filter: w('w3', [8, 8, 1, 1], 4, 0.4) }, { kernel_shape: [1, 1] }, { loc: 'c3' });
  const sum = top.add(b, { inputs: [c2, c3] }, {}, { loc: 'sum' });
  const sig = top.sigmoid(b, { input: sum }, {}, { loc: 'sig' });
  const mp = top.maxPool(b, { input: sig }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'mpool' });
  const p = top.avgPool(b, { input: mp }, { kernel_shape: [4, 4] }, { loc: 'pool' });
  const fl = top.flatten(b, { input: p }, { start_dim: 1 }, { loc: 'flat' });
  const fc = top.matMul(b, { input: fl, right: w('w4', [8, 5], 5, 1), bias: w('b4', [5], 6, 0.2) }, {}, { loc: 'fc' });
  f.resultTypes = [fc.result().type, sum.result().type];
  f.append(new Op('func.return', { operands: [fc.result(), sum.result()] }));
  return m;
}

// conv -> avg pool -> reshape -> softmax: the INT8 model keeps softmax f32 (output `prob`), the F16
// model's output is the cast `prob_f32` after it
function reshapeOutNet(): Module {
  const m = new IrModule('rnet', new Map([['module.state', stringAttr('TOP_F32')]]));
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 4, 8, 8], f32)) }, {}, { loc: 'x' }).result();
  const c1 = top.conv(b, { input: x, filter: b.weight('w1', ndarray('f32', [8, 4, 3, 3], rand(288, 1, 0.3))) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c1' });
  const p = top.avgPool(b, { input: c1 }, { kernel_shape: [8, 8] }, { loc: 'pool' });
  const fl = top.reshape(b, { input: p }, { shape: [1, 8] }, { loc: 'flat' });
  const prob = top.softmax(b, { input: fl }, { axis: 1 }, { loc: 'prob' });
  f.resultTypes = [prob.result().type];
  f.append(new Op('func.return', { operands: [prob.result()] }));
  return m;
}

type Rows = Awaited<ReturnType<typeof qtableRows>>;
const thresholds = (rows: Rows) => new Map(rows.map((r) => [r.name, r.threshold]));

function lowered(make: () => Module, rows: Rows, mode: string, q?: Map<string, string>): Module {
  const m = make();
  const t = getTarget('bm1684x');
  t.lower!(m, { mode, ...(mode === 'INT8' ? { calibration: rows } : {}), ...(q ? { quantizeTable: q } : {}) });
  t.kernels?.(m);
  return m;
}

async function fullOutputs(m: Module, samples: readonly Map<string, NdArray>[]): Promise<NdArray[][]> {
  const session = await createSession(m);
  const types = new Map(m.main.ops.flatMap((op) => op.results.filter((r) => r.name && r.type.kind === 'tensor').map((r) => [r.name!, r.type] as const)));
  const out: NdArray[][] = [];
  for (const s of samples) {
    const r = await session.run(s);
    out.push(m.main.outputs.map((v) => asF32(r.outputs.get(v.name!)!, types.get(v.name!) as never)));
  }
  await session.dispose();
  return out;
}

describe('runSensitivitySearch (search_qtable)', () => {
  // c2's tensor has a 300x threshold: INT8 hurts c2 (its output) and c3 (its input is c2's tensor
  // re-quantized with that threshold); both must go float for the outputs to recover
  test('the INT8-sensitive layers rank first, land in the qtable, and the mixed model beats all-INT8', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const lines: string[] = [];
    const r = await runSensitivitySearch({
      module: qtableNet(), chip: 'bm1684x', calibration: { rows }, methods: [{ name: 'MSE', thresholds: thresholds(rows) }], samples,
      maxFloatLayers: 2, kind: 'search_qtable', log: (l) => lines.push(l),
    });
    expect(r.outcome).toBe('searched');
    expect(r.allInt8Cos).toBeLessThan(0.99);
    expect(r.layers.map((l) => l.name)).toEqual(['c1', 'c2', 'c3', 'c4']); // op order; x stays f32 in the INT8 model
    const ranked = [...r.layers].sort((a, b) => b.loss - a.loss);
    expect(ranked.slice(0, 2).map((l) => l.name).sort()).toEqual(['c2', 'c3']);
    expect(ranked[1]!.loss).toBeGreaterThan(10 * ranked[2]!.loss);
    expect(r.floatLayers).toEqual(ranked.slice(0, 2).map((l) => l.name));
    expect(r.mixCos).toBeGreaterThan(r.allInt8Cos);
    expect(r.mixCos).toBeGreaterThan(0.99);
    expect(lines).toContain(`set_fp_layer_list = ['${ranked[0]!.name}', '${ranked[1]!.name}']`);
    expect(lines.find((l) => l.startsWith(`the layer ${ranked[0]!.name} is 0 sensitive layer, loss is `))).toBeDefined();
    // one baseline + per-layer trials (4) + one evaluation + reference + INT8: 8 lowerings
    expect(r.stats.trials).toBe(4);
    expect(r.stats.lowerings).toBe(8);
    // the reported cos is the cos of a full run of INT8 + that qtable
    const ref = await fullOutputs(lowered(qtableNet, rows, 'F16'), samples);
    const mixed = await fullOutputs(lowered(qtableNet, rows, 'INT8', new Map(r.floatLayers.map((l) => [l, 'F16']))), samples);
    const full = mixed.reduce((a, m, s) => a + weightedCos(m, ref[s]!), 0) / samples.length;
    expect(r.mixCos).toBe(full);
  }, 120_000);

  test('per layer the first strictly best method is committed (new_cali_table rows)', async () => {
    const samples = qtableSamples(4);
    const bad = await qtableRows(qtableNet(), samples, 300);
    const good = await qtableRows(qtableNet(), samples, 1);
    const lines: string[] = [];
    const r = await runSensitivitySearch({
      module: qtableNet(), chip: 'bm1684x', calibration: { rows: bad }, samples, maxFloatLayers: 1, kind: 'search_qtable', log: (l) => lines.push(l),
      methods: [{ name: 'KL', thresholds: thresholds(bad) }, { name: 'MAX', thresholds: thresholds(good) }, { name: 'MSE', thresholds: thresholds(good) }],
    });
    const c2 = r.layers.find((l) => l.name === 'c2')!;
    expect(c2.bestMethod).toBe('MAX'); // MSE gives the same threshold: same loss, not strictly better
    expect(c2.bestThreshold).toBe(good.find((x) => x.name === 'c2')!.threshold);
    expect(r.rows.find((x) => x.name === 'c2')!.threshold).toBe(c2.bestThreshold);
    // MSE's threshold equals MAX's everywhere, and KL's too but on c2: 4 + 3 trials reuse a loss
    expect(r.stats.reusedTrials).toBe(7);
    expect(r.stats.trials).toBe(12);
    expect(lines.filter((l) => l.startsWith('adjust layer c2 th, with method'))).toHaveLength(3);
  }, 120_000);

  test('with a tiny cache bound the INT8 cache is dropped during the trials and rebuilt: same result', async () => {
    const samples = qtableSamples(4);
    const rows = await qtableRows(qtableNet(), samples, 300);
    const opts = { module: qtableNet(), chip: 'bm1684x', calibration: { rows }, methods: [{ name: 'MSE', thresholds: thresholds(rows) }], samples, maxFloatLayers: 2, kind: 'search_qtable' as const };
    const kept = await runSensitivitySearch(opts);
    const lines: string[] = [];
    const dropped = await runSensitivitySearch({ ...opts, cacheBytes: 1, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.startsWith('the INT8 cache was dropped during the trials (memory) and rebuilt'))).toBe(true);
    expect(dropped.layers).toEqual(kept.layers);
    expect(dropped.floatLayers).toEqual(kept.floatLayers);
    expect(dropped.mixCos).toBe(kept.mixCos);
  }, 120_000);

  test('outputs pair by position: the INT8 and F16 models name their output differently', async () => {
    const samples = qtableSamples(2);
    const rows = await qtableRows(reshapeOutNet(), samples, 1);
    const r = await runSensitivitySearch({ module: reshapeOutNet(), chip: 'bm1684x', calibration: { rows }, methods: [{ name: 'MSE', thresholds: thresholds(rows) }], samples, expectedCos: 0.9999999, kind: 'search_qtable' });
    const ref = await fullOutputs(lowered(reshapeOutNet, rows, 'F16'), samples);
    const int8Model = lowered(reshapeOutNet, rows, 'INT8');
    expect(int8Model.main.outputs.map((v) => v.name)).not.toEqual(lowered(reshapeOutNet, rows, 'F16').main.outputs.map((v) => v.name));
    const int8 = await fullOutputs(int8Model, samples);
    expect(r.allInt8Cos).toBe(int8.reduce((a, m, s) => a + weightedCos(m, ref[s]!), 0) / samples.length);
    expect(r.outcome).toBe('searched');
  }, 60_000);

  test('an easy model stops at once with "no need for mix precsion"', async () => {
    const samples = qtableSamples(2);
    const rows = await qtableRows(qtableNet(), samples, 1);
    const lines: string[] = [];
    const r = await runSensitivitySearch({ module: qtableNet(), chip: 'bm1684x', calibration: { rows }, methods: [{ name: 'MSE', thresholds: thresholds(rows) }], samples, kind: 'search_qtable', log: (l) => lines.push(l) });
    expect(r.outcome).toBe('no-need');
    expect(r.floatLayers).toEqual([]);
    expect(lines.at(-1)).toMatch(/^job success, current int8 cos:0\.99\d+ is higher than expected_cos:0\.99,no need for mix precsion$/);
  }, 60_000);
});

describe('a cone run equals a full run of the same mixed model', () => {
  test('every per-layer trial of a branchy CNN (two outputs) on the all-float baseline, and a final mix on the INT8 cache: bit for bit', async () => {
    const make = branchyCnn;
    const samples = qtableSamples(2);
    const rows = await qtableRows(make(), samples, 1);
    const layers = ['c1', 'c2', 'c3', 'sum', 'sig', 'mpool', 'pool', 'flat', 'fc'];
    const all = new Map(layers.map((l) => [l, 'F16']));
    const baseModel = lowered(make, rows, 'INT8', all);
    const baseline = await cachedRun(baseModel, samples);
    const int8Model = lowered(make, rows, 'INT8');
    const int8 = await cachedRun(int8Model, samples);
    const ref = await fullOutputs(lowered(make, rows, 'F16'), samples);
    const check = async (model: () => Module, cache: Awaited<ReturnType<typeof cachedRun>>): Promise<number> => {
      const cone = await coneScore(model(), cache, ref, { keep: true });
      const full = await fullOutputs(model(), samples);
      const bytes = (a: NdArray) => { const d = a.data as Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };
      cone.tensors!.forEach((outs, s) => outs.forEach((t, i) => expect(bytes(t).equals(bytes(full[s]![i]!))).toBe(true)));
      return cone.roots;
    };
    const roots: number[] = [];
    for (const l of layers) {
      const q = new Map(all);
      q.delete(l);
      // the trial's own threshold differs from the baseline's table
      const trialRows = rows.map((r) => (r.name === l ? { ...r, threshold: r.threshold * 0.7 } : r));
      roots.push(await check(() => lowered(make, trialRows, 'INT8', q), baseline));
    }
    // the shape-only flatten follows its input's type, so its trial is the baseline itself (no root)
    expect(roots.filter((n) => n === 0)).toHaveLength(1);
    expect(roots[0]).toBeGreaterThan(0);
    await check(() => lowered(make, rows, 'INT8', new Map([['sum', 'F16'], ['c3', 'F16']])), int8);
  }, 120_000);
});
