import { describe, expect, it } from 'vitest';
import { formatTimings } from '../../src/passes/index.js';

describe('formatTimings', () => {
  it('prints total, per-pass wall time and share, like --mlir-timing', () => {
    const text = formatTimings([
      { pass: 'verifier', ms: 1, kind: 'verifier' },
      { pass: 'sort-topologically', ms: 2, kind: 'pass' },
      { pass: 'verifier', ms: 1, kind: 'verifier' },
      { pass: 'dce', ms: 6, kind: 'pass' },
    ]);
    expect(text.split('\n')).toEqual([
      '===-------------------------------------------------------------------------===',
      '                         ... Execution time report ...',
      '===-------------------------------------------------------------------------===',
      '  Total Execution Time: 0.0100 seconds',
      '',
      '  ----Wall Time----  ----Name----',
      '    0.0020 ( 20.0%)  sort-topologically',
      '    0.0060 ( 60.0%)  dce',
      '    0.0020 ( 20.0%)  (A) verifier',
      '    0.0100 (100.0%)  Total',
    ]);
  });

  it('does not divide by zero for an empty or instant pipeline', () => {
    expect(formatTimings([])).toContain('    0.0000 (100.0%)  Total');
    expect(formatTimings([{ pass: 'verify', ms: 0, kind: 'pass' }])).toContain('    0.0000 (  0.0%)  verify');
  });
});
