// The pieces of TPU-MLIR's syntax, one by one: what each spelling reads as and prints back as.
import { describe, expect, it } from 'vitest';
import { parseMlir, parseMlirAttr, parseMlirLocation, parseMlirType, printAttr, printLocation, printMlir, printType } from '@tpu-quant/ir';

const f32 = { kind: 'float', name: 'f32' } as const;
const i8 = { kind: 'int', width: 8, signedness: 'signless' } as const;

describe('types', () => {
  it('reads shapes with unknown dims, rank 0 and encodings', () => {
    expect(parseMlirType('tensor<1x3x?x4xf32>')).toEqual({ kind: 'tensor', shape: [1, 3, -1, 4], element: f32 });
    expect(parseMlirType('tensor<f32>')).toEqual({ kind: 'tensor', shape: [], element: f32 });
    expect(parseMlirType('tensor<0x5xi1>')).toEqual({ kind: 'tensor', shape: [0, 5], element: { kind: 'int', width: 1, signedness: 'signless' } });
    expect(parseMlirType('tensor<1x3xf32, 4294975488 : i64>')).toEqual({ kind: 'tensor', shape: [1, 3], element: f32, encoding: '4294975488 : i64' });
    expect(printType(parseMlirType('tensor<1x3x?x4xf32>'))).toBe('tensor<1x3x?x4xf32>');
  });

  it('reads every scalar type TPU-MLIR uses', () => {
    for (const s of ['f32', 'f16', 'bf16', 'f64', 'i1', 'i8', 'i16', 'i32', 'i64', 'ui8', 'ui16', 'ui32', 'si8', 'si32', 'index', 'none']) {
      expect(printType(parseMlirType(s))).toBe(s);
    }
    expect(parseMlirType('ui16')).toEqual({ kind: 'int', width: 16, signedness: 'unsigned' });
    expect(parseMlirType('si32')).toEqual({ kind: 'int', width: 32, signedness: 'signed' });
  });

  it('reads quant types in their canonical and hand-written spellings', () => {
    expect(parseMlirType('tensor<2x!quant.calibrated<f32<-2.5:2.5>>>')).toEqual({
      kind: 'tensor',
      shape: [2],
      element: { kind: 'quant.calibrated', expressed: f32, min: -2.5, max: 2.5 },
    });
    expect(parseMlirType('tensor<2x!quant.uniform<i8:f32, 0.0235>>')).toMatchObject({ element: { storage: i8, scales: [0.0235], zeroPoints: [0] } });
    expect(parseMlirType('tensor<2x!quant.uniform<u8:f32, 0.0235:128>>')).toMatchObject({
      element: { storage: { kind: 'int', width: 8, signedness: 'unsigned' }, scales: [0.0235], zeroPoints: [128] },
    });
    const perAxis = parseMlirType('tensor<2x1x!quant.uniform<i8:f32:1, {0.1:0, 0.2:0}>>');
    expect(perAxis).toMatchObject({ element: { axis: 1, scales: [0.1, 0.2], zeroPoints: [0, 0] } });
    expect(printType(perAxis)).toBe('tensor<2x1x!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>>');
    const narrow = parseMlirType('tensor<4x!quant.uniform<i8<-127:127>:f32, 0.1>>');
    expect(narrow).toMatchObject({ element: { storageMin: -127, storageMax: 127 } });
    expect(printType(narrow)).toBe('tensor<4x!quant.uniform<i8<-127:127>:f32, 1.000000e-01>>');
    expect(printType(parseMlirType('tensor<4x!quant.uniform<u8:f32, 0x3FF0000000000000:3>>'))).toBe('tensor<4x!quant.uniform<u8:f32, 1.000000e+00:3>>');
  });

  it('reads function types', () => {
    expect(printType(parseMlirType('(tensor<2xf32>, none) -> (tensor<2xf32>, i64)'))).toBe('(tensor<2xf32>, none) -> (tensor<2xf32>, i64)');
    expect(printType(parseMlirType('() -> ((i32) -> i32)'))).toBe('() -> ((i32) -> i32)');
    expect(printType(parseMlirType('(i32) -> (i32)'))).toBe('(i32) -> i32');
  });

  it('rejects what it does not know', () => {
    expect(() => parseMlirType('f33')).toThrow("unknown type 'f33'");
    expect(() => parseMlirType('vector<4xf32>')).toThrow(/not supported/);
    expect(() => parseMlirType('!quant.any<i8>')).toThrow(/unknown type/);
    expect(() => parseMlirType('!quant.uniform<i8:f32, 1>')).toThrow(/decimal integer literal/);
  });
});

describe('attributes', () => {
  it('reads integers with their types, big ones as bigint', () => {
    expect(parseMlirAttr('3 : i64')).toEqual({ kind: 'int', value: 3, type: { kind: 'int', width: 64, signedness: 'signless' } });
    expect(parseMlirAttr('1 : si32')).toEqual({ kind: 'int', value: 1, type: { kind: 'int', width: 32, signedness: 'signed' } });
    expect(parseMlirAttr('-9223372036854775808 : i64')).toMatchObject({ value: -9223372036854775808n });
    expect(parseMlirAttr('18446744073709551615 : ui64')).toMatchObject({ value: 18446744073709551615n });
    expect(parseMlirAttr('0x10 : i32')).toMatchObject({ value: 16 });
    expect(printAttr(parseMlirAttr('4294975488 : i64'))).toBe('4294975488 : i64');
    expect(() => parseMlirAttr('-1 : ui8')).toThrow('negative integer literal not valid for unsigned integer type');
  });

  it('reads floats keeping their spelling, and hex bit patterns', () => {
    expect(parseMlirAttr('-1.000000e+00 : f64')).toEqual({ kind: 'float', value: -1, type: { kind: 'float', name: 'f64' }, text: '-1.000000e+00' });
    expect(parseMlirAttr('1.0')).toEqual({ kind: 'float', value: 1, type: { kind: 'float', name: 'f64' }, text: '1.0' });
    expect(parseMlirAttr('0.1 : f32')).toMatchObject({ value: Math.fround(0.1) });
    expect(parseMlirAttr('0x7FC00000 : f32')).toMatchObject({ value: NaN });
    expect(parseMlirAttr('0xFF800000 : f32')).toMatchObject({ value: -Infinity });
    expect(printAttr(parseMlirAttr('1.0 : f32'))).toBe('1.0 : f32');
    expect(printAttr({ kind: 'float', value: 1, type: f32 })).toBe('1.000000e+00 : f32');
  });

  it('elides i64 and f64 inside arrays only', () => {
    const a = parseMlirAttr('[1, 1, 2 : i32, 0.000000e+00, 1.0, 2.5 : f32, "s", true]');
    // (Floats keep the spelling they were read with.)
    expect(printAttr(a)).toBe('[1, 1, 2 : i32, 0.000000e+00, 1.0, 2.5 : f32, "s", true]');
    expect(printAttr(a, false, { useFloatText: false })).toBe('[1, 1, 2 : i32, 0.000000e+00, 1.000000e+00, 2.500000e+00 : f32, "s", true]');
    expect(printAttr({ kind: 'int', value: 7, type: { kind: 'int', width: 64, signedness: 'signless' } })).toBe('7 : i64');
    expect(printAttr(parseMlirAttr('[]'))).toBe('[]');
    expect(printAttr(parseMlirAttr('[[1, 2], [3]]'))).toBe('[[1, 2], [3]]');
  });

  it('reads strings with escapes, as UTF-8', () => {
    expect(parseMlirAttr('"a\\"b\\\\c\\n\\t\\22\\C3\\A9中"')).toEqual({ kind: 'string', value: 'a"b\\c\n\t"é中' });
    expect(printAttr({ kind: 'string', value: 'a"b\\c\n\té' })).toBe('"a\\22b\\\\c\\0A\\09\\C3\\A9"');
  });

  it('reads dense and array attributes', () => {
    expect(parseMlirAttr('array<i64: 1, -2>')).toEqual({ kind: 'dense-array', element: { kind: 'int', width: 64, signedness: 'signless' }, value: [1, -2] });
    expect(printAttr(parseMlirAttr('array<i64>'))).toBe('array<i64>');
    expect(printAttr(parseMlirAttr('array<i1: true, false>'))).toBe('array<i1: true, false>');
    expect(printAttr(parseMlirAttr('array<f32: 1.5, -0.25>'))).toBe('array<f32: 1.500000e+00, -2.500000e-01>');
    const d = parseMlirAttr('dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>');
    expect(d).toMatchObject({ kind: 'dense', value: [1, 2, 3, 4], splat: false });
    expect(printAttr(d)).toBe('dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>');
    expect(parseMlirAttr('dense<0.000000e+00> : tensor<4xf32>')).toMatchObject({ value: [0], splat: true });
    expect(parseMlirAttr('dense<true> : tensor<3xi1>')).toMatchObject({ value: [true], splat: true });
    expect(printAttr(parseMlirAttr('dense<> : tensor<0xf32>'))).toBe('dense<> : tensor<0xf32>');
    expect(() => parseMlirAttr('dense<[1, 2]> : tensor<3xi64>')).toThrow('inferred shape of elements literal ([2]) does not match type ([3])');
    expect(() => parseMlirAttr('dense<[[1, 2], [3]]> : tensor<2x2xi64>')).toThrow(/not rectangular/);
  });

  it('switches dense attributes over 100 elements to hex, as MLIR does', () => {
    const values = Array.from({ length: 101 }, (_, i) => i - 50);
    const a = { kind: 'dense' as const, type: { kind: 'tensor' as const, shape: [101], element: { kind: 'int' as const, width: 16, signedness: 'signless' as const } }, value: values, splat: false };
    const text = printAttr(a);
    expect(text.startsWith('dense<"0xCEFFCFFF')).toBe(true);
    expect(parseMlirAttr(text)).toEqual(a);
    const f = parseMlirAttr(`dense<"0x${'0000803F'.repeat(101)}"> : tensor<101xf32>`);
    expect(f).toMatchObject({ splat: false });
    expect(f.kind === 'dense' && f.value.every((v) => v === 1)).toBe(true);
    expect(parseMlirAttr('dense<"0x0000803F"> : tensor<7xf32>')).toMatchObject({ value: [1], splat: true });
  });

  it('reads symbols, dialect attributes, unit and types', () => {
    expect(parseMlirAttr('@subfunc_0')).toEqual({ kind: 'symbol', value: 'subfunc_0' });
    expect(parseMlirAttr('@"a b"')).toEqual({ kind: 'symbol', value: 'a b' });
    expect(parseMlirAttr('#tpu<rq_mode MultiplierShift>')).toEqual({ kind: 'dialect', dialect: 'tpu', body: 'rq_mode MultiplierShift' });
    expect(parseMlirAttr('#tpu.layer<[1, 2], "x>y">')).toEqual({ kind: 'dialect', dialect: 'tpu', body: 'layer<[1, 2], "x>y">' });
    expect(printAttr({ kind: 'dialect', dialect: 'top', body: 'foo' })).toBe('#top.foo');
    expect(printAttr({ kind: 'dialect', dialect: 'top', body: 'a b' })).toBe('#top<a b>');
    expect(parseMlirAttr('unit')).toEqual({ kind: 'unit' });
    expect(parseMlirAttr('tensor<2xf32>')).toEqual({ kind: 'type', value: { kind: 'tensor', shape: [2], element: f32 } });
    expect(parseMlirAttr('i32')).toMatchObject({ kind: 'type' });
    expect(() => parseMlirAttr('#map')).toThrow(/alias #map is not supported/);
  });
});

describe('locations', () => {
  it('reads every location form', () => {
    expect(parseMlirLocation('loc(unknown)')).toEqual({ kind: 'unknown' });
    expect(parseMlirLocation('loc("conv_out")')).toEqual({ kind: 'name', name: 'conv_out' });
    expect(parseMlirLocation('loc(fused["a", "b"])')).toEqual({ kind: 'fused', locs: [{ kind: 'name', name: 'a' }, { kind: 'name', name: 'b' }] });
    expect(parseMlirLocation('loc("x"("f.py":1:2))')).toEqual({ kind: 'name', name: 'x', child: { kind: 'file', file: 'f.py', line: 1, col: 2 } });
    expect(printLocation({ kind: 'fused', locs: [{ kind: 'name', name: 'a"' }, { kind: 'unknown' }] })).toBe('loc(fused["a\\22", unknown])');
    expect(() => parseMlirLocation('loc(callsite("a" at "b"))')).toThrow(/callsite locations are not supported/);
  });

  it('resolves aliases defined before or after their use, sharing one object', () => {
    const m = parseMlir(
      [
        '#loc1 = loc("a")',
        'module {',
        '  func.func @main(%arg0: none loc(fused[#loc1, #loc2])) {',
        '    "x.Y"() : () -> () loc(#loc3)',
        '    "x.Z"() : () -> () loc(#loc3)',
        '    return',
        '  }',
        '}',
        '#loc2 = loc("b")',
        '#loc3 = loc(fused[#loc1, #loc2])',
        '',
      ].join('\n'),
    );
    const [y, z] = m.main.ops;
    expect(y!.loc).toBe(z!.loc);
    expect(y!.loc).toEqual({ kind: 'fused', locs: [{ kind: 'name', name: 'a' }, { kind: 'name', name: 'b' }] });
    expect(m.main.args[0]!.loc).toEqual(y!.loc);
  });
});

describe('ops', () => {
  it('reads return and call in generic form too, printing them in custom form', () => {
    const text = [
      'module {',
      '  func.func @main(%arg0: i32) -> i32 {',
      '    %0 = "func.call"(%arg0) {callee = @f} : (i32) -> i32',
      '    "func.return"(%0) : (i32) -> ()',
      '  }',
      '  func.func private @f(i32) -> i32',
      '}',
      '',
    ].join('\n');
    const m = parseMlir(text);
    expect(m.main.ops.map((o) => o.type)).toEqual(['func.call', 'func.return']);
    const out = printMlir(m, { useSourceLayout: false });
    expect(out).toContain('    %0 = call @f(%arg0) : (i32) -> i32 loc(#loc)\n    return %0 : i32 loc(#loc)\n');
    expect(out).toContain('  func.func private @f(i32) -> i32 loc(#loc)\n');
  });

  it('reads result groups and uses of individual results', () => {
    const m = parseMlir(
      [
        'module {',
        '  func.func @main() {',
        '    %a, %b:2 = "x.Three"() : () -> (i8, i16, i32)',
        '    "x.Use"(%b#1, %a, %b) : (i32, i8, i16) -> ()',
        '    return',
        '  }',
        '}',
      ].join('\n'),
    );
    const [three, use] = m.main.ops;
    expect(use!.operands).toEqual([three!.result(2), three!.result(0), three!.result(1)]);
    expect(printMlir(m, { useSourceLayout: false })).toContain('%0:3 = "x.Three"() : () -> (i8, i16, i32) loc(#loc)\n    "x.Use"(%0#2, %0#0, %0#1)');
  });

  it('reads uses before definitions, as printing an unsorted graph writes them', () => {
    const text = [
      'module {',
      '  func.func @main(%arg0: i8) -> i8 {',
      '    %0 = "x.Neg"(%1#1) : (i16) -> i8',
      '    %1:2 = "x.Two"(%arg0) : (i8) -> (i8, i16)',
      '    return %0 : i8',
      '  }',
      '}',
    ].join('\n');
    const m = parseMlir(text);
    const [neg, two] = m.main.ops;
    expect(neg!.operand(0)).toBe(two!.result(1));
    expect(two!.result(1).uses).toEqual([{ op: neg, index: 0 }]);
    expect(printMlir(m, { useSourceLayout: false })).toContain('%0 = "x.Neg"(%1#1) : (i16) -> i8 loc(#loc)\n    %1:2 = "x.Two"');
    expect(() => parseMlir(text.replace('(i16) -> i8', '(i32) -> i8'))).toThrow("definition of %1 has type 'i16' but earlier uses expect 'i32'");
    expect(() => parseMlir(text.replace('%1#1', '%1#2'))).toThrow('result number 2 out of range: %1 has 2 results');
  });

  it('skips comments and accepts quoted attribute names', () => {
    const m = parseMlir('// header\nmodule attributes {"a b" = 1 : i64} { // trailing\n}\n');
    expect(m.attrs.get('a b')).toMatchObject({ value: 1 });
  });
});
