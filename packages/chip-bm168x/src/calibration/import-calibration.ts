// Calibration table → per-tensor ranges on a top module (spec deploy.md §3.2;
// lib/Dialect/Top/Transforms/ImportCalibration.cpp, the `--import-calibration-table` pass).
//
// The table itself is read by the caller (the CLI uses @tpu-quant/calib's parser; chips may not
// import calib): this module takes its int8 rows as plain data. The `#weight_scale`, `#int4_th`
// and fp8 sections are not handled here yet; `asym_op` names come in as `asymOps`.
//
// Deliberate differences from TPU-MLIR:
// - A Sub whose output has no row stays float. TPU-MLIR's rule gives it [-1e-5, 0] (min −1e-5
//   from the "never unsigned" Sub rule, max 0 from the absent threshold), a range no real tensor
//   has.
// - Values left float and rows naming no value are reported (TPU-MLIR says nothing).
import type { Module, Op, Value } from '@tpu-quant/ir';
import { boolAttr, stringAttr, UserError } from '@tpu-quant/ir';
import { boolAttrTrue, familyOf, setCalibrated } from './calibrated.js';

/** One data line of a calibration table: `<name> <threshold> <min> <max>`. */
export interface CalibrationRow {
  readonly name: string;
  readonly threshold: number;
  readonly min: number;
  readonly max: number;
}

export interface ImportCalibrationOptions {
  /** `--asymmetric`: ranges are the table's min/max instead of ±threshold. */
  readonly asymmetric?: boolean;
  /** The processor (`bm1684x` unless told); CV18xx forces every range symmetric: min = −max. */
  readonly processor?: string;
  /**
   * Ops named in the table's `asym_op` list: GELU/SiLU get `output_asym` (their output range is
   * the table's min/max even in symmetric mode), Conv/MatMul get `input_asym`.
   */
  readonly asymOps?: readonly string[];
}

export interface ImportCalibrationResult {
  /** How many values got a calibrated range. */
  readonly calibrated: number;
  /** Float results of top ops with no row (and no forced range): they stay float. */
  readonly uncovered: readonly string[];
  /** Rows whose name is no value of the module. */
  readonly unused: readonly string[];
}

/**
 * The `import-calibration-table` pass: every float result of a top op (Weight and None aside)
 * whose name has a row becomes `!quant.calibrated<f32<min:max>>` by TPU-MLIR's getMinMax rules
 * (see `rangeFor`); the function result types follow, and `module.state` becomes
 * TOP_CALIBRATED. The module must be in state TOP_F32 (or carry no state).
 */
export function importCalibration(module: Module, rows: readonly CalibrationRow[], opts: ImportCalibrationOptions = {}): ImportCalibrationResult {
  const state = module.attrs.get('module.state');
  if (state?.kind === 'string' && state.value !== 'TOP_F32') {
    throw new UserError('E_MODULE_STATE', `cannot import a calibration table into a module in state ${state.value}`, 'import calibration into the top (TOP_F32) mlir that model_transform wrote');
  }
  const table = new Map<string, CalibrationRow>();
  for (const r of rows) table.set(r.name, r);
  const cv18xx = familyOf(opts.processor ?? 'bm1684x') === 'cv18xx';
  const asymOps = new Set(opts.asymOps ?? []);
  const used = new Set<string>();
  const uncovered: string[] = [];
  let calibrated = 0;

  for (const f of module.funcs) {
    for (const op of f.ops) {
      if (!isCalibratable(op)) continue;
      markAsymOp(op, asymOps);
      const asymmetric = (opts.asymmetric ?? false) || boolAttrTrue(op, 'output_asym');
      for (const v of op.results) {
        if (v.type.kind !== 'tensor' || v.type.element.kind !== 'float') continue;
        const name = v.name ?? '';
        const row = table.get(name);
        if (row) used.add(name);
        const r = rangeFor(op, row, asymmetric);
        if (r === undefined) {
          uncovered.push(name);
          continue;
        }
        const min = cv18xx ? -r.max : r.min;
        if (min === 0 && r.max === 0) {
          uncovered.push(name);
          continue;
        }
        setCalibrated(v, min, r.max);
        calibrated++;
      }
    }
    if (f.returnOp) f.resultTypes = f.outputs.map((v) => v.type);
  }
  module.attrs.set('module.state', stringAttr('TOP_CALIBRATED'));
  const unused = rows.map((r) => r.name).filter((n) => !used.has(n));
  return { calibrated, uncovered, unused };
}

/** Ops whose results TPU-MLIR calibrates: top.Input and every inferable top op. */
function isCalibratable(op: Op): boolean {
  return op.dialect === 'top' && op.type !== 'top.Weight' && op.type !== 'top.None';
}

function markAsymOp(op: Op, asymOps: ReadonlySet<string>): void {
  if (asymOps.size === 0 || !asymOps.has(op.name ?? '')) return;
  if (op.type === 'top.GELU' || op.type === 'top.SiLU') op.setAttr('output_asym', boolAttr(true));
  if (op.type === 'top.Conv' || op.type === 'top.MatMul') op.setAttr('input_asym', boolAttr(true));
}

const definedBy = (v: Value, ...types: string[]): boolean => types.includes(v.producer?.type ?? '');

/**
 * TPU-MLIR's `getMinMax` for one result, from its row (absent: threshold = min = max = 0):
 * - Abs: [−th, th];
 * - Sigmoid (not log) and Softmax: [0, 1], with or without a row;
 * - Mul of one value by itself, or of Sigmoid/Relu outputs only: [0, th]; otherwise as below;
 * - Sub: [−th, th] when the table min < 0, else [−1e-5, th] (never unsigned);
 * - symmetric: [−th, th] when the table min < 0, else [0, th];
 * - asymmetric: the table's [min, max];
 * then any op but Sub with `do_relu = true` gets min 0.
 * Undefined: no range (a Sub without a row, see the file header).
 */
export function rangeFor(op: Op, row: CalibrationRow | undefined, asymmetric: boolean): { min: number; max: number } | undefined {
  const th = row?.threshold ?? 0;
  const tmin = row?.min ?? 0;
  let r: { min: number; max: number };
  switch (op.type) {
    case 'top.Abs':
      r = { min: -th, max: th };
      break;
    case 'top.Sigmoid':
      r = boolAttrTrue(op, 'log') ? signRange(row, asymmetric) : { min: 0, max: 1 };
      break;
    case 'top.Softmax':
      r = { min: 0, max: 1 };
      break;
    case 'top.Mul': {
      const ins = op.operands;
      const same = ins.every((v) => v === ins[0]);
      const positive = ins.every((v) => definedBy(v, 'top.Sigmoid', 'top.Relu'));
      r = same || positive ? { min: 0, max: th } : { min: tmin < 0 ? -th : 0, max: th };
      break;
    }
    case 'top.Sub':
      if (!row) return undefined;
      r = { min: tmin < 0 ? -th : -1e-5, max: th };
      break;
    default:
      r = signRange(row, asymmetric);
  }
  if (op.type !== 'top.Sub' && boolAttrTrue(op, 'do_relu')) r = { min: 0, max: r.max };
  return r;
}

function signRange(row: CalibrationRow | undefined, asymmetric: boolean): { min: number; max: number } {
  const th = row?.threshold ?? 0;
  if (asymmetric) return { min: row?.min ?? 0, max: row?.max ?? 0 };
  return { min: (row?.min ?? 0) < 0 ? -th : 0, max: th };
}
