// Cold-start cost of a re-lowered model (what each mixed-precision search candidate pays): wall
// times of lowerFresh, createSession and the runs of the INT8 model and of one-layer-F16 mixed
// models (capture: 'all' as run_qtable used to), then the per-candidate loop in CPU time (steadier on
// a shared machine): lower, session, one cone run per sample packed by runPacked, the same runs
// again; BEFORE=1 turns the content caches off and captures as before (the lowering memo stays).
// Usage: node --conditions=@tpu-quant/source --import tsx tools/bench/src/cold-runs.ts MLIR TABLE LIST [layer]
import { readFile } from 'node:fs/promises';
import { calibrationData, parseCaliTable, selectSamples } from '@tpu-quant/calib';
import '@tpu-quant/chip-bm168x';
import { loadNpz, parseMlir, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { lowerFresh, TopSource } from '../../../packages/mixprec/src/run-qtable/lowering.js';
import { changedOps, ModelCache, packRun, runAll, typesOf } from '../../../packages/mixprec/src/run-qtable/model-state.js';

const [mlir, tablePath, listPath, layerArg] = process.argv.slice(2);
const ms = (t: number): string => (performance.now() - t).toFixed(0);

const module = parseMlir(await readFile(mlir!, 'utf8'), mlir!);
const wf = module.attrs.get('module.weight_file');
if (wf?.kind === 'string') module.weights = await loadNpz(mlir!.replace(/[^/]*$/, '') + wf.value.replace(/^.*\//, ''));
const table = parseCaliTable(await readFile(tablePath!, 'utf8'), tablePath!);
const cal = { rows: table.rows, asymOps: table.asymOps };
const list = await selectSamples({ dataList: listPath, inputNum: 2 });
const samples: Map<string, NdArray>[] = [];
for await (const s of calibrationData(list, module, { limit: 2 }).samples()) samples.push(s);
const source = new TopSource(module);
const line: string[] = [];
const rec = (k: string, v: string): void => { line.push(`${k}=${v}`); console.log(`${k}: ${v} ms`); };

let t = performance.now();
const int8 = lowerFresh(source, 'bm1684x', { mode: 'INT8', calibration: cal });
rec('lower int8 #1', ms(t));
t = performance.now();
lowerFresh(source, 'bm1684x', { mode: 'INT8', calibration: cal });
rec('lower int8 #2', ms(t));
t = performance.now();
const cache = new ModelCache(int8, await runAll(int8, samples));
rec('runAll int8 (2 samples, capture all, incl. session)', ms(t));

for (let k = 0; k < 2; k++) {
const s8 = await createSession(int8);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  await s8.run(new Map(samples[0]!));
  rec(`int8 warm run no capture #${i}`, ms(t));
}
for (let i = 0; i < 2; i++) {
  t = performance.now();
  await s8.run(new Map(samples[0]!), { capture: 'all' });
  rec(`int8 run capture all #${i}`, ms(t));
}
await s8.dispose();
}

const convs = module.main.ops.filter((o) => o.type === 'top.Conv');
const picks = layerArg ? [layerArg] : [1, 2, 3, 4, 5, 6].map((k) => convs[Math.floor((convs.length * k) / 8)]!.name!);
for (const layer of picks) {
const consumers = [...new Set(module.main.ops.filter((o) => o.operands.some((v) => v.name === layer)).map((o) => o.name!))];
const qtable = new Map([layer, ...consumers].map((l) => [l, 'F16']));
for (let rep = 0; rep < 1; rep++) {
  t = performance.now();
  const mixed: Module = lowerFresh(source, 'bm1684x', { mode: 'INT8', calibration: cal, quantizeTable: qtable });
  rec(`[${rep}] lower mixed (${layer})`, ms(t));
  const roots = changedOps(mixed, cache.sigs);
  t = performance.now();
  const sess = await createSession(mixed);
  rec(`[${rep}] createSession mixed`, ms(t));
  const types = typesOf(mixed);
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    const r = await sess.runFrom(roots, cache.acts[i % samples.length]!, { capture: 'all' });
    const t2 = performance.now();
    packRun(types, new Map([...r.tensors, ...r.outputs]));
    if (i === 0) console.log('  first: ' + [...sess.stats().byOpType].filter(([, v]) => v.ms > 5).map(([k, v]) => `${k}:${v.count}/${v.ms.toFixed(0)}`).join(' '));
    rec(`[${rep}] runFrom capture all #${i} (${roots.length} roots, ${r.tensors.size} captured; +pack ${(performance.now() - t2).toFixed(0)})`, (t2 - t).toFixed(0));
  }
  t = performance.now();
  await sess.runFrom(roots, cache.acts[0]!);
  rec(`[${rep}] runFrom no capture`, ms(t));
  const st = sess.stats();
  console.log('  warm: ' + [...st.byOpType].filter(([, v]) => v.ms > 5).map(([k, v]) => `${k}:${v.count}/${v.ms.toFixed(0)}`).join(' '));
  console.log(`  steps ${st.steps}, op ms ${st.ms.toFixed(0)}`);
  await sess.dispose();
}
}

// the search's per-candidate loop over many layers: lower, session, one cone run per sample (packed),
// then the same runs again (warm); BEFORE=1 turns the caches off and captures as before (capture: 'all' + packRun)
const nCand = Number(process.env.CANDIDATES ?? 12);
const { runPacked } = await import('../../../packages/mixprec/src/run-qtable/model-state.js');
const { setSpareBufferBytes } = await import('../../../packages/runtime/src/buffers.js');
const { setPreparedCacheBytes } = await import('../../../packages/chip-bm168x/src/kernels/wasm-conv2d.js');
const before = Boolean(process.env.BEFORE);
if (before) {
  setSpareBufferBytes(0);
  setPreparedCacheBytes(0);
}
/** Process CPU time (user + system), ms: steadier than wall time on a shared machine. */
const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const best = { lower: Infinity, session: Infinity, first: Infinity, again: Infinity, total: Infinity };
for (let rep = 0; rep < 3; rep++) {
  const tl = cpuNow();
  const sum = { lower: 0, session: 0, first: 0, again: 0, total: 0 };
  for (let k = 0; k < nCand; k++) {
    const layer = convs[Math.floor((convs.length * k) / nCand)]!.name!;
    const cons = [...new Set(module.main.ops.filter((o) => o.operands.some((v) => v.name === layer)).map((o) => o.name!))];
    let t0 = cpuNow();
    const mixed = lowerFresh(source, 'bm1684x', { mode: 'INT8', calibration: cal, quantizeTable: new Map([layer, ...cons].map((l) => [l, 'F16'])) });
    sum.lower += cpuNow() - t0;
    t0 = cpuNow();
    const roots = changedOps(mixed, cache.sigs);
    const sess = await createSession(mixed);
    sum.session += cpuNow() - t0;
    const types = typesOf(mixed);
    for (const phase of ['first', 'again'] as const) {
      t0 = cpuNow();
      for (let s = 0; s < samples.length; s++) {
        if (before) {
          const r = await sess.runFrom(roots, cache.acts[s]!, { capture: 'all' });
          packRun(types, new Map([...r.tensors, ...r.outputs]));
        } else await runPacked(sess, types, { roots, cached: cache.acts[s]! });
      }
      sum[phase] += cpuNow() - t0;
    }
    await sess.dispose();
  }
  sum.total = cpuNow() - tl;
  for (const k of Object.keys(best) as (keyof typeof best)[]) best[k] = Math.min(best[k], sum[k]);
}
const per = (x: number): string => (x / nCand).toFixed(1);
console.log(`${before ? 'BEFORE' : 'AFTER'} per candidate (${nCand} candidates x ${samples.length} samples, best of 3 reps, CPU ms): lower ${per(best.lower)}, session ${per(best.session)}, first cone runs ${per(best.first)}, same runs again ${per(best.again)}, total ${per(best.total)}`);
