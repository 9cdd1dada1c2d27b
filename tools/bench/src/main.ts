// `pnpm bench [--only formats|kernels|runtime|calibration|deploy|mixprec] [--runs N] [--budget-s S] [--models a,b]`: every
// benchmark that has a peer runs it in the same process and reports ours / peer; medians.
//   formats: MLIR print/parse of a 10k-op module, npz write/read of 120 MB (no peer; regressions)
//   kernels: single ops, js reference vs wasm SIMD
//   runtime: shared models on the wasm backend vs onnxruntime-node, batch 1 and 8, 1 and 2 threads;
//            capture and runFrom costs
//   calibration: run_calibration on mobilenet_v2 with 100 imagenet-cali images vs ORT inference
//            over the same samples; a second method from the statistics cache (--samples N)
//   deploy:  INT8 simulation of mobilenet_v2 (tpu module, integer wasm kernels) vs our float
//            inference of the same model, medians and ratio; the js reference kernels too
//   mixprec: run_qtable on FastestDet (10 images, bm1684x), time broken down, next to the timing
//            TPU-MLIR's docs quote
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  f32, Func, i64ArrayAttr, floatAttr, encodeNpz, readNpz, Module, nameLoc, ndarray, Op, parseMlir, printMlir, tensorType,
} from '@tpu-quant/ir';
import { calibrationBenchmark } from './calibration.js';
import { deployBenchmark } from './deploy.js';
import { kernelBenchmarks } from './kernels.js';
import { mixprecBenchmark } from './mixprec.js';
import { runtimeBenchmarks } from './runtime.js';
import { medianMs, printTable } from './stats.js';

const SUITES = ['formats', 'kernels', 'runtime', 'calibration', 'deploy', 'mixprec'] as const;
type Suite = (typeof SUITES)[number];

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '20' },
    'budget-s': { type: 'string', default: '30' },
    models: { type: 'string' },
    samples: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
  },
});
const only = flags.only?.split(',') ?? [...SUITES];
const bad = only.filter((s) => !(SUITES as readonly string[]).includes(s));
if (bad.length > 0) {
  console.error(`--only ${bad.join(',')}: unknown suite (suites: ${SUITES.join(', ')})`);
  process.exit(2);
}
const runs = Number(flags.runs);
const budgetS = Number(flags['budget-s']);
if (!(Number.isInteger(runs) && runs > 0) || !(budgetS > 0)) {
  console.error('--runs must be a positive integer and --budget-s a positive number');
  process.exit(2);
}
const want = (s: Suite) => only.includes(s);
const assets = process.env.TPUQ_ASSETS ?? join(import.meta.dirname, '../../../../shared/assets');

function bigModule(ops: number): Module {
  const m = new Module('bench');
  const t = tensorType([1, 64, 56, 56], f32);
  const f = m.addFunc(new Func('main', { resultTypes: [t] }));
  const arg = f.addArgument(t);
  let v = f.append(new Op('top.Input', { operands: [arg], resultTypes: [t], loc: nameLoc('input') })).result();
  for (let i = 0; i < ops; i++) {
    const op = new Op('top.Relu', {
      operands: [v], resultTypes: [t], loc: nameLoc(`relu_${i}`),
      attrs: { relu_limit: floatAttr(-1), pads: i64ArrayAttr([0, 0, 0, 0]) },
    });
    v = f.append(op).result();
  }
  f.append(new Op('func.return', { operands: [v] }));
  return m;
}

async function formatBenchmarks(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const module = bigModule(10_000);
  const text = printMlir(module);
  rows.push({ benchmark: 'printMlir 10k ops', 'median ms': await medianMs(() => printMlir(module), 10) });
  rows.push({ benchmark: 'parseMlir 10k ops', 'median ms': await medianMs(() => parseMlir(text), 10) });

  const big = ndarray('f32', [30_000_000]);
  for (let i = 0; i < big.data.length; i += 997) big.data[i] = i;
  const entries = new Map([['w', big]]);
  const bytes = encodeNpz(entries);
  rows.push({ benchmark: 'encodeNpz 120 MB', 'median ms': await medianMs(() => encodeNpz(entries), 5, 1) });
  rows.push({ benchmark: 'readNpz 120 MB', 'median ms': await medianMs(() => readNpz(bytes), 5, 1) });

  console.log(`format benchmarks — ${cpus().length} cores, node ${process.version}`);
  printTable(rows);
}

if (want('formats')) await formatBenchmarks();
if (want('kernels')) await kernelBenchmarks();
if (want('runtime')) {
  await runtimeBenchmarks({
    assets,
    runs,
    budgetMs: budgetS * 1000,
    minRuns: 5,
    models: flags.models?.split(','),
  });
}
if (want('calibration')) await calibrationBenchmark({ assets, samples: Number(flags.samples), threads: Number(flags.threads) });
if (want('deploy')) await deployBenchmark({ assets, runs });
if (want('mixprec')) await mixprecBenchmark({ assets });
