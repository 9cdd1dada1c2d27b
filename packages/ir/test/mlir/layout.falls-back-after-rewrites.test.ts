// A parsed file keeps its spelling only where the IR is unchanged; rewritten parts print the way
// MLIR would, and the result is always valid MLIR that reads back as the rewritten module.
import { describe, expect, it } from 'vitest';
import { diffModules, f32, floatAttr, intAttr, nameLoc, Op, parseMlir, printMlir, tensorType, type Module } from '@tpu-quant/ir';
import { readFixture } from './fixtures.js';

function reparsesTo(m: Module): string {
  const text = printMlir(m);
  expect(diffModules(parseMlir(text), m)).toBeUndefined();
  return text;
}

const op = (m: Module, name: string): Op => m.main.ops.find((o) => o.name === name)!;

describe('remembered layout after rewrites', () => {
  it('gives a changed location a fresh alias and drops the alias nothing uses any more', () => {
    const text = readFixture('conv-preprocess.mlir');
    const m = parseMlir(text);
    op(m, 'relu1').loc = nameLoc('relu_renamed');
    const out = reparsesTo(m);
    expect(out).toBe(text.replace('loc(#loc5)', 'loc(#loc10)').replace('#loc5 = loc("relu1")\n', '').concat('#loc10 = loc("relu_renamed")\n'));
  });

  it('reuses an existing alias for a location equal to it', () => {
    const text = readFixture('conv-preprocess.mlir');
    const m = parseMlir(text);
    op(m, 'relu1').loc = nameLoc('conv1');
    const out = reparsesTo(m);
    expect(out).toContain('"top.Relu"(%4) {relu_limit = -1.000000e+00 : f64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc(#loc4)');
    expect(out).not.toContain('relu1');
  });

  it('renumbers values after an erased op and keeps every other line', () => {
    const text = readFixture('conv-preprocess.mlir');
    const m = parseMlir(text);
    const relu = op(m, 'relu1');
    relu.result().replaceAllUsesWith(relu.operand(0));
    relu.erase();
    const out = reparsesTo(m);
    const lines = out.split('\n');
    expect(lines).toHaveLength(text.split('\n').length - 2);
    expect(out).toContain('%5 = "top.MaxPool"(%4)');
    expect(out).toContain('return %8 : tensor<1x10xf32> loc(#loc)');
    expect(out).not.toContain('#loc5');
  });

  it('prints inserted ops canonically among remembered ones', () => {
    const m = parseMlir(readFixture('split-fused-loc.mlir'));
    const sig = op(m, 'gate');
    const t = tensorType([1, 2, 6, 6], f32);
    const extra = new Op('top.MulConst', { operands: [sig.result()], resultTypes: [t], attrs: { const_val: floatAttr(2) }, loc: nameLoc('twice') });
    m.main.insertAfter(sig, extra);
    const out = reparsesTo(m);
    expect(out).toContain('%6 = "top.MulConst"(%5) {const_val = 2.000000e+00 : f64} : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> loc(#loc10)');
    expect(out.endsWith('#loc9 = loc(fused[#loc4, #loc5])\n#loc10 = loc("twice")\n')).toBe(true);
  });

  it('forgets a float spelling that no longer matches the value', () => {
    const m = parseMlir(readFixture('legacy-handwritten.mlir'));
    const input = m.main.ops[0]!;
    const mean = input.attr('mean')!;
    expect(printMlir(m)).toContain('mean = [0.0, 0.0, 0.0]');
    if (mean.kind !== 'array') throw new Error('mean');
    const first = mean.value[0]!;
    if (first.kind !== 'float') throw new Error('float');
    // A stale text kept by a careless copy is ignored, since it no longer reads as the value.
    input.setAttr('mean', { kind: 'array', value: [{ ...first, value: 0.5 }, mean.value[1]!, mean.value[2]!] });
    expect(reparsesTo(m)).toContain('mean = [5.000000e-01, 0.0, 0.0]');
  });

  it('prints a changed type canonically and keeps the spelling of untouched ones', () => {
    const m = parseMlir(readFixture('legacy-handwritten.mlir'));
    const cast = m.main.ops.find((o) => o.type === 'tpu.Cast')!;
    cast.result().type = tensorType([1, 3, 14, 14], { kind: 'quant.uniform', storage: { kind: 'int', width: 8, signedness: 'signless' }, expressed: f32, scales: [0.5], zeroPoints: [0] });
    m.main.resultTypes = [cast.result().type];
    const out = reparsesTo(m);
    expect(out).toContain('-> tensor<1x3x14x14x!quant.uniform<i8:f32, 5.000000e-01>> loc(#loc1)');
    expect(out).toContain('(tensor<1x3x14x14xf32>) ->');
  });

  it('keeps an unsorted dictionary until its keys change, then sorts it', () => {
    const m = parseMlir(readFixture('legacy-handwritten.mlir'));
    expect(printMlir(m)).toContain('{name = "input", mean = [0.0, 0.0, 0.0], scale = [1.0, 1.0, 1.0]}');
    m.main.ops[0]!.setAttr('pad_value', intAttr(0));
    expect(reparsesTo(m)).toContain('{mean = [0.0, 0.0, 0.0], name = "input", pad_value = 0 : i64, scale = [1.0, 1.0, 1.0]}');
  });

  it('keeps properties syntax for the attributes written there', () => {
    const m = parseMlir(readFixture('legacy-handwritten.mlir'));
    const conv = m.main.ops.find((o) => o.type === 'top.Conv')!;
    expect(conv.attr('group')).toEqual(intAttr(3));
    conv.removeAttr('group');
    expect(reparsesTo(m)).toContain('"top.Conv"(%0, %1) <{kernel_shape = [1, 1]}> {do_relu = false, relu_limit = -1.0 : f64}');
  });

  it('gives a location to an op that had none once it gets one', () => {
    const m = parseMlir(readFixture('legacy-handwritten.mlir'));
    m.main.ops[0]!.loc = nameLoc('input');
    const out = reparsesTo(m);
    expect(out).toContain('tensor<1x3x14x14xf32> loc(#loc4)\n');
    expect(out).toContain('#loc3 = loc("never_used")\n#loc4 = loc("input")\n\n');
  });

  it('writes a changed argument location inline', () => {
    const m = parseMlir(readFixture('addressed-subfunc.mlir'));
    m.getFunc('subfunc_0')!.args[0]!.loc = nameLoc('renamed');
    const out = reparsesTo(m);
    expect(out).toContain('func.func @subfunc_0(%arg0: tensor<1x3x14x14xf32, 4294975488 : i64> loc("renamed"))');
    // #loc1 is still what the Input op uses.
    expect(out.startsWith('#loc = loc(unknown)\n#loc1 = loc("input0")\nmodule')).toBe(true);
  });

  it('prints a copy of a parsed module (no layout of its own objects) with the file\'s alias names', () => {
    const text = readFixture('conv-preprocess.mlir');
    const m = parseMlir(text);
    for (const o of m.main.ops) o.loc = structuredClone(o.loc);
    expect(printMlir(m)).toBe(text);
  });
});
