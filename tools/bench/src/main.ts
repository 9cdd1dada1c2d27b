// `pnpm bench`: format benchmarks for the foundation. Later issues add runtime, calibration and
// search benchmarks with their peers here.
import { cpus } from 'node:os';
import {
  f32, Func, i64ArrayAttr, floatAttr, encodeNpz, readNpz, Module, nameLoc, ndarray, Op, parseMlir, printMlir, tensorType,
} from '@tpu-quant/ir';
import { medianMs, printTable } from './stats.js';

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

console.log(`tpu-quant benchmarks — ${cpus().length} cores, node ${process.version}`);
printTable(rows);
