import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bmodelModel, bmodelNet, bmodelStage, bmodelTensor, writeBmodel } from '@tpu-quant/bmodel';
import { cppFloat } from '../src/commands/model-tool.js';
import { runInProcess } from './in-process.js';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-model-tool-'));
const coeff = new Uint8Array(256).map((_, i) => (i * 7) & 0xff);

const model = bmodelModel({
  version: '2.2+tpu-quant-0.1.0', time: 'Sun Nov 29 11:00:36 2026', chip: 'BM1684X',
  nets: [bmodelNet({
    name: 'tiny',
    stages: [bmodelStage({
      inputs: [bmodelTensor({ name: 'in0', dataType: 'i8', shape: [1, 3, 8, 8], scale: Math.fround(1 / 0.0187), deviceAddr: 0x100002000, size: 192 })],
      outputs: [bmodelTensor({ name: 'out0', dataType: 'f32', shape: [1, 10], deviceAddr: 0x100040000, size: 40 })],
      ctxAddr: 0x100000000, ctxSize: 0x80000,
      coeff: { address: 0x101000000, data: coeff, locations: [] },
      program: { mlir: 'module @tiny {\n}\n', weights: new Uint8Array(22) },
    })],
  })],
});
const file = join(tmp, 'tiny.bmodel');
const bytes = writeBmodel(model);
writeFileSync(file, bytes);

describe('tpu-quant model_tool', () => {
  test('--info prints the model in TPU-MLIR layout plus addresses, weights and the program', () => {
    const r = runCli(['model_tool', '--info', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'bmodel version: B.2.2+tpu-quant-0.1.0',
      'chip: BM1684X',
      'create time: Sun Nov 29 11:00:36 2026',
      'no kernel_module',
      '==========================================',
      'net 0: [tiny]  static',
      '------------',
      'stage 0:',
    ]);
    expect(r.stdout).toContain('input: in0, [1, 3, 8, 8], int8, scale: 53.4759, zero_point: 0, addr: 0x100002000, size: 192\n');
    expect(r.stdout).toContain('output: out0, [1, 10], float32, scale: 1, zero_point: 0, addr: 0x100040000, size: 40\n');
    expect(r.stdout).toContain('coeff: 256 bytes at 0x101000000, sha256 ');
    expect(r.stdout).toContain('tpu commands: none (a TPU cannot run this stage)');
    expect(r.stdout).toContain('tpu-quant program: present (mlir 17 chars, weights npz 22 bytes)');
    expect(r.stdout).toMatch(/\nneuron size: 524288\n$/);
  });

  // The remaining cases run in-process (a spawned CLI takes seconds to start).
  test('--chip prints the chip', async () => {
    const r = await runInProcess(['model_tool', '--chip', file]);
    expect(r).toEqual({ code: 0, stdout: 'BM1684X\n', stderr: '' });
  });

  test('a file that is not a bmodel, a truncated one, a missing one, no flag: one-line errors', async () => {
    const text = join(tmp, 'not.bmodel');
    writeFileSync(text, 'module @m {\n}\n');
    const r1 = await runInProcess(['model_tool', '--info', text]);
    expectUserError(r1, 'E_BMODEL');
    expect(r1.stderr).toContain(`${text}: header: not a bmodel`);

    const cut = join(tmp, 'cut.bmodel');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const r2 = await runInProcess(['model_tool', '--info', cut]);
    expectUserError(r2, 'E_BMODEL');
    expect(r2.stderr).toContain('(truncated)');

    expectUserError(await runInProcess(['model_tool', '--info', join(tmp, 'missing.bmodel')]), 'E_IO');
    expectUserError(await runInProcess(['model_tool']), 'E_BAD_FLAG');
  });
});

test('cppFloat prints as C++ streams do (%g)', () => {
  expect([1, 0.5, 53.475936889648438, 1 / 3, 1e-7, 1234567, 0.0001, 100000].map(cppFloat))
    .toEqual(['1', '0.5', '53.4759', '0.333333', '1e-07', '1.23457e+06', '0.0001', '100000']);
});
