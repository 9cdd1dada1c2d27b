import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/index.js';
import { formatPipeline, parsePipeline, registerPass } from '../../src/passes/index.js';

registerPass({
  name: 'test-opts',
  summary: 'a pass with one option of each type',
  options: {
    count: { type: 'int', default: 1, doc: 'an int' },
    ratio: { type: 'float', default: 0.5, doc: 'a float' },
    flag: { type: 'bool', default: false, doc: 'a bool' },
    mode: { type: 'enum', values: ['INT8', 'F16', 'BF16'], default: 'INT8', doc: 'an enum' },
    file: { type: 'string', default: '', doc: 'a string' },
  },
  run: () => {},
});

function pipelineError(text: string): UserError {
  try {
    parsePipeline(text);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).code).toBe('E_PIPELINE');
    return e as UserError;
  }
  throw new Error(`"${text}" parsed without error`);
}

/** The column the caret line points at (1-based). */
function caretColumn(e: UserError): number {
  const lines = e.message.split('\n');
  return lines[2]!.indexOf('^') - 2 + 1;
}

describe('parsePipeline', () => {
  it('reads a flat list with options', () => {
    expect(parsePipeline('sort-topologically, dce,test-opts{count=3 ratio=-1.5e-2 flag mode=F16 file="a b.txt"}')).toEqual([
      { pass: 'sort-topologically', options: {} },
      { pass: 'dce', options: {} },
      { pass: 'test-opts', options: { count: 3, ratio: -0.015, flag: true, mode: 'F16', file: 'a b.txt' } },
    ]);
  });

  it('accepts the spellings tpuc-opt users type for bool and int', () => {
    expect(parsePipeline('test-opts{flag=1 count=0x10}')[0]!.options).toEqual({ flag: true, count: 16 });
    expect(parsePipeline("test-opts{flag=False file='x'}")[0]!.options).toEqual({ flag: false, file: 'x' });
    expect(parsePipeline('test-opts{}')[0]!.options).toEqual({});
  });

  it('flattens the nested MLIR form', () => {
    const steps = parsePipeline('builtin.module(verify,func.func(dce,test-opts{count=2}),sort-topologically)');
    expect(steps.map((s) => s.pass)).toEqual(['verify', 'dce', 'test-opts', 'sort-topologically']);
    expect(parsePipeline('builtin.module(func.func())')).toEqual([]);
  });

  it('reads an empty pipeline as no steps', () => {
    expect(parsePipeline('')).toEqual([]);
    expect(parsePipeline('   ')).toEqual([]);
  });

  it('round-trips through formatPipeline', () => {
    const text = "dce,test-opts{count=3 mode=BF16 file='my file'},verify";
    expect(formatPipeline(parsePipeline(text))).toBe(text);
    expect(parsePipeline(formatPipeline(parsePipeline(text)))).toEqual(parsePipeline(text));
  });

  it('names an unknown pass, suggests a near one and the --list-passes command', () => {
    const e = pipelineError('dce,sort-topologicaly');
    expect(e.message).toMatch(/^invalid pass pipeline: unknown pass "sort-topologicaly" \(column 5\)/);
    expect(caretColumn(e)).toBe(5);
    expect(e.hint).toContain('did you mean "sort-topologically"?');
    expect(e.hint).toContain('tpu-quant opt --list-passes');
    expect(pipelineError('zzzzzz').hint).not.toContain('did you mean');
  });

  it('lists the valid options for an unknown option', () => {
    const e = pipelineError('test-opts{count=1 cuont=2}');
    expect(e.message).toContain('unknown option "cuont" for pass "test-opts"');
    expect(caretColumn(e)).toBe(19);
    expect(e.hint).toContain('did you mean "count"?');
    expect(e.hint).toContain('count, ratio, flag, mode, file');
    expect(pipelineError('dce{x=1}').hint).toBe('pass "dce" takes no options');
  });

  it('rejects values that do not fit the option type', () => {
    expect(pipelineError('test-opts{count=1.5}').message).toContain('bad value "1.5" for option "count" of pass "test-opts": expected an integer');
    expect(pipelineError('test-opts{ratio=abc}').message).toContain('expected a number');
    expect(pipelineError('test-opts{ratio=}').message).toContain('expected a number');
    expect(pipelineError('test-opts{flag=yes}').message).toContain('expected true or false');
    expect(pipelineError('test-opts{mode=int8}').message).toContain('expected one of INT8, F16, BF16');
    expect(pipelineError('test-opts{count}').message).toContain('needs a value');
    expect(pipelineError('test-opts{count=1 count=2}').message).toContain('given twice');
  });

  it('points a caret at unbalanced braces and parens', () => {
    let e = pipelineError('dce,test-opts{count=1');
    expect(e.message).toContain("unbalanced '{'");
    expect(caretColumn(e)).toBe(14);
    e = pipelineError('builtin.module(dce,verify');
    expect(e.message).toContain("unbalanced '('");
    expect(caretColumn(e)).toBe(15);
    e = pipelineError('dce,verify)');
    expect(e.message).toContain("unbalanced ')'");
    expect(caretColumn(e)).toBe(11);
    e = pipelineError('dce}');
    expect(e.message).toContain("unbalanced '}'");
    expect(caretColumn(e)).toBe(4);
    expect(pipelineError("test-opts{file='x}").message).toContain('unterminated single quote');
  });

  it('rejects empty elements, stray text and unknown anchors', () => {
    expect(pipelineError('dce,,verify').message).toContain("expected a pass name, found ','");
    expect(pipelineError('dce,').message).toContain('expected a pass name at the end');
    expect(pipelineError('dce verify').message).toContain("expected ',' between passes");
    const e = pipelineError('dce(verify)');
    expect(e.message).toContain('"dce" cannot nest passes');
    expect(e.hint).toContain('builtin.module');
  });

  it('insists on required options', () => {
    const e = pipelineError('set-module-attr{value=x}');
    expect(e.message).toContain('pass "set-module-attr" needs option "name"');
    expect(caretColumn(e)).toBe(1);
  });
});
