// The calibration table: TPU-MLIR's exact bytes out, the deployment importer's rules in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { formatCaliTable, parseCaliTable, pyDatetime, pyFormatFixed, type CaliTableHeader } from '../src/tables/index.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./fixtures/tables/${name}`, import.meta.url)), 'utf8');

describe('golden tables in TPU-MLIR format round-trip byte for byte', () => {
  test('tuned table with an asym_op section', () => {
    const text = fixture('tuned-asym.cali_table');
    const t = parseCaliTable(text, 'tuned-asym.cali_table');
    expect(t.rows).toHaveLength(7);
    expect(t.rows[3]).toEqual({ name: '/maxpool/MaxPool_output_0_MaxPool', threshold: 8.9715147, min: -0, max: 11.2103157 });
    expect(Object.is(t.rows[3]!.min, -0)).toBe(true);
    expect(t.asymOps).toEqual(['/layer1/layer1.0/conv1/Conv_output_0_Conv', 'output_Gemm']);
    expect(t.headers.slice(0, 3)).toEqual(['# mlir version: v1.14-20250320', '# mlir: resnet18.mlir', '# genetated time: 2025-03-20 14:07:31.482000']);
    const h: CaliTableHeader = {
      mlirVersion: 'v1.14-20250320', mlirPath: 'resnet18.mlir', time: new Date(2025, 2, 20, 14, 7, 31, 482),
      histogramBins: 2048, sampleNumber: 100, tuneNumber: 5,
    };
    expect(formatCaliTable(h, t.rows, { asymOps: t.asymOps })).toBe(text);
  });

  test('untuned table with an int4 section (a whole-second time has no fraction, as Python prints it)', () => {
    const text = fixture('int4.cali_table');
    const t = parseCaliTable(text);
    expect(t.rows.map((r) => r.name)).toEqual(t.int4Rows.map((r) => r.name));
    expect(t.int4Rows[1]).toEqual({ name: '/model.0/conv/Conv_output_0_Conv', threshold: 9.5078125, min: -10.8660714, max: 9.5078125 });
    const h: CaliTableHeader = {
      mlirVersion: 'v1.14-20250320', mlirPath: '/work/models/yolov5s/yolov5s.mlir', time: new Date(2025, 2, 20, 9, 0, 0, 0),
      histogramBins: 2048, sampleNumber: 1,
    };
    expect(formatCaliTable(h, t.rows, { int4Rows: t.int4Rows })).toBe(text);
  });

  test('search_threshold method line and an fp8 table', () => {
    const text = fixture('fp8-method.cali_table');
    const t = parseCaliTable(text);
    expect(t.fp8).toBe(true);
    expect(t.rows.map((r) => r.name)).toEqual(['input', 'conv_0']);
    expect(t.headers).toContain('#tpu-mlir-fp8 caliration table');
    const h: CaliTableHeader = {
      mlirVersion: 'v1.14-20250320', mlirPath: 'mobilenet_v2.mlir', time: new Date(2025, 0, 2, 3, 4, 5, 6),
      histogramBins: 2048, sampleNumber: 30, method: 'MSE', fp8: true,
    };
    expect(formatCaliTable(h, t.rows)).toBe(text);
  });
});

describe('formatCaliTable', () => {
  const h: CaliTableHeader = { mlirVersion: 'v', mlirPath: 'm.mlir', time: new Date(2024, 0, 1), histogramBins: 2048, sampleNumber: 3 };

  test('the exact header lines, number spellings of %.7f, empty sections kept when asked for', () => {
    const text = formatCaliTable(h, [{ name: 'x', threshold: Infinity, min: -0, max: Number.NaN }], { int4Rows: [], asymOps: [] });
    expect(text).toBe([
      '# mlir version: v', '# mlir: m.mlir', '# genetated time: 2024-01-01 00:00:00', '# histogram number: 2048',
      '# sample number: 3', '###', '# op_name    threshold    min    max', 'x inf -0.0000000 nan', '', '#int4_th', '', '#asym_op', '',
    ].join('\n'));
  });

  test('what TPU-MLIR cannot read back is ignored by the reader too (inf/nan rows)', () => {
    const text = formatCaliTable(h, [{ name: 'bad', threshold: Infinity, min: 0, max: 1 }, { name: 'ok', threshold: 1, min: 0, max: 1 }]);
    expect(parseCaliTable(text).rows.map((r) => r.name)).toEqual(['ok']);
  });
});

describe("parseCaliTable follows ImportCalibration.cpp's rules", () => {
  test('\\r\\n endings, comments, rows that do not match the pattern are ignored; a later row wins', () => {
    const text = [
      '# mlir version: x', '# anything', 'a 1.0 -1.0 1.0', 'b 1e+05 0 1', 'c inf -1 1', 'd nan 0 1', 'e 1 2 3 4', 'f 1 2',
      '  g 1 2 3', 'h\t2.5\t-0.5\t2.5', '#hash 1 2 3', 'a 2.0 -2.0 2.0', 'i 1e-5 -1e-05 .5', '',
    ].join('\r\n');
    const t = parseCaliTable(text);
    expect(t.rows).toEqual([
      { name: 'a', threshold: 2, min: -2, max: 2 },
      { name: 'h', threshold: 2.5, min: -0.5, max: 2.5 },
      { name: '#hash', threshold: 1, min: 2, max: 3 }, // a non-marker '#' line is content, as in the importer
      { name: 'i', threshold: 1e-5, min: -1e-5, max: 0.5 },
    ]);
    expect(t.headers).toEqual(['# mlir version: x', '# anything', '#hash 1 2 3']);
  });

  test('numbers are read as a C++ stream reads them: "1-2" is 1 then -2; unreadable ones are an error naming the line', () => {
    expect(parseCaliTable('x 1-2 3 4\n').rows[0]).toEqual({ name: 'x', threshold: 1, min: -2, max: 3 });
    const e = (() => {
      try {
        parseCaliTable('ok 1 1 1\nx 1e 2 3\n', 't.txt');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).message).toMatch(/^t\.txt:2: cannot read the numbers/);
  });

  test('int4, weight_scale, fp8 and asym_op blocks', () => {
    const text = [
      'a 1.0000000 -1.0000000 1.0000000',
      '#weight_scale',
      'conv_weight 3 0.1 0.2 0.3',
      'short_weight 3 0.1',
      '#int4_th',
      'a 0.5 -0.5714286 0.5',
      '# a comment in int4',
      '#asym_op',
      'conv',
      '',
      '# skipped',
      'gelu extra words',
      '#mqbench-fp8',
      'b 4 -4 4',
    ].join('\n');
    const t = parseCaliTable(text);
    expect(t.rows.map((r) => r.name)).toEqual(['a', 'b']);
    expect(t.int4Rows).toEqual([{ name: 'a', threshold: 0.5, min: -0.5714286, max: 0.5 }]);
    expect(t.weightScales).toEqual(new Map([['conv_weight', [0.1, 0.2, 0.3]], ['short_weight', [0.1, 0, 0]]]));
    expect(t.asymOps).toEqual(['conv', 'gelu']);
    expect(t.fp8).toBe(true);
  });

  test('no usable rows is a UserError naming the file; a header that switches blocks is pointed out', () => {
    expect(() => parseCaliTable('# only comments\n', 'empty.txt')).toThrow(/^empty\.txt has no threshold rows$/);
    let e: unknown;
    try {
      parseCaliTable('# mlir: /models/asym_op_net.mlir\n###\nx 1 -1 1\n', 'trap.txt');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).hint).toMatch(/line 1 \("# mlir: \/models\/asym_op_net\.mlir"\) starts the asym block/);
  });
});

describe("Python's number and time spellings", () => {
  const fx = JSON.parse(fixture('py_format.json')) as { fixed7: [string, string][]; fixed6: [string, string][] };
  const num = (r: string): number => (r === 'inf' ? Infinity : r === '-inf' ? -Infinity : r === 'nan' ? NaN : Number(r));

  test("'%.7f' matches python3 on every fixture case (ties half-even, -0, huge, tiny, inf/nan)", () => {
    expect(fx.fixed7.length).toBeGreaterThan(300);
    const bad = fx.fixed7.filter(([r, want]) => pyFormatFixed(num(r), 7) !== want);
    expect(bad).toEqual([]);
  });

  test("'{:.6f}' too", () => {
    expect(fx.fixed6.filter(([r, want]) => pyFormatFixed(num(r), 6) !== want)).toEqual([]);
  });

  test('toFixed would be wrong on these (the fixture can catch a naive implementation)', () => {
    const naive = fx.fixed7.filter(([r, want]) => Number.isFinite(num(r)) && num(r).toFixed(7) !== want);
    expect(naive.length).toBeGreaterThan(5);
  });

  test('datetime str(): microseconds, or none when zero', () => {
    expect(pyDatetime(new Date(2025, 2, 9, 7, 5, 3, 7))).toBe('2025-03-09 07:05:03.007000');
    expect(pyDatetime(new Date(999, 11, 31, 23, 59, 59))).toBe('0999-12-31 23:59:59');
  });
});
