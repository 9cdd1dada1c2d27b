// Malformed input fails with a ParseError naming file:line:col, showing the line and a caret.
import { describe, expect, it } from 'vitest';
import { ParseError, parseMlir, parseMlirAttr, parseMlirType } from '@tpu-quant/ir';

const HEAD = 'module {\n  func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {\n';
const TAIL = '  }\n}\n';

function failure(text: string, file = 'bad.mlir'): ParseError {
  try {
    parseMlir(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error('expected a ParseError');
}

/** Checks position, message, the quoted line and the caret under the column. */
function expectError(e: ParseError, line: number, col: number, message: string | RegExp): void {
  expect({ line: e.line, col: e.col }).toEqual({ line, col });
  expect(e.code).toBe('E_PARSE');
  const [first, shown, caret] = e.message.split('\n');
  expect(first).toMatch(new RegExp(`^bad\\.mlir:${line}:${col}: `));
  expect(first).toMatch(message);
  expect(caret!.indexOf('^') - 2).toBe(col - 1);
  expect(shown!.startsWith('  ')).toBe(true);
}

describe('parse errors', () => {
  it('names an unexpected token', () => {
    const e = failure(`${HEAD}    %0 = "top.Relu"(%arg0 : (tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 3, 27, /expected ',' or '\)' but found ':'/);
    expect(e.message.split('\n')[1]).toBe('      %0 = "top.Relu"(%arg0 : (tensor<2xf32>) -> tensor<2xf32>');
  });

  it('rejects a character no token starts with', () => {
    expectError(failure(`${HEAD}    %0 = "top.Relu"(%arg0) ; \n${TAIL}`), 3, 28, /unexpected character ';'/);
  });

  it('names a use of an undefined value', () => {
    const e = failure(`${HEAD}    %0 = "top.Add"(%arg0, %7) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 3, 27, 'use of undefined value %7');
  });

  it('names an undefined location alias', () => {
    const text = `#loc = loc(unknown)\nmodule {\n  func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {\n    return %arg0 : tensor<2xf32> loc(#loc9)\n  } loc(#loc)\n} loc(#loc)\n`;
    expectError(failure(text), 4, 34, 'undefined alias #loc9');
  });

  it('names an undefined alias inside a fused location', () => {
    const text = `module {\n} loc(fused[#loc1, #loc2])\n#loc1 = loc("a")\n`;
    expectError(failure(text), 2, 20, 'undefined alias #loc2');
  });

  it('reports an unterminated string at its opening quote', () => {
    const e = failure(`${HEAD}    %0 = "top.Relu(%arg0) : (tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 3, 10, 'unterminated string');
  });

  it('names an unknown type', () => {
    const e = failure(`${HEAD}    %0 = "top.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf33>\n${TAIL}`);
    expectError(e, 3, 58, "unknown type 'f33'");
  });

  it('checks operand types against the values', () => {
    const e = failure(`${HEAD}    %0 = "top.Relu"(%arg0) : (tensor<3xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 3, 21, "use of value %arg0 expects different type than prior uses: 'tensor<3xf32>' vs 'tensor<2xf32>'");
  });

  it('checks result counts', () => {
    const e = failure(`${HEAD}    %0:2 = "top.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 3, 5, 'operation defines 1 results but 2 are bound');
    const f = failure(`${HEAD}    %0 = "top.Split"(%arg0) : (tensor<2xf32>) -> tensor<1xf32>\n    %1 = "top.Add"(%0#2) : (tensor<1xf32>) -> tensor<1xf32>\n${TAIL}`);
    expectError(f, 4, 20, 'result number 2 out of range: %0 has 1 result');
  });

  it('rejects out-of-range integers and ints where floats belong', () => {
    const e = failure(`module attributes {a = 300 : i8} {\n}\n`);
    expectError(e, 1, 24, 'integer constant out of range for type i8');
    const f = failure(`module attributes {a = 1 : f32} {\n}\n`);
    expectError(f, 1, 24, 'unexpected decimal integer literal for a floating point value');
    expect(f.hint).toMatch(/trailing '\.'/);
  });

  it('rejects what the IR cannot hold, saying so', () => {
    expectError(failure(`${HEAD}    %0 = "top.Relu"(%arg0) : (tensor<*xf32>) -> tensor<2xf32>\n${TAIL}`), 3, 38, /unranked tensors/);
    expectError(failure(`${HEAD}    %0 = "scf.if"(%arg0) ({\n    }) : (tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`), 3, 26, /regions are not supported/);
    expectError(failure('module {\n  module {\n  }\n}\n'), 2, 3, /nested modules/);
    expectError(failure('#map = affine_map<(d0) -> (d0)>\nmodule {\n}\n'), 1, 8, /only location aliases/);
  });

  it('rejects a redefined value and a second module', () => {
    const e = failure(`${HEAD}    %0 = "top.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>\n    %0 = "top.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>\n${TAIL}`);
    expectError(e, 4, 5, 'redefinition of value %0');
    expectError(failure('module {\n}\nmodule {\n}\n'), 3, 1, 'only one top-level module is supported');
  });

  it('reports end of file', () => {
    expectError(failure('module {\n  func.func @main() {\n'), 3, 1, "expected '}' closing the function body but found end of file");
    expectError(failure(''), 1, 1, "expected 'module' but found end of file");
  });

  it('shows a window of a very long line with the caret under the column', () => {
    const long = `    %0 = "top.Relu"(%arg0) {pads = [${Array.from({ length: 200 }, () => '1').join(', ')}, x]} : (tensor<2xf32>) -> tensor<2xf32>`;
    const e = failure(`${HEAD}${long}\n${TAIL}`);
    const col = long.indexOf('x]') + 1;
    expect(e.col).toBe(col);
    const [, shown, caret] = e.message.split('\n');
    expect(shown!.length).toBeLessThan(180);
    expect(shown![caret!.indexOf('^')]).toBe('x');
  });
});

describe('hostile input', () => {
  it('caps nesting depth instead of overflowing the stack', () => {
    const deep = `module attributes {a = ${'['.repeat(100_000)}} {\n}\n`;
    expect(() => parseMlir(deep, 'bad.mlir')).toThrow(/nesting deeper than 200 levels/);
    const fused = `module {\n} loc(${'fused['.repeat(50_000)}\n`;
    expect(() => parseMlir(fused)).toThrow(/nesting deeper/);
    const types = `${'('.repeat(50_000)}`;
    expect(() => parseMlirType(types)).toThrow(/nesting deeper/);
    const dialect = `#tpu<${'<'.repeat(50_000)}>`;
    expect(() => parseMlirAttr(dialect)).toThrow(/nesting deeper/);
  });

  it('rejects alias chains that refer to themselves or nest too deeply', () => {
    expect(() => parseMlir('#a = loc("x"(#b))\n#b = loc("y"(#a))\nmodule {\n} loc(#a)\n')).toThrow(/refers to itself/);
    const chain = Array.from({ length: 5000 }, (_, i) => `#l${i} = loc("n"(#l${i + 1}))`).join('\n');
    expect(() => parseMlir(`${chain}\n#l5000 = loc("end")\nmodule {\n} loc(#l0)\n`)).toThrow(/nested deeper/);
  });

  it('handles a huge flat array quickly', () => {
    const big = `module attributes {a = [${Array.from({ length: 200_000 }, (_, i) => String(i)).join(', ')}]} {\n}\n`;
    const t0 = performance.now();
    const m = parseMlir(big);
    expect(performance.now() - t0).toBeLessThan(5000);
    const a = m.attrs.get('a');
    expect(a?.kind === 'array' && a.value.length).toBe(200_000);
  });
});
