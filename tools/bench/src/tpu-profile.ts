// Per-op-type profile of lowered (tpu dialect) models on the wasm backend: the shared transformed
// top modules lowered for bm1684x at F16 and INT8 (KLD tables), one warm-up run and 3 timed
// samples (the test input and two perturbed copies), `session.stats().byOpType` summed and
// `kernelReport()`'s js fallbacks. Optionally saves each model's outputs (`--save DIR`) or
// compares them to a saved run (`--compare DIR`, exact equality), to check kernel changes.
// `--ab`: every sample also runs with the fast tpu paths off (TPUQ_TPU_FAST_PATHS=0, the js
// kernels), alternating in the same session, so both columns see the same machine load.
// Usage: tsx --conditions=@tpu-quant/source tools/bench/src/tpu-profile.ts [--only name,...] [--chip bm1684x] [--modes F16,INT8] [--ab] [--save DIR | --compare DIR]
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCaliTable } from '@tpu-quant/calib';
import '@tpu-quant/chip-bm168x';
import { getTarget, loadNpz, ndarray, parseMlir, saveNpz, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';

interface Case { name: string; dir: string; table: string }
const CASES: Case[] = [
  { name: 'mobilenet_v2', dir: '/tmp/m', table: '/tmp/c1/cali_table_100' },
  { name: 'yolox_nano', dir: '/tmp/s11/new', table: '/tmp/s11/new/yolox_nano_cali_table' },
  { name: 'ppocrv4_det', dir: '/tmp/s11/ocr', table: '/tmp/s11/ocr/ppocrv4_det_cali_table' },
  { name: 'fastestdet', dir: '/tmp/s11/fd', table: '/tmp/s11/fd/fastestdet_cali_table' },
];

const arg = (k: string): string | undefined => {
  const i = process.argv.indexOf(k);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const only = arg('--only')?.split(',');
const modes = (arg('--modes') ?? 'F16,INT8').split(',');
const chip = arg('--chip') ?? 'bm1684x';
const saveDir = arg('--save');
const compareDir = arg('--compare');
const ab = process.argv.includes('--ab');
const SAMPLES = Number(arg('--samples') ?? 3);
type Profile = Map<string, { count: number; ms: number }>;
function addStats(by: Profile, stats: ReadonlyMap<string, { count: number; ms: number }>): void {
  for (const [op, v] of stats) {
    const e = by.get(op) ?? { count: 0, ms: 0 };
    e.count = v.count;
    e.ms += v.ms;
    by.set(op, e);
  }
}

function perturbed(x: NdArray, seed: number): NdArray {
  const d = new Float32Array(x.data as Float32Array);
  let s = seed;
  for (let i = 0; i < d.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    d[i] = d[i]! + ((s / 2 ** 32) - 0.5) * 0.05;
  }
  return ndarray('f32', x.shape, d);
}

for (const c of CASES) {
  if (only && !only.includes(c.name)) continue;
  const mlir = join(c.dir, `${c.name}.mlir`);
  if (!existsSync(mlir)) { console.log(`${c.name}: skipped (no ${mlir})`); continue; }
  const text = readFileSync(mlir, 'utf8');
  const weights = await loadNpz(join(c.dir, `${c.name}_top_f32_all_weight.npz`));
  const input = await loadNpz(join(c.dir, `${c.name}_in_f32.npz`));
  const rows = parseCaliTable(readFileSync(c.table, 'utf8'), c.table).rows;
  for (const mode of modes) {
    const m = parseMlir(text, mlir);
    m.weights = new Map(weights);
    const target = getTarget(chip);
    const tl = performance.now();
    target.lower!(m, { mode, ...(mode === 'INT8' ? { calibration: rows, asymOps: [] } : {}) });
    target.kernels?.(m);
    const lowerMs = performance.now() - tl;
    const session = await createSession(m);
    const samples = Array.from({ length: SAMPLES }, (_, k) => k).map((k) => new Map([...input].map(([n, x]) => [n, k === 0 ? x : perturbed(x, k)])));
    const setFast = (on: boolean): void => { process.env.TPUQ_TPU_FAST_PATHS = on ? '1' : '0'; };
    if (ab) { setFast(false); await session.run(samples[0]!); }
    setFast(true);
    await session.run(samples[0]!); // warm-up: wasm load, weight packing
    const by: Profile = new Map();
    const byOff: Profile = new Map();
    let total = 0;
    let totalOff = 0;
    // CPU time of the process (user + system): steadier than wall time on a shared machine
    let cpu = 0;
    let cpuOff = 0;
    const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const outs: Map<string, NdArray>[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      if (ab) {
        setFast(false);
        const c0 = cpuMs();
        const t0 = performance.now();
        await session.run(samples[k]!);
        totalOff += performance.now() - t0;
        cpuOff += cpuMs() - c0;
        addStats(byOff, session.stats().byOpType);
        setFast(true);
      }
      const c0 = cpuMs();
      const t0 = performance.now();
      const r = await session.run(samples[k]!);
      total += performance.now() - t0;
      cpu += cpuMs() - c0;
      outs.push(r.outputs as Map<string, NdArray>);
      addStats(by, session.stats().byOpType);
    }
    const rep = session.kernelReport();
    const per = (x: number): string => (x / SAMPLES).toFixed(2).padStart(8);
    console.log(`\n== ${c.name} ${chip} ${mode}: ${(total / SAMPLES).toFixed(1)} ms/sample, cpu ${(cpu / SAMPLES).toFixed(1)} ms${ab ? ` (fast paths off: ${(totalOff / SAMPLES).toFixed(1)} ms, cpu ${(cpuOff / SAMPLES).toFixed(1)} ms)` : ''} (lowering ${lowerMs.toFixed(0)} ms); backends ${JSON.stringify(rep.counts)}`);
    const list = [...by].sort((a, b) => Math.max(b[1].ms, byOff.get(b[0])?.ms ?? 0) - Math.max(a[1].ms, byOff.get(a[0])?.ms ?? 0));
    for (const [op, v] of list) {
      const off = byOff.get(op)?.ms ?? 0;
      if (Math.max(v.ms, off) / SAMPLES < 0.05) continue;
      console.log(`  ${op.padEnd(18)} ×${String(v.count).padEnd(4)} ${ab ? `${per(off)} ->` : ''}${per(v.ms)} ms${rep.fallbacks.get(op) ? `  (js: ${rep.fallbacks.get(op)})` : ''}`);
    }
    const flat = new Map<string, NdArray>();
    outs.forEach((o, k) => { for (const [n, x] of o) flat.set(`${k}_${n}`, x); });
    if (saveDir) {
      mkdirSync(saveDir, { recursive: true });
      await saveNpz(join(saveDir, `${c.name}_${mode}.npz`), flat);
    }
    if (compareDir) {
      const ref = await loadNpz(join(compareDir, `${c.name}_${mode}.npz`));
      let diff = 0, maxAbs = 0, n = 0;
      for (const [name, x] of flat) {
        const refArr = ref.get(name);
        if (!refArr) continue;
        const r = refArr.data as Float32Array;
        const d = x.data as Float32Array;
        for (let i = 0; i < d.length; i++) { n++; if (!Object.is(d[i], r[i])) { diff++; maxAbs = Math.max(maxAbs, Math.abs(d[i]! - r[i]!)); } }
      }
      console.log(`  compare to ${compareDir}: ${diff} of ${n} output elements differ (max |d| ${maxAbs})`);
    }
    session.dispose();
  }
}
