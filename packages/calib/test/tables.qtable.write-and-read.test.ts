// qtable: the search tools' writer and model_deploy's reader.
import { describe, expect, test } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { formatQtable, parseQtable, QTABLE_MODES } from '../src/tables/index.js';

describe('formatQtable', () => {
  test("TPU-MLIR's header lines, with and without the sample number", () => {
    const time = new Date(2025, 2, 20, 14, 7, 31, 482);
    expect(formatQtable({ time, sampleNumber: 10, chip: 'bm1684x', mode: 'F16' }, [{ name: 'conv1', mode: 'F16' }, { name: '/a/b', mode: 'F32' }])).toBe(
      '# genetated time: 2025-03-20 14:07:31.482000\n# sample number: 10\n# chip: bm1684x  mix_mode: F16\n# number of F16 layer: 2\n###\n# op_name   quantize_mode\nconv1 F16\n/a/b F32\n',
    );
    expect(formatQtable({ time, chip: 'cv183x', mode: 'BF16' }, [])).toBe(
      '# genetated time: 2025-03-20 14:07:31.482000\n# chip: cv183x  mix_mode: BF16\n# number of BF16 layer: 0\n###\n# op_name   quantize_mode\n',
    );
  });

  test('what it writes reads back', () => {
    const entries = [{ name: 'x', mode: 'F16' }, { name: 'y', mode: 'INT8' }];
    const text = formatQtable({ time: new Date(), chip: 'bm1688', mode: 'F16' }, entries);
    expect(parseQtable(text)).toEqual(new Map([['x', 'F16'], ['y', 'INT8']]));
  });
});

describe('parseQtable', () => {
  test('comments, blank and single-word lines skipped; modes upper-cased; \\r trimmed; a later line wins', () => {
    const text = '# genetated time: x\r\n\r\n   \nlonely\nconv1 f16\r\nconv2\tw4bf16\nconv1 int8\n';
    expect(parseQtable(text)).toEqual(new Map([['conv1', 'INT8'], ['conv2', 'W4BF16']]));
  });

  test('an unknown mode is a UserError naming the line', () => {
    let e: unknown;
    try {
      parseQtable('# h\nconv1 F16\nconv2 FP16\n', 'my.qtable');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).message).toBe('my.qtable:3: unknown quantize mode "FP16" for conv2');
    expect((e as UserError).hint).toContain('F16');
  });

  test('three words on a line is an error', () => {
    expect(() => parseQtable('a F16 extra\n', 'q')).toThrow(/^q:1: "a F16 extra" is not "<op name> <mode>"$/);
  });

  test('every module::Mode is accepted', () => {
    expect(parseQtable(QTABLE_MODES.map((m, i) => `op${i} ${m.toLowerCase()}`).join('\n')).size).toBe(15);
  });
});
