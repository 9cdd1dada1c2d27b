import { describe, expect, test } from 'vitest';
import { compareNpz, compareReportCsv, formatCompareReport, ndarray, pyFloatRepr, selectCompareNames, type NdArray } from '@tpu-quant/ir';

const f32 = (v: number[]) => ndarray('f32', [v.length], Float32Array.from(v));

describe('selectCompareNames', () => {
  test('reference order, present in the target, minus excepts', () => {
    expect(selectCompareNames(['c', 'a', 'b'], ['a', 'x', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
  });
  test('above 200 names every n//200-th is kept, plus the last', () => {
    const names = Array.from({ length: 450 }, (_, i) => `t${i}`);
    const picked = selectCompareNames(names, names);
    expect(picked.length).toBe(226); // 0, 2, ..., 448 and 449
    expect(picked.at(-1)).toBe('t449');
    expect(picked.at(-2)).toBe('t448');
    // 201..399 names: step 1, all of them
    const mid = names.slice(0, 300);
    expect(selectCompareNames(mid, mid)).toHaveLength(300);
  });
});

describe('report text', () => {
  const ref = new Map<string, NdArray>([
    ['in', f32([1, 2, 3, 4])],
    ['conv', f32([1, 2, 3, 4, 5, 6, 7, 8])],
    ['relu', f32([1, 0, 3, 0])],
    ['q', ndarray('i8', [4], Int8Array.from([127, -128, 0, 5]))],
  ]);
  const target = new Map<string, NdArray>([
    ['in', f32([1, 2, 3, 4])],
    ['conv', f32([1.01, 2, 3, 4, 5, 6, 7, 8.02])],
    ['relu', f32([1, 0, 3.00001, 0])],
    ['q', ndarray('i8', [4], Int8Array.from([127, -128, 0, 5]))],
  ]);

  test('PASSED: per-tensor lines, -v details, int8 stats and the summary block', () => {
    const report = compareNpz(target, ref, { targetFile: 't.npz', refFile: 'r.npz' });
    expect(report.passed).toBe(true);
    const conv = report.results[1]!;
    const text = formatCompareReport(report, 1);
    expect(text).toBe(
      [
        `[in                              ]        EQUAL [PASSED]`,
        `    (4,) float32 `,
        `[conv                            ]      SIMILAR [PASSED]`,
        `    (8,) float32 `,
        `    cosine_similarity      = ${conv.cosine!.toFixed(6)}`,
        `    euclidean_similarity   = ${conv.euclid!.toFixed(6)}`,
        `    sqnr_similarity        = ${conv.sqnr!.toFixed(6)}`,
        `[relu                            ]        CLOSE [PASSED]`,
        `    (4,) float32 `,
        `    close order            = 5`,
        `[q                               ]        EQUAL [PASSED]`,
        `    (4,) int8 `,
        `    pos(x=127)    = 0.2500  [1/4]`,
        `    neg(x=-128)   = 0.2500  [1/4]`,
        `    zeros(x=0)    = 0.2500  [1/4]`,
        `    low(abs(x)<8) = 0.7500  [3/4]`,
        `4 compared`,
        `4 passed`,
        `  2 equal, 1 close, 1 similar`,
        `0 failed`,
        `  0 not equal, 0 not similar`,
        `min_similiarity = (${pyFloatRepr(conv.cosine!)}, ${pyFloatRepr(conv.euclid!)}, ${pyFloatRepr(conv.sqnr!)})`,
        `Target    t.npz`,
        `Reference r.npz`,
        `npz compare PASSED.`,
        ``,
      ].join('\n'),
    );
  });

  test('FAILED with a tight tolerance; CSV rows say why', () => {
    const report = compareNpz(target, ref, { cosineTol: 0.99, euclidTol: 0.9999, excepts: ['in'] });
    expect(report.passed).toBe(false);
    expect(report.counts).toMatchObject({ NOT_SIMLIAR: 1, CLOSE: 1, EQUAL: 1 });
    const text = formatCompareReport(report, 0, { savedTo: 'o.csv' });
    expect(text).toMatch(/^\[conv {28}\]  NOT_SIMLIAR \[FAILED\]$/m);
    expect(text).toMatch(/^1 failed\n  0 not equal, 1 not similar\n/m);
    expect(text.endsWith('Results save as o.csv\nTarget    target\nReference reference\nnpz compare FAILED.\n')).toBe(true);
    const csv = compareReportCsv(report).split('\n');
    expect(csv[0]).toBe('name, op, quant, pass, sim_cos, sim_euc, sqnr');
    expect(csv[1]).toMatch(/^conv, -, -, False, 0\.99\d+, 0\.99\d+, \d+\.\d+$/);
    expect(csv[2]).toBe('relu, -, -, True, 1.0, 1.0, inf');
  });

  test('no similarity computed: min_similiarity stays (1.0, 1.0, inf)', () => {
    const report = compareNpz(new Map([['a', f32([1])]]), new Map([['a', f32([1])]]));
    expect(formatCompareReport(report)).toContain('min_similiarity = (1.0, 1.0, inf)\n');
  });
});

describe('pyFloatRepr', () => {
  test('spells floats as Python does', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(0.1)).toBe('0.1');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(1.5e16)).toBe('1.5e+16');
    expect(pyFloatRepr(123456.5)).toBe('123456.5');
    expect(pyFloatRepr(-0.0001)).toBe('-0.0001');
    expect(pyFloatRepr(Math.fround(0.1), true)).toBe('0.1');
    expect(pyFloatRepr(Math.fround(0.1))).toBe('0.10000000149011612');
  });
});
