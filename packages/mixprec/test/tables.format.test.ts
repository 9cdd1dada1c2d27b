// run_qtable's loss table and qtable text, byte for byte (§7 step 4, §11.2).
import { describe, expect, test } from 'vitest';
import { parseQtable } from '@tpu-quant/calib';
import { formatLossTable, formatMixQtable, lossTableLines } from '../src/index.js';

const head = { time: new Date(2025, 0, 2, 3, 4, 5, 67), sampleNumber: 10, chip: 'bm1684x', mixMode: 'F16' };

describe('loss table', () => {
  test('lowest cos first, "No.{idx:<4}: Layer: {name:<50}\\t\\t\\tCos: {cos:.6f}"', () => {
    const lines = lossTableLines([['conv1', 0.9991234567], ['head_Concat', 0.5], ['x', 0.99]]);
    expect(lines).toEqual([
      `No.0   : Layer: head_Concat${' '.repeat(39)}\t\t\tCos: 0.500000`,
      `No.1   : Layer: x${' '.repeat(49)}\t\t\tCos: 0.990000`,
      `No.2   : Layer: conv1${' '.repeat(45)}\t\t\tCos: 0.999123`,
    ]);
  });
  test('a name longer than 50 is not cut; equal cos keep visiting order (stable sort)', () => {
    const long = 'n'.repeat(60);
    expect(lossTableLines([['b', 0.9], [long, 0.9]])).toEqual([`No.0   : Layer: b${' '.repeat(49)}\t\t\tCos: 0.900000`, `No.1   : Layer: ${long}\t\t\tCos: 0.900000`]);
  });
  test('file: header, ###, the lines', () => {
    expect(formatLossTable(head, [['a', 0.25]])).toBe(
      ['# genetated time: 2025-01-02 03:04:05.067000', '# sample number: 10', '# chip: bm1684x  mix_mode: F16', '###', `No.0   : Layer: a${' '.repeat(49)}\t\t\tCos: 0.250000`, ''].join('\n'),
    );
  });
});

describe('qtable', () => {
  test('exact text, and it reads back as model_deploy reads it', () => {
    const text = formatMixQtable(head, ['c2', 'c3']);
    expect(text).toBe(
      ['# genetated time: 2025-01-02 03:04:05.067000', '# sample number: 10', '# chip: bm1684x  mix_mode: F16', '# number of F16 layer: 2', '###', '# op_name   quantize_mode', 'c2 F16', 'c3 F16', ''].join('\n'),
    );
    expect([...parseQtable(text)]).toEqual([['c2', 'F16'], ['c3', 'F16']]);
  });
});
