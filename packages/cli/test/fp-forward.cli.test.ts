// `fp_forward` end to end in process: the qtable it writes (exact text) and its one-line errors.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { parseQtable } from '@tpu-quant/calib';
import { runInProcess } from './in-process.js';
import { expectUserError } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-fpfwd-'));
const mlir = join(tmp, 'net.mlir');
const T = 'tensor<1x4xf32>';
const H = 'tensor<1x2xf32>';
// x -> a, y -> b; c = a + b; d = relu(c); e = d + w; Split(e) -> s0, s1; f, g; h = f + g; out
writeFileSync(mlir, `module @net attributes {module.chip = "ALL", module.state = "TOP_F32", module.weight_file = "net_top_f32_all_weight.npz"} {
  func.func @main(%arg0: ${T}, %arg1: ${T}) -> ${H} {
    %0 = "top.Input"(%arg0) : (${T}) -> ${T} loc("x")
    %1 = "top.Input"(%arg1) : (${T}) -> ${T} loc("y")
    %2 = "top.Relu"(%0) : (${T}) -> ${T} loc("a")
    %3 = "top.Relu"(%1) : (${T}) -> ${T} loc("b")
    %4 = "top.Add"(%2, %3) : (${T}, ${T}) -> ${T} loc("c")
    %5 = "top.Relu"(%4) : (${T}) -> ${T} loc("d")
    %6 = "top.Weight"() : () -> ${T} loc("w")
    %7 = "top.Add"(%5, %6) : (${T}, ${T}) -> ${T} loc("e")
    %8:2 = "top.Split"(%7) {axis = 1 : si32, num = 2 : i64} : (${T}) -> (${H}, ${H}) loc(fused["s0", "s1"])
    %9 = "top.Relu"(%8#0) : (${H}) -> ${H} loc("f")
    %10 = "top.Relu"(%8#1) : (${H}) -> ${H} loc("g")
    %11 = "top.Add"(%9, %10) : (${H}, ${H}) -> ${H} loc("h")
    %12 = "top.Relu"(%11) : (${H}) -> ${H} loc("out")
    return %12 : ${H} loc("ret")
  }
}
`);

const run = (...args: string[]) => runInProcess(['fp_forward', ...args]);

afterEach(() => {
  vi.useRealTimers();
});

describe('fp_forward writes the qtable', () => {
  test('inputs, outputs and blocks together: exact text, module order, the chip float type', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2025, 5, 6, 7, 8, 9, 123));
    const out = join(tmp, 'qtable');
    const r = await run(mlir, '--fpfwd_inputs', 'c', '--fpfwd_outputs', 's1', '--fpfwd_blocks', 'a:d', 'y:b', '--chip', 'bm1688', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`fp_forward: 9 ops in F16 -> ${out}\n`);
    // c: c + its direct producers a, b (x, y two levels up are left out); s1 onwards: s1 g h out;
    // a:d: a c d; y:b: y b (y feeds b directly)
    expect(readFileSync(out, 'utf8')).toBe([
      '# genetated time: 2025-06-06 07:08:09.123000',
      '# chip: bm1688  mix_mode: F16',
      '# number of F16 layer: 9',
      '###',
      '# op_name   quantize_mode',
      'y F16', 'a F16', 'b F16', 'c F16', 'd F16', 's1 F16', 'g F16', 'h F16', 'out F16', '',
    ].join('\n'));
  });

  test('the table reads back as model_deploy reads it; unknown names warn and are left out', async () => {
    const out = join(tmp, 'qtable_f32');
    const r = await run(mlir, '--fpfwd_outputs', 'nope,d', '--chip', 'bm1684x', '--fp_type', 'F32', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: --fpfwd_outputs: "nope" is not an op of net; ignored\n');
    expect([...parseQtable(readFileSync(out, 'utf8'))]).toEqual([['d', 'F32'], ['e', 'F32']]);
  });
});

describe('bad input: one-line user errors, nothing written', () => {
  const out = join(tmp, 'never');
  test.each([
    ['unknown chip', ['--fpfwd_inputs', 'c', '--chip', 'bm9999'], 'E_UNSUPPORTED_PROCESSOR'],
    ['malformed block', ['--fpfwd_blocks', 'a,d', '--chip', 'bm1684x'], 'E_BAD_FLAG'],
    ['block with two colons', ['--fpfwd_blocks', 'a:c:d', '--chip', 'bm1684x'], 'E_BAD_FLAG'],
    ['no selection at all', ['--chip', 'bm1684x'], 'E_NO_SELECTION'],
    ['fp_type the chip does not mix in', ['--fpfwd_inputs', 'c', '--chip', 'cv183x', '--fp_type', 'F16'], 'E_FP_TYPE'],
    ['fp_type that is not a float type', ['--fpfwd_inputs', 'c', '--chip', 'bm1684x', '--fp_type', 'INT8'], 'E_BAD_FLAG'],
  ])('%s', async (_what, args, code) => {
    const r = await run(mlir, ...args, '-o', out);
    expectUserError(r, code);
    expect(r.stderr.trim().split('\n')).toHaveLength(2); // error line + hint
    expect(existsSync(out)).toBe(false);
  });

  test('missing mlir; output onto the input', async () => {
    expectUserError(await run(join(tmp, 'missing.mlir'), '--fpfwd_inputs', 'c', '--chip', 'bm1684x', '-o', out), 'E_IO');
    expectUserError(await run(mlir, '--fpfwd_inputs', 'c', '--chip', 'bm1684x', '-o', mlir), 'E_SAME_FILE');
    expect(existsSync(out)).toBe(false);
  });
});
