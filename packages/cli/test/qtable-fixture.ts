// A small CNN for the run_qtable tests, with one layer made INT8-sensitive on purpose: the
// calibration table gives conv `c2` a threshold 300x its real range (as if calibration had seen an
// outlier there), so INT8 rounds almost all of c2 to zero; every other tensor gets its max |x|.
//   x -> c1 (3x3 conv, ReLU) -> c2 (1x1 conv) -> c3 (1x1 conv, ReLU) -> c4 (1x1 conv) -> output
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32, Func, Module, ndarray, Op, OpBuilder, printMlir, saveNpz, stringAttr, tensorType, top, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { rand } from './seeded-rand.js';

export function qtableNet(): Module {
  const m = new Module('qnet', new Map([['module.state', stringAttr('TOP_F32')], ['module.weight_file', stringAttr('qnet_top_f32_all_weight.npz')]]));
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 4, 8, 8], f32)) }, {}, { loc: 'x' }).result();
  const w = (name: string, shape: number[], seed: number, scale: number) => b.weight(name, ndarray('f32', shape, rand(shape.reduce((p, q) => p * q, 1), seed, scale)));
  const c1 = top.conv(b, { input: x, filter: w('w1', [8, 4, 3, 3], 1, 0.3), bias: w('b1', [8], 2, 0.1) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], do_relu: true }, { loc: 'c1' });
  const c2 = top.conv(b, { input: c1, filter: w('w2', [8, 8, 1, 1], 3, 0.5) }, { kernel_shape: [1, 1] }, { loc: 'c2' });
  const c3 = top.conv(b, { input: c2, filter: w('w3', [8, 8, 1, 1], 4, 0.5), bias: w('b3', [8], 5, 0.1) }, { kernel_shape: [1, 1], do_relu: true }, { loc: 'c3' });
  const c4 = top.conv(b, { input: c3, filter: w('w4', [4, 8, 1, 1], 6, 0.5) }, { kernel_shape: [1, 1] }, { loc: 'c4' });
  f.resultTypes = [c4.result().type];
  f.append(new Op('func.return', { operands: [c4.result()] }));
  return m;
}

export function qtableSamples(n: number): Map<string, NdArray>[] {
  return Array.from({ length: n }, (_, i) => new Map([['x', ndarray('f32', [1, 4, 8, 8], rand(256, 100 + i, 1))]]));
}

/** MAX-style rows (threshold = max |x| over the samples), c2's multiplied by `c2Factor`. */
export function qtableRows(m: Module, samples: readonly Map<string, NdArray>[], c2Factor: number): Promise<{ name: string; threshold: number; min: number; max: number }[]> {
  return maxRows(m, samples, { c2: c2Factor });
}

/** MAX-style rows (threshold = max |x| over the samples), some multiplied by `factors`. */
export async function maxRows(m: Module, samples: readonly Map<string, NdArray>[], factors: Record<string, number> = {}): Promise<{ name: string; threshold: number; min: number; max: number }[]> {
  const session = await createSession(m);
  const stats = new Map<string, { min: number; max: number }>();
  for (const s of samples) {
    const { tensors } = await session.run(s, { capture: 'all' });
    for (const [name, t] of tensors) {
      const st = stats.get(name) ?? { min: Infinity, max: -Infinity };
      for (const v of t.data as Float32Array) {
        st.min = Math.min(st.min, v);
        st.max = Math.max(st.max, v);
      }
      stats.set(name, st);
    }
  }
  await session.dispose();
  return [...stats].map(([name, { min, max }]) => ({ name, threshold: Math.max(-min, max) * (factors[name] ?? 1), min, max }));
}

/** `samples` as `dir`/data/s<i>.npz and their list `dir`/list.txt (returned). */
export async function writeSampleList(dir: string, samples: readonly Map<string, NdArray>[]): Promise<string> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const files: string[] = [];
  for (const [i, s] of samples.entries()) {
    files.push(join(dir, 'data', `s${i}.npz`));
    await saveNpz(files[i]!, s);
  }
  const list = join(dir, 'list.txt');
  writeFileSync(list, `${files.join('\n')}\n`);
  return list;
}

/** The model (.mlir + weights), its samples as .npz files and a table, written to `dir`. */
export async function writeQtableNet(dir: string, c2Factor: number): Promise<{ mlir: string; table: string; dataset: string; list: string }> {
  mkdirSync(dir, { recursive: true });
  const m = qtableNet();
  const mlir = join(dir, 'qnet.mlir');
  writeFileSync(mlir, printMlir(m));
  await saveNpz(join(dir, 'qnet_top_f32_all_weight.npz'), m.weights);
  const samples = qtableSamples(4);
  const list = await writeSampleList(dir, samples);
  const rows = await qtableRows(m, samples, c2Factor);
  const table = join(dir, `qnet_cali_table_${c2Factor}`);
  writeFileSync(table, `# test table\n###\n# op_name    threshold    min    max\n${rows.map((r) => `${r.name} ${r.threshold.toFixed(7)} ${r.min.toFixed(7)} ${r.max.toFixed(7)}`).join('\n')}\n`);
  return { mlir, table, dataset: join(dir, 'data'), list };
}
