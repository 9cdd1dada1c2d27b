// The `--mlir-timing` report: wall time per pass and its share of the total, in MLIR's layout
// so that people who read mlir-opt reports can read ours.
import type { PassTiming } from './pipeline-runner.js';

const RULE = `===${'-'.repeat(73)}===`;

export function formatTimings(timings: readonly PassTiming[]): string {
  const total = timings.reduce((s, t) => s + t.ms, 0);
  // Passes in pipeline order (one row per run); verifier runs add up to one row.
  const rows = timings.filter((t) => t.kind !== 'verifier').map((t) => ({ name: t.pass, ms: t.ms }));
  const verifier = timings.filter((t) => t.kind === 'verifier');
  if (verifier.length > 0) rows.push({ name: '(A) verifier', ms: verifier.reduce((s, t) => s + t.ms, 0) });
  rows.push({ name: 'Total', ms: total });

  const line = (ms: number, name: string): string => {
    const pct = total > 0 ? (100 * ms) / total : name === 'Total' ? 100 : 0;
    return `  ${(ms / 1000).toFixed(4).padStart(8)} (${pct.toFixed(1).padStart(5)}%)  ${name}`;
  };
  return [
    RULE,
    `${' '.repeat(25)}... Execution time report ...`,
    RULE,
    `  Total Execution Time: ${(total / 1000).toFixed(4)} seconds`,
    '',
    '  ----Wall Time----  ----Name----',
    ...rows.map((r) => line(r.ms, r.name)),
  ].join('\n');
}
