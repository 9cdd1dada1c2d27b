// fp_forward (TPU-MLIR python/tools/fp_forward.py + python/utils/fp_layer_search.py, spec
// calibration.md §15): a qtable that keeps chosen parts of a network in float — the pre-processing
// before some tensors, the post-processing after others, or blocks between them. It reads only the
// graph: no data, no model run.
//
// Where we differ from upstream, on purpose:
// - the entries come in the module's op order (upstream writes a Python set: arbitrary order);
// - names the module lacks (or weights) are reported as warnings and left out; upstream writes them
//   into the table, which our model_deploy would then refuse;
// - `auto` takes the chip's mix float type from ir's target registry, so cv186x and bm1690 get F16
//   (fp_layer_search's own FLOAT_MAP lacks them and upstream fails with a KeyError); explicit types
//   follow the registry's `mixFloatTypes` (bm1690: none, as upstream's chip_support_mix_fp_type);
// - nothing selected at all is an error (upstream writes an empty table).
import { formatQtable, parserView, type ParserView } from '@tpu-quant/calib';
import { getTarget, resolveMixFloatType, UserError, type FloatMode, type Module } from '@tpu-quant/ir';
import { allConsumers, allProducers, blockOps, union } from './traverse.js';

/** One `--fpfwd_blocks` entry `s1,s2:e1,e2`: from the start tensors to the end tensors. */
export interface FpForwardBlock {
  readonly starts: readonly string[];
  readonly ends: readonly string[];
}

export interface FpForwardOptions {
  /** `--fpfwd_inputs`: these tensors and everything that computes them stay float. */
  readonly inputs?: readonly string[];
  /** `--fpfwd_outputs`: these tensors and everything computed from them stay float. */
  readonly outputs?: readonly string[];
  /** `--fpfwd_blocks`: the ops between each block's starts and ends stay float. */
  readonly blocks?: readonly FpForwardBlock[];
  /** Processor name (ir's target registry). */
  readonly chip: string;
  /** `auto` (the chip's mix float type, the default), F16, F32 or BF16. */
  readonly fpType?: string;
}

export interface FpForwardResult {
  /** Processor name as the registry spells it. */
  readonly chip: string;
  /** The float mode every entry gets. */
  readonly mode: FloatMode;
  /** The qtable lines, in the module's op order. */
  readonly entries: readonly { readonly name: string; readonly mode: FloatMode }[];
  /** Names the module has no op for (left out), one line each. */
  readonly warnings: readonly string[];
}

export function fpForwardQtable(module: Module, o: FpForwardOptions): FpForwardResult {
  const target = getTarget(o.chip);
  const mode = resolveMixFloatType(target.name, o.fpType ?? 'auto');
  const inputs = o.inputs ?? [];
  const outputs = o.outputs ?? [];
  const blocks = o.blocks ?? [];
  if (inputs.length === 0 && outputs.length === 0 && blocks.length === 0) {
    throw new UserError('E_NO_SELECTION', 'fp_forward has nothing to keep in float', 'give --fpfwd_inputs, --fpfwd_outputs or --fpfwd_blocks with op names from the top .mlir');
  }
  const g = parserView(module);
  const position = positions(g);
  const warnings: string[] = [];
  const known = (flag: string) => (name: string): boolean => {
    if (position.get(name) !== undefined) return true;
    warnings.push(`--${flag}: "${name}" is not an op of ${module.modelName ?? 'the module'}; ignored`);
    return false;
  };
  const selected = union([
    ...inputs.filter(known('fpfwd_inputs')).map((n) => allProducers(g, n)),
    ...outputs.filter(known('fpfwd_outputs')).map((n) => allConsumers(g, n)),
    ...blocks.map((b) => blockOps(g, b.starts.filter(known('fpfwd_blocks')), b.ends.filter(known('fpfwd_blocks')))),
  ]);
  // every walked name is a tensor name of a listed op (producers are operand names, consumers are
  // listed only when their name is a tensor name), so each has a position
  const ordered = [...selected].sort((a, b) => {
    const pa = position.get(a)!;
    const pb = position.get(b)!;
    return pa[0] - pb[0] || pa[1] - pb[1];
  });
  return { chip: target.name, mode, entries: ordered.map((name) => ({ name, mode })), warnings };
}

/** The qtable text fp_forward writes (spec §11.2 without the sample-number line). */
export function formatFpForwardQtable(r: FpForwardResult, time: Date = new Date()): string {
  return formatQtable({ time, chip: r.chip, mode: r.mode }, r.entries);
}

/** `s1,s2:e1,e2` -> its start and end names; anything else is E_BAD_FLAG. */
export function parseFpForwardBlock(text: string): FpForwardBlock {
  const parts = text.split(':');
  const names = (s: string) => s.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const starts = names(parts[0] ?? '');
  const ends = names(parts[1] ?? '');
  if (parts.length !== 2 || starts.length === 0 || ends.length === 0) {
    throw new UserError('E_BAD_FLAG', `--fpfwd_blocks "${text}" is not "starts:ends"`, 'one block per value, e.g. --fpfwd_blocks "conv1,conv2:add3" "relu5:concat7" (comma-separated names either side of one colon)');
  }
  return { starts, ends };
}

/** Each tensor name's [op index, result index] in the module (its first appearance). */
function positions(g: ParserView): Map<string, [number, number]> {
  const at = new Map<string, [number, number]>();
  g.ops.forEach((o, i) => o.outputs.forEach((n, r) => { if (!at.has(n)) at.set(n, [i, r]); }));
  return at;
}
