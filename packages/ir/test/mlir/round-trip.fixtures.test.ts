import { describe, expect, it } from 'vitest';
import { diffModules, parseMlir, printMlir } from '@tpu-quant/ir';
import { CANONICAL_FIXTURES, LEGACY_FIXTURES, readFixture } from './fixtures.js';

describe('MLIR fixtures round-trip', () => {
  for (const name of [...CANONICAL_FIXTURES, ...LEGACY_FIXTURES]) {
    it(`${name}: print(parse(text)) gives the same bytes`, () => {
      const text = readFixture(name);
      expect(printMlir(parseMlir(text, name))).toBe(text);
    });

    it(`${name}: parse(print(m)) equals m, with and without the remembered layout`, () => {
      const m = parseMlir(readFixture(name), name);
      expect(diffModules(parseMlir(printMlir(m)), m)).toBeUndefined();
      expect(diffModules(parseMlir(printMlir(m, { useSourceLayout: false })), m)).toBeUndefined();
    });
  }

  for (const name of CANONICAL_FIXTURES) {
    it(`${name}: printing afresh (no remembered layout) is what MLIR prints`, () => {
      // TPU-MLIR's Python adds a trailing blank line to some files; MLIR itself does not.
      const text = readFixture(name).replace(/\n+$/, '\n');
      expect(printMlir(parseMlir(text, name), { useSourceLayout: false })).toBe(text);
    });
  }

  it('keeps what the legacy file spelled its own way', () => {
    const text = readFixture('legacy-handwritten.mlir');
    const m = parseMlir(text);
    const fresh = printMlir(m, { useSourceLayout: false });
    // Printed afresh, the same module reads like current MLIR output.
    expect(fresh).toContain('func.func @main(%arg0: tensor<1x3x14x14xf32> loc(unknown))');
    expect(fresh).toContain('mean = [0.000000e+00, 0.000000e+00, 0.000000e+00]');
    expect(fresh).toContain('!quant.uniform<i8:f32, 2.350000e-02>');
    expect(fresh).toContain('module attributes {module.chip = "ALL", module.name = "legacy", module.state = "TOP_F32"');
    expect(fresh).not.toContain('never_used');
    expect(fresh).not.toContain('<{');
  });

  it('reads the multi-result op of the split fixture', () => {
    const m = parseMlir(readFixture('split-fused-loc.mlir'));
    const split = m.main.ops.find((o) => o.type === 'top.Split')!;
    expect(split.results).toHaveLength(2);
    expect(split.loc).toEqual({ kind: 'fused', locs: [{ kind: 'name', name: 'split_a' }, { kind: 'name', name: 'split_b' }] });
    expect(split.result(1).name).toBe('split_b');
    expect(m.main.outputs[0]).toBe(split.result(0));
    expect(split.result(1).uses.map((u) => u.op.type)).toEqual(['top.Add']);
  });

  it('reads the call and the subfunction of the addressed fixture', () => {
    const m = parseMlir(readFixture('addressed-subfunc.mlir'));
    expect(m.funcs.map((f) => f.name)).toEqual(['main', 'subfunc_0']);
    const call = m.main.ops[1]!;
    expect(call.type).toBe('func.call');
    expect(call.attr('callee')).toEqual({ kind: 'symbol', value: 'subfunc_0' });
    const sub = m.getFunc('subfunc_0')!;
    expect(sub.args[0]!.loc).toEqual({ kind: 'name', name: 'input0' });
    expect(sub.attrs.get('mode')).toEqual({ kind: 'dialect', dialect: 'tpu', body: 'run_mode TPU_STATIC' });
    expect(sub.args[0]!.type).toEqual({ kind: 'tensor', shape: [1, 3, 14, 14], element: { kind: 'float', name: 'f32' }, encoding: '4294975488 : i64' });
  });
});
