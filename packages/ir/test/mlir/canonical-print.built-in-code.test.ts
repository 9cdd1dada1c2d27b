// A module built in code prints exactly as MLIR's AsmPrinter (with debug info) would print it.
import { describe, expect, it } from 'vitest';
import {
  arrayAttr,
  boolAttr,
  diffModules,
  dialectAttr,
  f32,
  f64ArrayAttr,
  floatAttr,
  Func,
  fusedLoc,
  i64ArrayAttr,
  i8,
  intAttr,
  Module,
  nameLoc,
  noneType,
  Op,
  parseMlir,
  printMlir,
  si32,
  stringAttr,
  symbolAttr,
  tensorType,
  unitAttr,
  type Attr,
} from '@tpu-quant/ir';

function demoModule(): Module {
  const m = new Module('demo', { 'module.state': stringAttr('TOP_F32'), 'module.chip': stringAttr('ALL'), 'module.platform': stringAttr('ONNX') });
  const tIn = tensorType([1, 3, 4, 4], f32);
  const tConv = tensorType([1, 4, 4, 4], f32);
  const tHalf = tensorType([1, 2, 4, 4], f32);
  const main = m.addFunc(new Func('main', { resultTypes: [tHalf, tHalf] }));
  const arg = main.addArgument(tIn, nameLoc('in'));
  const input = main.append(
    new Op('top.Input', { operands: [arg], resultTypes: [tIn], attrs: { pixel_format: stringAttr('rgb'), mean: f64ArrayAttr([0, 0.5, 1]) }, loc: nameLoc('in') }),
  );
  const none = main.append(new Op('top.None', { resultTypes: [noneType] }));
  const w = main.append(new Op('top.Weight', { resultTypes: [tensorType([4, 3, 1, 1], f32)], loc: nameLoc('w') }));
  const convAttrs: Record<string, Attr> = {
    kernel_shape: i64ArrayAttr([1, 1]),
    relu_limit: floatAttr(-1),
    do_relu: boolAttr(false),
    group: intAttr(1),
    round_mode: dialectAttr('top', 'round_mode HalfUp'),
    scale_f32: floatAttr(Math.fround(0.1), f32),
    multiplier: intAttr(3, si32),
    flag: unitAttr,
    ids: { kind: 'dense-array', element: { kind: 'int', width: 64, signedness: 'signless' }, value: [1, 2] },
    table: { kind: 'dense', type: tensorType([2], f32), value: [0.5, -1], splat: false },
    kind: { kind: 'type', value: tensorType([2], i8) },
    name: stringAttr('c"1'),
  };
  const conv = main.append(new Op('top.Conv', { operands: [input.result(), w.result(), none.result()], resultTypes: [tConv], attrs: convAttrs, loc: nameLoc('conv') }));
  const split = main.append(
    new Op('top.Split', { operands: [conv.result()], resultTypes: [tHalf, tHalf], attrs: { axis: intAttr(1), num: intAttr(2) }, loc: fusedLoc(['s0', 's1']) }),
  );
  const call = main.append(new Op('func.call', { operands: [split.result(0)], resultTypes: [tHalf], attrs: { callee: symbolAttr('sub') } }));
  main.append(new Op('func.return', { operands: [call.result(), split.result(1)] }));

  const sub = m.addFunc(new Func('sub', { resultTypes: [tHalf], attrs: { mode: dialectAttr('tpu', 'run_mode TPU_STATIC'), id: intAttr(0) } }));
  const x = sub.addArgument(tHalf);
  const relu = sub.append(new Op('top.Relu', { operands: [x], resultTypes: [tHalf], attrs: { relu_limit: floatAttr(6) }, loc: nameLoc('relu') }));
  sub.append(new Op('func.return', { operands: [relu.result()] }));

  const ext = m.addFunc(new Func('ext', { resultTypes: [tensorType([2], f32)] }));
  ext.visibility = 'private';
  ext.addArgument(tensorType([2], f32), nameLoc('not printed'));
  return m;
}

const EXPECTED = `#loc = loc(unknown)
#loc1 = loc("in")
module @demo attributes {module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32"} {
  func.func @main(%arg0: tensor<1x3x4x4xf32> loc("in")) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
    %0 = "top.Input"(%arg0) {mean = [0.000000e+00, 5.000000e-01, 1.000000e+00], pixel_format = "rgb"} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc(#loc1)
    %1 = "top.None"() : () -> none loc(#loc)
    %2 = "top.Weight"() : () -> tensor<4x3x1x1xf32> loc(#loc2)
    %3 = "top.Conv"(%0, %2, %1) {do_relu = false, flag, group = 1 : i64, ids = array<i64: 1, 2>, kernel_shape = [1, 1], kind = tensor<2xi8>, multiplier = 3 : si32, name = "c\\221", relu_limit = -1.000000e+00 : f64, round_mode = #top<round_mode HalfUp>, scale_f32 = 1.000000e-01 : f32, table = dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>} : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>, none) -> tensor<1x4x4x4xf32> loc(#loc3)
    %4:2 = "top.Split"(%3) {axis = 1 : i64, num = 2 : i64} : (tensor<1x4x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) loc(#loc7)
    %5 = call @sub(%4#0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc(#loc)
    return %5, %4#1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> loc(#loc)
  } loc(#loc)
  func.func @sub(%arg0: tensor<1x2x4x4xf32> loc(unknown)) -> tensor<1x2x4x4xf32> attributes {id = 0 : i64, mode = #tpu<run_mode TPU_STATIC>} {
    %0 = "top.Relu"(%arg0) {relu_limit = 6.000000e+00 : f64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc(#loc6)
    return %0 : tensor<1x2x4x4xf32> loc(#loc)
  } loc(#loc)
  func.func private @ext(tensor<2xf32>) -> tensor<2xf32> loc(#loc)
} loc(#loc)
#loc2 = loc("w")
#loc3 = loc("conv")
#loc4 = loc("s0")
#loc5 = loc("s1")
#loc6 = loc("relu")
#loc7 = loc(fused[#loc4, #loc5])
`;

describe('canonical printing', () => {
  it('prints a module built in code as MLIR does', () => {
    expect(printMlir(demoModule())).toBe(EXPECTED);
  });

  it('reads its own output back into an equal module', () => {
    const m = demoModule();
    const back = parseMlir(printMlir(m));
    // The declaration's argument location is not printed (MLIR prints types only), so drop it.
    m.getFunc('ext')!.args[0]!.loc = { kind: 'unknown' };
    expect(diffModules(back, m)).toBeUndefined();
    expect(printMlir(back)).toBe(EXPECTED);
  });

  it('prints an empty module and a module without attributes', () => {
    // Only deferrable uses: the alias goes after the module.
    expect(printMlir(new Module())).toBe('module {\n} loc(#loc)\n#loc = loc(unknown)\n');
    const m = new Module('x');
    m.loc = nameLoc('top');
    expect(printMlir(m)).toBe('module @x {\n} loc(#loc)\n#loc = loc("top")\n');
  });

  it('marks aliases of argument locations non-deferred, with the aliases they refer to', () => {
    const m = new Module();
    const f = m.addFunc(new Func('main'));
    f.addArgument(noneType, fusedLoc(['a', 'b']));
    f.append(new Op('func.return', { loc: nameLoc('c') }));
    expect(printMlir(m)).toBe(
      [
        '#loc1 = loc("a")',
        '#loc2 = loc("b")',
        '#loc4 = loc(fused[#loc1, #loc2])',
        'module {',
        '  func.func @main(%arg0: none loc(fused[#loc1, #loc2])) {',
        '    return loc(#loc3)',
        '  } loc(#loc)',
        '} loc(#loc)',
        '#loc = loc(unknown)',
        '#loc3 = loc("c")',
        '',
      ].join('\n'),
    );
  });

  it('quotes names that are not bare identifiers and prints arrays of every kind', () => {
    const m = new Module('my model', {
      'a b': arrayAttr([intAttr(1, si32), floatAttr(0.5), floatAttr(0.25, f32), stringAttr('é'), boolAttr(true), floatAttr(NaN)]),
    });
    expect(printMlir(m)).toContain('module @"my model" attributes {"a b" = [1 : si32, 5.000000e-01, 2.500000e-01 : f32, "\\C3\\A9", true, 0x7FF8000000000000 : f64]} {');
    expect(diffModules(parseMlir(printMlir(m)), m)).toBeUndefined();
  });
});
