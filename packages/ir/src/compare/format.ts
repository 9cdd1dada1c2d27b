// The text npz_tool compare prints, and the CSV its --save writes (tensor_compare.py's
// print_result, TensorCompareStats.print_result / save_result).
import { numpyDTypeName, pyShape } from './align.js';
import type { NamedCompareResult, NpzCompareReport } from './npz-compare.js';
import { pyFixed, pyFloatRepr } from './py-format.js';

export interface FormatOptions {
  /** -v count: 1 adds shapes and metrics, 2 the top-10 values of failures, 3 every difference */
  readonly verbose?: number;
  /** where --save wrote the CSV: adds `Results save as <file>` */
  readonly savedTo?: string;
  /** override the file names the report was made with */
  readonly targetFile?: string;
  readonly referenceFile?: string;
}

/**
 * The whole report as TPU-MLIR prints it, one string with a trailing newline.
 * `formatCompareReport(report, 1)` or `formatCompareReport(report, { verbose: 1, ... })`.
 */
export function formatCompareReport(report: NpzCompareReport, verbosity: number | FormatOptions = 0, options: FormatOptions = {}): string {
  const opts = typeof verbosity === 'number' ? { ...options, verbose: verbosity } : verbosity;
  const verbose = opts.verbose ?? 0;
  const lines: string[] = [];
  for (const r of report.results) lines.push(...r.messages);
  for (const r of report.results) lines.push(...formatTensorResult(r, verbose, report.perAxis));
  const c = report.counts;
  lines.push(
    `${report.results.length} compared`,
    `${report.numPassed} passed`,
    `  ${c.EQUAL} equal, ${c.CLOSE} close, ${c.SIMILAR} similar`,
    `${report.numFailed} failed`,
    `  ${c.NOT_EQUAL} not equal, ${c.NOT_SIMLIAR} not similar`,
    `min_similiarity = (${pyFloatRepr(report.minCosine)}, ${pyFloatRepr(report.minEuclid)}, ${pyFloatRepr(report.minSqnr)})`,
  );
  if (opts.savedTo !== undefined) lines.push(`Results save as ${opts.savedTo}`);
  lines.push(
    `Target    ${opts.targetFile ?? report.targetFile}`,
    `Reference ${opts.referenceFile ?? report.refFile}`,
    report.passed ? 'npz compare PASSED.' : 'npz compare FAILED.',
  );
  return `${lines.join('\n')}\n`;
}

export function formatTensorResult(r: NamedCompareResult, verbosity: number, perAxis = -1): string[] {
  const lines = [`[${r.name.padEnd(32)}] ${r.verdict.padStart(12)} [${(r.passed ? 'PASSED' : 'FAILED').padStart(6)}]`];
  const value = (v: number) => (r.kind === 'f32' ? pyFloatRepr(v, true) : String(v));
  if (verbosity > 0) {
    lines.push(`    ${pyShape(r.targetShape)} ${numpyDTypeName(r.targetDType)} `);
    if (r.verdict === 'CLOSE') lines.push(`    close order            = ${r.closeOrder}`);
    if (r.verdict === 'SIMILAR' || r.verdict === 'NOT_SIMLIAR') {
      if (perAxis >= 0 && perAxis < r.targetShape.length) lines.push(`    channel ${r.channel} on axis ${perAxis} :`);
      lines.push(
        `    cosine_similarity      = ${pyFixed(r.cosine!, 6)}`,
        `    euclidean_similarity   = ${pyFixed(r.euclid!, 6)}`,
        `    sqnr_similarity        = ${pyFixed(r.sqnr!, 6)}`,
      );
    }
  }
  const s = r.int8Stats;
  if (s !== undefined) {
    const row = (label: string, n: number) => `    ${label} = ${pyFixed(n / s.total, 4)}  [${n}/${s.total}]`;
    lines.push(row('pos(x=127)   ', s.pos), row('neg(x=-128)  ', s.neg), row('zeros(x=0)   ', s.zeros), row('low(abs(x)<8)', s.low));
  }
  const d = r.details;
  if (d === undefined || r.passed) return lines;
  if (verbosity > 1 && d.topK !== undefined) {
    lines.push('top-k:', ' idx-t  target  idx-r  ref');
    d.topK.target.forEach(([it, t], i) => {
      const [ir, rv] = d.topK!.ref[i]!;
      lines.push(`  ${it} ${value(t)} ${ir} ${value(rv)}`);
    });
  }
  if (verbosity > 2 && d.diffs) {
    lines.push('all-diffs:', ' idx  target  ref');
    for (const [i, t, rv] of d.diffs) lines.push(`  ${i} ${value(t)} ${value(rv)}`);
  }
  return lines;
}

/** The --save CSV: equal/close tensors get cos = euc = 1.0 and sqnr = inf. */
export function compareReportCsv(report: NpzCompareReport): string {
  const rows = ['name, op, quant, pass, sim_cos, sim_euc, sqnr'];
  for (const r of report.results) {
    const sim = r.verdict === 'SIMILAR' || r.verdict === 'NOT_SIMLIAR';
    const cos = sim ? pyFloatRepr(r.cosine!) : '1.0';
    const euc = sim ? pyFloatRepr(r.euclid!) : '1.0';
    const q = sim ? pyFloatRepr(r.sqnr!) : 'inf';
    rows.push(`${r.name}, -, -, ${r.passed ? 'True' : 'False'}, ${cos}, ${euc}, ${q}`);
  }
  return `${rows.join('\n')}\n`;
}
