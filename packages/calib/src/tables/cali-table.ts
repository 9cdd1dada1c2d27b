// The calibration table (calibration spec §11.1), written byte for byte as TPU-MLIR's
// ActivationCalibrator.run writes it and read as the deployment importer reads it
// (lib/Dialect/Top/Transforms/ImportCalibration.cpp).
import { UserError } from '@tpu-quant/ir';
import type { ThresholdRow } from '../stats/types.js';
import { pyDatetime, pyFormatFixed } from './py-format.js';

export interface CaliTableHeader {
  /** `pymlir.__version__` in TPU-MLIR; our version string here. */
  mlirVersion: string;
  mlirPath: string;
  /** Written as Python's `str(datetime.now())`, local time. */
  time: Date;
  histogramBins: number;
  sampleNumber: number;
  /** Tuned tables only: `# tune number:` after the sample number. */
  tuneNumber?: number;
  /** search_threshold / search_qtable: `# quantization threshold calculation method: <M>`. */
  method?: string;
  /** fp8 tables: `#tpu-mlir-fp8 caliration table` (sic) replaces the histogram line. */
  fp8?: boolean;
}

export interface CaliTable {
  /** The `#` lines of the threshold section, in order (TPU-MLIR's CalibrationTable.headers). */
  headers: string[];
  /** int8 thresholds (and fp8 ones, see `fp8`), first-seen order, a later row for a name winning. */
  rows: ThresholdRow[];
  int4Rows: ThresholdRow[];
  asymOps: string[];
  /** `#weight_scale` blocks: per-channel weight scales keyed `<op name>_weight`. */
  weightScales: Map<string, number[]>;
  /** The table has an fp8 block (`#tpu-mlir-fp8` or `mqbench-fp8`); its rows are in `rows`. */
  fp8: boolean;
}

const f = (x: number): string => pyFormatFixed(x, 7);

/**
 * The table text. `int4Rows` / `asymOps`, when given (even empty), add the `#int4_th` /
 * `#asym_op` sections, each after a blank line, as `debug_cmd=int4` / `--part_asymmetric` do.
 */
export function formatCaliTable(
  h: CaliTableHeader,
  rows: readonly ThresholdRow[],
  extra: { int4Rows?: readonly ThresholdRow[]; asymOps?: readonly string[] } = {},
): string {
  const out: string[] = [
    `# mlir version: ${h.mlirVersion}`,
    `# mlir: ${h.mlirPath}`,
    `# genetated time: ${pyDatetime(h.time)}`,
  ];
  if (h.method !== undefined) out.push(`# quantization threshold calculation method: ${h.method}`);
  out.push(h.fp8 ? '#tpu-mlir-fp8 caliration table' : `# histogram number: ${h.histogramBins}`);
  out.push(`# sample number: ${h.sampleNumber}`);
  if (h.tuneNumber !== undefined) out.push(`# tune number: ${h.tuneNumber}`);
  out.push('###', '# op_name    threshold    min    max');
  for (const r of rows) out.push(row(r));
  if (extra.int4Rows) {
    out.push('', '#int4_th');
    for (const r of extra.int4Rows) out.push(row(r));
  }
  if (extra.asymOps) out.push('', '#asym_op', ...extra.asymOps);
  return `${out.join('\n')}\n`;
}

function row(r: ThresholdRow): string {
  return `${r.name} ${f(r.threshold)} ${f(r.min)} ${f(r.max)}`;
}

type Block = 'int8' | 'weight_scale' | 'int4' | 'fp8' | 'asym';

// std::regex's \s in the C locale; the row must match whole (so inf, nan and '+' never do).
const WS = '[ \\t\\n\\v\\f\\r]';
const ROW = new RegExp(`^[^ \\t\\n\\v\\f\\r]+${WS}+[-0-9.e]+${WS}+[-0-9.e]+${WS}+[-0-9.e]+$`);

/** ImportCalibration.cpp's block markers: a `#` line containing one of these switches blocks. */
function markerOf(line: string): Block | undefined {
  if (line.includes('#weight_scale')) return 'weight_scale';
  if (line.includes('#int4_th')) return 'int4';
  if (line.includes('#tpu-mlir-fp8') || line.includes('mqbench-fp8')) return 'fp8';
  if (line.includes('asym_op')) return 'asym';
  return undefined;
}

/**
 * Reads a table as TPU-MLIR's importer does: one trailing `\r` trimmed per line; a `#` line holding
 * a block marker switches blocks (`#weight_scale`, `#int4_th`, `#tpu-mlir-fp8`/`mqbench-fp8`,
 * `asym_op` — anywhere in a `#` line, so a header naming e.g. `.../asym_op.mlir` switches too);
 * other lines are the current block's content, and in threshold blocks only lines matching
 * `\S+\s+[-0-9.e]+\s+[-0-9.e]+\s+[-0-9.e]+` count — the rest (comments, `inf`, `nan`, `1e+05`,
 * five fields) are ignored. Deviations, where the importer would abort: a matching row whose
 * numbers its stream extraction cannot read is a UserError; blank and `#` lines in the asym_op
 * block are skipped. A table without any int8/fp8/int4 row is a UserError naming `source`.
 */
export function parseCaliTable(text: string, source = 'calibration table'): CaliTable {
  const int8 = new Map<string, ThresholdRow>();
  const int4 = new Map<string, ThresholdRow>();
  const asymOps: string[] = [];
  const weightScales = new Map<string, number[]>();
  const headers: string[] = [];
  const markers: string[] = [];
  let fp8 = false;
  let block: Block = 'int8';
  let inHeaderSection = true;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) {
      const m = markerOf(line);
      if (m !== undefined) {
        block = m;
        markers.push(`line ${i + 1} ("${line}") starts the ${m} block`);
        if (m === 'fp8') {
          fp8 = true;
          if (inHeaderSection) headers.push(line);
        } else {
          inHeaderSection = false;
        }
        return;
      }
      if (inHeaderSection) headers.push(line);
    }
    switch (block) {
      case 'int8':
      case 'fp8':
      case 'int4': {
        if (!ROW.test(line)) return;
        const r = readRow(line, `${source}:${i + 1}`);
        (block === 'int4' ? int4 : int8).set(r.name, r);
        return;
      }
      case 'weight_scale': {
        const ws = readWeightScales(line);
        if (ws) weightScales.set(ws.name, ws.values);
        return;
      }
      case 'asym': {
        const name = line.trim().split(/[ \t\n\v\f\r]+/)[0];
        if (name && !name.startsWith('#')) asymOps.push(name);
        return;
      }
    }
  });
  if (int8.size === 0 && int4.size === 0) {
    throw new UserError(
      'E_CALI_TABLE',
      `${source} has no threshold rows`,
      markers.length > 0
        ? `rows are "<name> <threshold> <min> <max>" in the first block; note ${markers[0]}`
        : 'rows are "<name> <threshold> <min> <max>", numbers as %.7f; is this a calibration table?',
    );
  }
  return { headers, rows: [...int8.values()], int4Rows: [...int4.values()], asymOps, weightScales, fp8 };
}

function readRow(line: string, where: string): ThresholdRow {
  const s = new Scanner(line);
  const name = s.word();
  const threshold = s.double();
  const min = s.double();
  const max = s.double();
  if (threshold === undefined || min === undefined || max === undefined) {
    throw new UserError('E_CALI_TABLE', `${where}: cannot read the numbers of "${line}"`, 'rows are "<name> <threshold> <min> <max>" with decimal numbers');
  }
  return { name: name!, threshold, min, max };
}

/** `name n v1 .. vn`; failed reads give 0, as the importer's stream does. */
function readWeightScales(line: string): { name: string; values: number[] } | undefined {
  if (line.startsWith('#')) return undefined;
  const s = new Scanner(line);
  const name = s.word();
  if (name === undefined) return undefined;
  const n = s.int() ?? 0;
  const values: number[] = [];
  let ok = true;
  for (let k = 0; k < n; k++) {
    const v = ok ? s.double() : undefined;
    if (v === undefined) ok = false;
    values.push(v ?? 0);
  }
  return { name, values };
}

/**
 * The subset of `std::istream >>` the importer relies on: whitespace-separated words, and numbers
 * read as the longest run a C++ stream accepts (so `1-2` reads as 1 then -2, like the importer).
 */
class Scanner {
  private pos = 0;
  constructor(private readonly s: string) {}

  private skipSpace(): void {
    while (this.pos < this.s.length && ' \t\n\v\f\r'.includes(this.s[this.pos]!)) this.pos++;
  }

  word(): string | undefined {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.s.length && !' \t\n\v\f\r'.includes(this.s[this.pos]!)) this.pos++;
    return this.pos > start ? this.s.slice(start, this.pos) : undefined;
  }

  double(): number | undefined {
    this.skipSpace();
    const m = /^[-+]?[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]*)?/.exec(this.s.slice(this.pos));
    const tok = m?.[0] ?? '';
    this.pos += tok.length;
    // strtod must consume all of it: digits needed in the mantissa and after an 'e'.
    if (!/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(tok)) return undefined;
    return Number(tok);
  }

  int(): number | undefined {
    this.skipSpace();
    const m = /^[-+]?[0-9]+/.exec(this.s.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return Number(m[0]);
  }
}
