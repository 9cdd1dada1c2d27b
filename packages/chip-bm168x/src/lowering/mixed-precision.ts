// Mixed precision: the mode each top op is lowered in (spec deploy.md §3.5, §3.7, §3.8). The mode
// is the qtable's entry for the op's name (`init_qtable` in TopToTpuPass.cpp: a qtable already
// parsed into name -> MODE, e.g. by @tpu-quant/calib's parseQtable), else the module's mode.
// Float entries go through the chip's float table: CV18xx reads F32/F16 as BF16 (`floatRemap`,
// init_qtable); a float type the chip lacks (F16/BF16 on BM1684, whose lowerings have no F16/BF16
// and abort) is refused naming the ops.
//
// Deliberate differences from TPU-MLIR:
// - a qtable naming no op of the module is an error listing the names (TPU-MLIR ignores the
//   entries silently, so a typo keeps the op in the module's mode);
// - qtable modes this lowering does not have yet (INT4, UINT8, W8F16/W8BF16/W4F16/W4BF16, F8*) are
//   refused naming the ops, never lowered some other way;
// - an INT8 entry on an op of an uncalibrated module is an error (TPU-MLIR aborts inside
//   getQuantInt8Type); an INT8 entry on a tensor the table leaves out falls back to float, as an
//   op whose INT8 lowering does not apply.
import type { Module, Op, TargetInfo } from '@tpu-quant/ir';
import { getTarget, UserError } from '@tpu-quant/ir';
import type { FloatModeName } from './lower-float.js';

/** The per-op modes this lowering has. */
export type LoweredMode = 'INT8' | FloatModeName;

const LOWERED: readonly string[] = ['INT8', 'F32', 'F16', 'BF16'];
const FLOATS: readonly string[] = ['F32', 'F16', 'BF16'];

/** Ops no lowering touches: a qtable entry for one changes nothing. */
const NOT_LOWERED = new Set(['top.Input', 'top.Weight', 'top.None']);

/** The float mode a float request computes in on `target` (CV18xx: BF16); undefined when the chip has none. */
export function floatModeOn(target: TargetInfo, mode: FloatModeName): FloatModeName | undefined {
  const remapped = (target.floatRemap?.[mode] ?? mode) as FloatModeName;
  return (target.quantModes as readonly string[]).includes(remapped) ? remapped : undefined;
}

export interface QtableCheck {
  /** Names the module has no op for. */
  readonly unknown: string[];
  /** Entries naming ops that are not lowered (inputs, weights): they change nothing. */
  readonly noEffect: string[];
  /** Entries by mode, e.g. F16 -> [conv1, conv2]. */
  readonly byMode: Map<string, string[]>;
}

/** Which qtable names the module has, and which modes it asks for; throws nothing. */
export function checkQuantizeTable(module: Module, table: ReadonlyMap<string, string>): QtableCheck {
  const ops = new Map<string, Op>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name !== undefined && !ops.has(r.name)) ops.set(r.name, op);
  const unknown: string[] = [];
  const noEffect: string[] = [];
  const byMode = new Map<string, string[]>();
  for (const [name, mode] of table) {
    const op = ops.get(name);
    if (!op) unknown.push(name);
    else if (NOT_LOWERED.has(op.type)) noEffect.push(name);
    else byMode.set(mode, [...(byMode.get(mode) ?? []), name]);
  }
  return { unknown, noEffect, byMode };
}

export interface OpModes {
  /** The mode `op` is lowered in. */
  modeOf(op: Op): LoweredMode;
  /** Whether some op is lowered in INT8 (the module must be calibrated). */
  readonly anyInt8: boolean;
}

/**
 * The per-op modes of a lowering in module mode `mode` with `quantizeTable` (may be empty). Throws
 * E_QTABLE for names the module lacks and E_UNSUPPORTED_MODE for modes not lowered yet.
 */
export function resolveOpModes(module: Module, chip: string, mode: LoweredMode, quantizeTable: ReadonlyMap<string, string> = new Map()): OpModes {
  const target = getTarget(chip.toLowerCase());
  const check = checkQuantizeTable(module, quantizeTable);
  if (check.unknown.length > 0) {
    throw new UserError('E_QTABLE', `the qtable names ${check.unknown.length} op${check.unknown.length > 1 ? 's' : ''} the module lacks: ${list(check.unknown)}`, 'qtable lines are "<op name> <mode>" with op names (loc names) from the top .mlir');
  }
  const unsupported = [...check.byMode].filter(([m]) => !LOWERED.includes(m));
  if (unsupported.length > 0) {
    const what = unsupported.map(([m, names]) => `${m} (${list(names, 3)})`).join('; ');
    throw new UserError('E_UNSUPPORTED_MODE', `qtable modes not lowered yet: ${what}`, `per-op modes available: ${LOWERED.join(', ')}`);
  }
  const byName = new Map<string, LoweredMode>();
  for (const [m, names] of check.byMode) {
    const lowered = FLOATS.includes(m) ? floatModeOn(target, m as FloatModeName) : (m as LoweredMode);
    if (!lowered) {
      throw new UserError('E_UNSUPPORTED_MODE', `${target.name} has no ${m}: qtable entries ${list(names, 3)}`, `its float type is ${target.floatForMix}: write ${target.floatForMix} in the qtable (fp_type auto)`);
    }
    for (const n of names) byName.set(n, lowered);
  }
  const moduleMode = mode; // the module's own mode is taken as given (the CLI checks it against the chip)
  const modeOf = (op: Op): LoweredMode => (op.name !== undefined ? byName.get(op.name) : undefined) ?? moduleMode;
  const anyInt8 = moduleMode === 'INT8' || [...byName.values()].includes('INT8');
  return { modeOf, anyInt8 };
}

function list(names: readonly string[], n = 5): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')}, ... (${names.length - n} more)`;
}
