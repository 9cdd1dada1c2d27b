import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { crc32, encodeNpz, ndarray } from '@tpu-quant/ir';
import { describeArray } from '../src/commands/npz-tool.js';
import { expectUserError, runCli } from './run-cli.js';

const fixtures = fileURLToPath(new URL('../../ir/test/fixtures/mlir/', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/tiny_conv/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tpuq-cli-'));

describe('tpu-quant --help', () => {
  test('lists the commands', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['opt', 'npz_tool', 'processors']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  test('an unknown command is a usage error (exit 2)', () => {
    const r = runCli(['no_such_command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});

describe('tpu-quant opt', () => {
  // The handwritten legacy fixture is a parser test only (its Conv lacks the bias operand).
  const verifiable = readdirSync(fixtures).filter((f) => f.endsWith('.mlir') && !f.startsWith('legacy'));

  test.each(verifiable)('with no passes, %s comes back byte for byte', (name) => {
    const r = runCli(['opt', join(fixtures, name)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(fixtures, name), 'utf8'));
  });

  test('runs a pipeline, reports timings and writes -o atomically', () => {
    const out = join(tmp, 'opt.mlir');
    const r = runCli(['opt', join(example, 'tiny_conv.mlir'), '--pass-pipeline', 'builtin.module(dce,set-module-attr{name=module.state value=TOP_CALIBRATED})', '--mlir-timing', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Total Execution Time/);
    expect(r.stderr).toMatch(/set-module-attr/);
    expect(readFileSync(out, 'utf8')).toMatch(/module.state = "TOP_CALIBRATED"/);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('malformed MLIR: file:line:col, the line and a caret, exit 2, no stack', () => {
    const bad = join(tmp, 'bad.mlir');
    writeFileSync(
      bad,
      'module {\n  func.func @main(%arg0: tensor<1xf32>) -> tensor<1xf32> {\n' +
        '    %0 = "top.Relu"(%9) : (tensor<1xf32>) -> tensor<1xf32>\n    return %0 : tensor<1xf32>\n  }\n}\n',
    );
    const r = runCli(['opt', bad]);
    expectUserError(r, 'E_PARSE');
    expect(r.stderr).toContain(`${bad}:3:21: use of undefined value %9`);
    expect(r.stderr).toContain('    %0 = "top.Relu"(%9)');
    expect(r.stderr).toMatch(/\n {22}\^\n/);
  });

  test('a truncated MLIR file points at its end', () => {
    const cut = join(tmp, 'cut.mlir');
    writeFileSync(cut, readFileSync(join(example, 'tiny_conv.mlir'), 'utf8').slice(0, 700));
    const r = runCli(['opt', cut]);
    expectUserError(r, 'E_PARSE');
    expect(r.stderr).toMatch(new RegExp(`${cut}:\\d+:\\d+: `));
  });

  test('an unknown pass gets a suggestion', () => {
    const r = runCli(['opt', join(example, 'tiny_conv.mlir'), '--pass-pipeline', 'dec']);
    expectUserError(r, 'E_PIPELINE');
    expect(r.stderr).toMatch(/dce/);
  });

  test('a missing input file is a user error', () => {
    expectUserError(runCli(['opt', join(tmp, 'nope.mlir')]), 'E_IO');
  });
});

describe('tpu-quant npz_tool', () => {
  const good = join(tmp, 'good.npz');
  writeFileSync(good, encodeNpz({ a: ndarray('f32', [2, 2], Float32Array.from([1, 2, 3, 4])), b: ndarray('i8', [3]) }));

  test('get_shape and dump', () => {
    const shapes = runCli(['npz_tool', 'get_shape', good]);
    expect(shapes.stdout).toBe('a [2,2] f32\nb [3] i8\n');
    const dump = runCli(['npz_tool', 'dump', good, 'a']);
    expect(dump.stdout).toMatch(/a: shape=\[2,2\] dtype=f32 min=1 max=4 mean=2.5/);
  });

  test('dump decodes f16 and bf16 from their bits', () => {
    const half = join(tmp, 'half.npz');
    // 1.5 and -2 as f16 (0x3e00, 0xc000) and as bf16 (0x3fc0, 0xc000).
    writeFileSync(half, encodeNpz({
      h: ndarray('f16', [2], Uint16Array.from([0x3e00, 0xc000])),
      b: ndarray('bf16', [2], Uint16Array.from([0x3fc0, 0xc000])),
    }));
    const r = runCli(['npz_tool', 'dump', half]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/h: shape=\[2\] dtype=f16 min=-2 max=1.50000 mean=-0.250000\n  \[1.50000, -2\]/);
  });

  test('describeArray decodes bf16 bits', () => {
    expect(describeArray('b', ndarray('bf16', [2], Uint16Array.from([0x3fc0, 0xc000])), 2)).toBe('b: shape=[2] dtype=bf16 min=-2 max=1.50000 mean=-0.250000\n  [1.50000, -2]');
  });

  test('dump --K must be a non-negative integer', () => {
    expectUserError(runCli(['npz_tool', 'dump', good, '--K', 'x']), 'E_BAD_FLAG');
    expectUserError(runCli(['npz_tool', 'dump', good, '--K', '-1']), 'E_BAD_FLAG');
  });

  test('rename writes a new file and leaves the input alone', () => {
    const before = readFileSync(good);
    const r = runCli(['npz_tool', 'rename', good, 'a', 'z']);
    expect(r.code).toBe(0);
    expect(readFileSync(good).equals(before)).toBe(true);
    expect(runCli(['npz_tool', 'get_shape', join(tmp, 'good_renamed.npz')]).stdout).toMatch(/^z \[2,2\] f32$/m);
  });

  test('a truncated npz is one clear error', () => {
    const cut = join(tmp, 'cut.npz');
    writeFileSync(cut, readFileSync(good).subarray(0, 100));
    expectUserError(runCli(['npz_tool', 'dump', cut]), 'E_FORMAT');
  });

  test('a zip entry declaring an absurd size is refused without allocating it', () => {
    const bytes = new Uint8Array(readFileSync(good));
    // Patch the central directory's uncompressed size of the first entry to 2^32-1.
    const view = new DataView(bytes.buffer);
    let cd = -1;
    for (let i = 0; i < bytes.length - 4; i++) if (view.getUint32(i, true) === 0x02014b50) { cd = i; break; }
    expect(cd).toBeGreaterThan(0);
    view.setUint32(cd + 24, 0xfffffffe, true);
    const absurd = join(tmp, 'absurd.npz');
    writeFileSync(absurd, bytes);
    expectUserError(runCli(['npz_tool', 'dump', absurd]), 'E_FORMAT');
  });

  test('an unknown dtype is named', () => {
    // numpy's object-dtype array, inside an npz.
    const obj = fileURLToPath(new URL('../../ir/test/fixtures/npz/unsupported-object.npy', import.meta.url));
    const npz = join(tmp, 'obj.npz');
    writeFileSync(npz, storedZip('x.npy', new Uint8Array(readFileSync(obj))));
    const r = runCli(['npz_tool', 'dump', npz]);
    expectUserError(r, 'E_FORMAT');
    expect(r.stderr).toMatch(/dtype/);
  });

  test('asking for a tensor that is not there lists what is', () => {
    const r = runCli(['npz_tool', 'dump', good, 'missing']);
    expectUserError(r, 'E_NPZ_NAME');
    expect(r.stderr).toMatch(/hint: it holds 2 tensors: a, b/);
  });
});

describe('tpu-quant processors', () => {
  test('lists every processor', () => {
    const r = runCli(['processors']);
    for (const p of ['bm1684', 'bm1684x', 'bm1688', 'bm1690', 'cv186x', 'cv183x', 'cv182x', 'cv181x', 'cv180x']) {
      expect(r.stdout).toMatch(new RegExp(`^${p}\\s`, 'm'));
    }
  });
});

/** A one-entry stored zip around raw bytes (to wrap a .npy our writer would not produce). */
function storedZip(name: string, data: Uint8Array): Uint8Array {
  const n = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const cdOffset = 30 + n.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

describe('outputs never replace inputs', () => {
  test('npz_tool extract onto its own input is refused', () => {
    const f = join(tmp, 'self.npz');
    writeFileSync(f, encodeNpz({ a: ndarray('f32', [1]) }));
    const before = readFileSync(f);
    expectUserError(runCli(['npz_tool', 'extract', f, f, 'a']), 'E_SAME_FILE');
    expect(readFileSync(f).equals(before)).toBe(true);
  });
});
