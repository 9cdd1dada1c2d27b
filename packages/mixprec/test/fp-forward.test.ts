// fp_forward's selections (spec calibration.md §15) on small graphs built with ir's builders:
// upstream's walk rules, quirks included, the float type per chip, and the qtable text.
import { describe, expect, test } from 'vitest';
import { f32, fusedLoc, Func, Module, ndarray, Op, OpBuilder, tensorType, top, type Value } from '@tpu-quant/ir';
import { formatFpForwardQtable, fpForwardQtable, parseFpForwardBlock, type FpForwardOptions } from '../src/index.js';

/**
 * x -> a(Relu) \                                  /-> s0 -> f(Relu) \
 *               c(Add) -> d(Relu) -> e(Add w) -> Split              h(Add) -> out(Relu)
 * y -> b(Relu) /                                  \-> s1 -> g(Relu) /
 * The Split carries loc(fused["s0", "s1"]); `w` is a weight.
 */
function net(): Module {
  const m = new Module('net');
  const f = m.addFunc(new Func('main', { resultTypes: [] }));
  const b = new OpBuilder(f);
  const input = (name: string): Value => top.input(b, { input: f.addArgument(tensorType([1, 4], f32)) }, {}, { loc: name }).result();
  const relu = (v: Value, name: string): Value => top.relu(b, { input: v }, {}, { loc: name }).result();
  const add = (vs: Value[], name: string): Value => top.add(b, { inputs: vs }, {}, { loc: name }).result();
  const x = input('x');
  const y = input('y');
  const c = add([relu(x, 'a'), relu(y, 'b')], 'c');
  const d = relu(c, 'd');
  const e = add([d, b.weight('w', ndarray('f32', [1, 4], new Float32Array(4)))], 'e');
  const split = top.split(b, { input: e }, { axis: 1, num: 2 }, { loc: fusedLoc(['s0', 's1']) });
  const h = add([relu(split.result(0), 'f'), relu(split.result(1), 'g')], 'h');
  const out = relu(h, 'out');
  f.append(new Op('func.return', { operands: [out] }));
  f.resultTypes.push(out.type);
  return m;
}

const m = net();
const select = (o: Omit<FpForwardOptions, 'chip'>): string[] => fpForwardQtable(m, { chip: 'bm1684x', ...o }).entries.map((e) => e.name);
const block = (s: string) => parseFpForwardBlock(s);

describe('fpfwd_inputs: the tensor and what computes it', () => {
  test('deeper producers only when they have producers: the inputs x, y two levels up are left out', () => {
    expect(select({ inputs: ['c'] })).toEqual(['a', 'b', 'c']);
    expect(select({ inputs: ['d'] })).toEqual(['a', 'b', 'c', 'd']);
  });
  test('a top.Input feeding the tensor directly is listed; an input named itself is listed', () => {
    expect(select({ inputs: ['a'] })).toEqual(['x', 'a']);
    expect(select({ inputs: ['x'] })).toEqual(['x']);
  });
  test('the walk stops at a multi-result op: its output is listed when direct, never what feeds it', () => {
    expect(select({ inputs: ['f'] })).toEqual(['s0', 'f']);
    // h <- f <- s0: s0 is two levels up and no op is named "s0", so it has no producers
    expect(select({ inputs: ['h'] })).toEqual(['f', 'g', 'h']);
  });
  test('weights are never producers', () => {
    expect(select({ inputs: ['e'] })).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('fpfwd_outputs: the tensor and everything downstream', () => {
  test('all consumers, transitively', () => {
    expect(select({ outputs: ['a'] })).toEqual(['a', 'c', 'd', 'e']);
    expect(select({ outputs: ['x'] })).toEqual(['x', 'a', 'c', 'd', 'e']);
  });
  test('a multi-result op is never a consumer (its name is the fused string), so the walk ends before it', () => {
    expect(select({ outputs: ['d'] })).toEqual(['d', 'e']);
  });
  test('from one output of a multi-result op', () => {
    expect(select({ outputs: ['s1'] })).toEqual(['s1', 'g', 'h', 'out']);
  });
});

describe('fpfwd_blocks: producers of the ends ∩ consumers of the starts', () => {
  test('one block', () => {
    expect(select({ blocks: [block('a:e')] })).toEqual(['a', 'c', 'd', 'e']);
    expect(select({ blocks: [block('a,b:d')] })).toEqual(['a', 'b', 'c', 'd']);
  });
  test('an input as a start is in the block only when it feeds an end directly (the producer rule)', () => {
    expect(select({ blocks: [block('x:d')] })).toEqual(['a', 'c', 'd']);
    expect(select({ blocks: [block('x:a')] })).toEqual(['x', 'a']);
  });
  test('blocks are unioned; a block with no path between its ends is empty', () => {
    expect(select({ blocks: [block('a:c'), block('s1:h')] })).toEqual(['a', 'c', 'g', 'h']);
    expect(select({ blocks: [block('a:b')] })).toEqual([]);
  });
  test('block syntax', () => {
    expect(parseFpForwardBlock('a, b:c')).toEqual({ starts: ['a', 'b'], ends: ['c'] });
    for (const bad of ['a', 'a:b:c', ':b', 'a:', ',:,']) expect(() => parseFpForwardBlock(bad)).toThrow(expect.objectContaining({ code: 'E_BAD_FLAG' }));
  });
});

describe('the union, its order and the names it cannot use', () => {
  test('all three selections together, in module order (results of one op by index)', () => {
    expect(select({ inputs: ['f'], outputs: ['s1'], blocks: [block('a:c')] })).toEqual(['a', 'c', 's0', 's1', 'f', 'g', 'h', 'out']);
  });
  test('unknown names and weights warn and are left out', () => {
    const r = fpForwardQtable(m, { chip: 'bm1684x', inputs: ['nope', 'c'], outputs: ['w'], blocks: [block('zz:d')] });
    expect(r.entries.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(r.warnings).toEqual([
      '--fpfwd_inputs: "nope" is not an op of net; ignored',
      '--fpfwd_outputs: "w" is not an op of net; ignored',
      '--fpfwd_blocks: "zz" is not an op of net; ignored',
    ]);
  });
  test('nothing selected is an error', () => {
    expect(() => fpForwardQtable(m, { chip: 'bm1684x' })).toThrow(expect.objectContaining({ code: 'E_NO_SELECTION' }));
    expect(() => fpForwardQtable(m, { chip: 'bm1684x', inputs: [], outputs: [], blocks: [] })).toThrow(expect.objectContaining({ code: 'E_NO_SELECTION' }));
  });
});

describe('float type', () => {
  const modeOf = (chip: string, fpType?: string) => fpForwardQtable(m, { chip, fpType, inputs: ['a'] }).mode;
  test('auto: the chip mix float type (cv186x and bm1690 too, where upstream fails)', () => {
    expect(['bm1684x', 'bm1684', 'bm1688', 'cv186x', 'bm1690', 'cv183x', 'cv180x'].map((c) => modeOf(c))).toEqual(['F16', 'F32', 'F16', 'F16', 'F16', 'BF16', 'BF16']);
  });
  test('explicit types the chip allows', () => {
    expect(modeOf('bm1684x', 'F32')).toBe('F32');
    expect(modeOf('bm1688', 'f16')).toBe('F16');
    expect(modeOf('cv182x', 'BF16')).toBe('BF16');
  });
  test('refused: types the chip does not mix in, any explicit type on bm1690, non-float types, unknown chips', () => {
    for (const [chip, t] of [['bm1684', 'F16'], ['bm1684x', 'BF16'], ['cv183x', 'F32'], ['bm1690', 'F16']] as const) {
      expect(() => modeOf(chip, t)).toThrow(expect.objectContaining({ code: 'E_FP_TYPE' }));
    }
    expect(() => modeOf('bm1684x', 'INT8')).toThrow(expect.objectContaining({ code: 'E_BAD_FLAG' }));
    expect(() => modeOf('bm9999')).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED_PROCESSOR' }));
  });
});

test('the qtable text: §11.2 without a sample-number line', () => {
  const r = fpForwardQtable(m, { chip: 'cv183x', outputs: ['s1'] });
  expect(formatFpForwardQtable(r, new Date(2025, 2, 4, 5, 6, 7, 80))).toBe(
    '# genetated time: 2025-03-04 05:06:07.080000\n' +
    '# chip: cv183x  mix_mode: BF16\n' +
    '# number of BF16 layer: 4\n' +
    '###\n' +
    '# op_name   quantize_mode\n' +
    's1 BF16\ng BF16\nh BF16\nout BF16\n',
  );
});
