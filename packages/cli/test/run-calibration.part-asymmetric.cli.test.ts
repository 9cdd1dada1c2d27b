// run_calibration --part_asymmetric and its deployment from the command line, on a small model
// written here (Conv -> SiLU -> Conv -> SiLU -> {Conv, Add}): the chosen op and its consumer under
// #asym_op, its row from the percentile range, the other rows as without the flag (statistics from
// the cache), and model_deploy INT8 giving that SiLU a zero-point type and passing verification.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCaliTable } from '@tpu-quant/calib';
import { encodeNpz, f32, Func, Module, ndarray, Op, OpBuilder, printMlir, saveNpz, tensorType, top, type NdArray } from '@tpu-quant/ir';
import { expectUserError, runCli } from './run-cli.js';
import { rand } from './seeded-rand.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-partasym-'));
const mlir = join(tmp, 'tiny.mlir');
const data = join(tmp, 'data');

function tinyModel(): Module {
  const m = new Module('tiny', { 'module.state': { kind: 'string', value: 'TOP_F32' }, 'module.weight_file': { kind: 'string', value: 'tiny_top_f32_all_weight.npz' } });
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 3, 24, 24], f32)) }, {}, { loc: 'x' }).result();
  const w = (name: string, shape: number[], seed: number, scale: number): ReturnType<OpBuilder['weight']> =>
    b.weight(name, ndarray('f32', shape, rand(shape.reduce((p, q) => p * q, 1), seed, scale)));
  const conv = (input: typeof x, name: string, oc: number, ic: number, k: number, seed: number) =>
    top.conv(b, { input, filter: w(`${name}_w`, [oc, ic, k, k], seed, 0.5), bias: w(`${name}_b`, [oc], seed + 1, 0.2) },
      { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] }, { loc: name }).result();
  const c0 = conv(x, 'c0', 8, 3, 3, 1);
  const s1 = top.siLU(b, { input: c0 }, {}, { loc: 's1' }).result();
  const c1 = conv(s1, 'c1', 8, 8, 3, 3);
  const s2 = top.siLU(b, { input: c1 }, {}, { loc: 's2' }).result();
  const c2 = conv(s2, 'c2', 8, 8, 1, 5);
  const sum = top.add(b, { inputs: [s2, c2] }, {}, { loc: 'sum' }).result();
  f.resultTypes = [sum.type];
  f.append(new Op('func.return', { operands: [sum] }));
  return m;
}

beforeAll(async () => {
  const m = tinyModel();
  writeFileSync(mlir, printMlir(m));
  await saveNpz(join(tmp, 'tiny_top_f32_all_weight.npz'), m.weights as Map<string, NdArray>);
  mkdirSync(data);
  for (let i = 0; i < 6; i++) writeFileSync(join(data, `s${i}.npz`), encodeNpz(new Map([['x', ndarray('f32', [1, 3, 24, 24], rand(1728, 100 + i, 2, 0.3))]])));
});

describe('run_calibration --part_asymmetric', () => {
  test('#asym_op lists the SiLU feeding only Convs and its consumer; its row is the percentile range; the rest as without the flag', () => {
    const asymTable = join(tmp, 'asym_table');
    const symTable = join(tmp, 'sym_table');
    const a = runCli(['run_calibration', mlir, '--dataset', data, '--tune_num', '2', '--part_asymmetric', '-o', asymTable], undefined, 170_000);
    expect(a.stderr).not.toMatch(/error|Error/);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('part_asymmetric: 2 names under #asym_op');
    const s = runCli(['run_calibration', mlir, '--dataset', data, '--tune_num', '2', '-o', symTable], undefined, 170_000);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('(statistics from cache)'); // asym ops change only the threshold step

    const text = readFileSync(asymTable, 'utf8');
    expect(text.endsWith('\n\n#asym_op\ns1\nc1\n')).toBe(true);
    const asym = parseCaliTable(text);
    const sym = parseCaliTable(readFileSync(symTable, 'utf8'));
    expect(asym.asymOps).toEqual(['s1', 'c1']); // s2 also feeds an Add: not chosen
    expect(sym.asymOps).toEqual([]);
    const symOf = new Map(sym.rows.map((r) => [r.name, r]));
    for (const r of asym.rows) {
      const o = symOf.get(r.name)!;
      if (r.name !== 's1') {
        expect(r, r.name).toEqual(o);
        continue;
      }
      // percentile range inside the raw one; threshold = its absmax (as %.7f in the table)
      expect(r.min).toBeGreaterThanOrEqual(o.min);
      expect(r.max).toBeLessThanOrEqual(o.max);
      expect(r.max).toBeLessThan(o.max); // 27648 values (k = 3): the percentile interpolates below the max
      expect(r.threshold).toBeCloseTo(Math.max(Math.abs(r.min), Math.abs(r.max)), 6);
    }
  }, 360_000);

  test('model_deploy INT8 with that table: the SiLU has a zero point, its Conv folds it, verification passes', () => {
    const out = join(tmp, 'deploy');
    const r = runCli(['model_deploy', '--mlir', mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', join(tmp, 'asym_table'),
      '--test_input', join(data, 's0.npz'), '--model', join(out, 'tiny.bmodel')], undefined, 170_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/npz compare PASSED/);
    const tpu = readFileSync(join(out, 'tiny_bm1684x_int8_sym_tpu.mlir'), 'utf8');
    // s1: int8 with a zero point (!quant.uniform<i8:f32, S:ZP>); s2: symmetric (no zero point)
    const typeOf = (name: string) => {
      const loc = new RegExp(`#(loc\\d+) = loc\\("${name}"\\)`).exec(tpu)![1];
      return new RegExp(`"tpu\\.Lut"[^\\n]*-> tensor<[^>]*!quant\\.uniform<([^>]*)>>[^\\n]*loc\\(#${loc}\\)`).exec(tpu)![1]!;
    };
    expect(typeOf('s1')).toMatch(/^i8:f32, [-0-9.e]+:-1\d\d$/);
    expect(typeOf('s2')).toMatch(/^[iu]8:f32, [-0-9.e]+$/);
  }, 180_000);

  test('refused with int4 (TPU-MLIR gives asymmetric ops no int4 rows)', () => {
    expectUserError(runCli(['run_calibration', mlir, '--dataset', data, '--part_asymmetric', '--debug_cmd', 'int4', '-o', join(tmp, 't4')]), 'E_CALI_METHOD');
  });
});
