// The layers a sensitivity search visits (calibration spec §6.1 step 5, §8 step 3): top op names
// (MlirParser order; fused multi-output ops left out) that the lowered INT8 model also has.
// search_qtable drops the ops whose tensors are not I8/U8 in the INT8 model (`float_ops`, what the
// lowering keeps float anyway) and, with `--transformer True`, some shape/normalisation types;
// run_sensitive_layer keeps them all.
import { UserError, type Module, type Op } from '@tpu-quant/ir';

const NOT_LAYERS = new Set(['top.Weight', 'top.None', 'func.return']);

/** `--transformer True` drops these top types (§6.1 step 5). */
export const TRANSFORMER_SKIP = new Set(['top.Reshape', 'top.LayerNorm', 'top.Unsqueeze', 'top.Gather', 'top.Slice', 'top.MulConst', 'top.Concat']);

/** The top ops with one named result, in op order (`get_no_fused_tensors` over the op list). */
export function topLayers(top: Module): Op[] {
  return top.main.ops.filter((op) => !NOT_LAYERS.has(op.type) && op.name !== undefined && op.results.length === 1);
}

/** Names of ops of the lowered model whose every result is an 8-bit quantized tensor. */
export function int8Layers(lowered: Module): Set<string> {
  const out = new Set<string>();
  for (const op of lowered.main.ops) {
    if (op.name === undefined || op.results.length === 0) continue;
    const q = op.results.every((r) => r.type.kind === 'tensor' && r.type.element.kind === 'quant.uniform' && r.type.element.storage.width === 8);
    if (q) out.add(op.name);
  }
  return out;
}

export interface Candidates {
  /** Top layers present in the INT8 model (`all layer number`). */
  readonly all: string[];
  /** `all` minus float_ops (`all layer number no float`): the Q of the budget increase. */
  readonly quant: string[];
  /** What the search visits (after the transformer filter). */
  readonly search: string[];
  /** Top type of every top layer. */
  readonly types: Map<string, string>;
}

export interface CandidateOptions {
  /** search_qtable: leave out ops not I8/U8 in the INT8 model. run_sensitive_layer: false. */
  readonly dropFloatOps: boolean;
  readonly transformer?: boolean;
  /** Every candidate needs a threshold here (the first method's table), else E_CALIBRATION_TABLE. */
  readonly thresholds?: ReadonlyMap<string, number>;
}

export function selectCandidates(top: Module, int8: Module, o: CandidateOptions): Candidates {
  const inInt8 = new Set<string>();
  for (const op of int8.main.ops) if (op.name !== undefined) inInt8.add(op.name);
  const quantized = int8Layers(int8);
  const types = new Map<string, string>();
  const all: string[] = [];
  for (const op of topLayers(top)) {
    types.set(op.name!, op.type);
    if (inInt8.has(op.name!)) all.push(op.name!);
  }
  const quant = o.dropFloatOps ? all.filter((n) => quantized.has(n)) : all;
  if (o.thresholds) {
    const missing = quant.filter((n) => !o.thresholds!.has(n));
    if (missing.length > 0) {
      throw new UserError('E_CALIBRATION_TABLE', `the calibration table has no threshold for ${missing.length} layer(s) of the search: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`, 'use a table run_calibration wrote for this .mlir');
    }
  }
  const search = o.transformer ? quant.filter((n) => !TRANSFORMER_SKIP.has(types.get(n)!)) : quant;
  return { all, quant, search, types };
}
