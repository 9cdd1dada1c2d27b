// `--global_compare_layers` (calibration spec §12.3): a comma list of tensor names, each with an
// optional `:rate`. When any rate is given every entry needs one and the rates must sum to 1
// (Python float equality, as upstream; TPU-MLIR prints an error and exits 1, we raise a UserError).
// The search then only visits ops that are transitive producers of these layers.
import { UserError, type Module, type Op } from '@tpu-quant/ir';

export interface CompareLayers {
  readonly names: readonly string[];
  /** One rate per name (all 1 when none were given). */
  readonly rates: readonly number[];
}

/** Parses the flag; undefined for an empty string. */
export function parseCompareLayers(text: string | undefined): CompareLayers | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const entries = text.split(',').map((s) => s.trim());
  const names = entries.map((e) => e.split(':')[0]!.trim());
  const withRate = entries.filter((e) => e.includes(':'));
  if (names.some((n) => n === '')) throw new UserError('E_BAD_FLAG', `--global_compare_layers "${text}" has an empty name`, 'give tensor names separated by commas, e.g. "out1,out2" or "out1:0.3,out2:0.7"');
  if (withRate.length === 0) return { names, rates: names.map(() => 1) };
  if (withRate.length !== entries.length) {
    throw new UserError('E_BAD_FLAG', `--global_compare_layers "${text}": ${withRate.length} of ${entries.length} layers have a rate`, 'give a rate to every layer (name:rate) or to none');
  }
  const rates = entries.map((e) => {
    const s = e.slice(e.lastIndexOf(':') + 1).trim();
    const r = Number(s);
    if (s === '' || !Number.isFinite(r)) throw new UserError('E_BAD_FLAG', `--global_compare_layers: "${e}" has no numeric rate`, 'write name:rate, e.g. out1:0.5');
    return r;
  });
  // Python's sum() adds left to right in doubles, as reduce does here
  const sum = rates.reduce((a, b) => a + b, 0);
  if (sum !== 1) throw new UserError('E_BAD_FLAG', `--global_compare_layers rates sum to ${sum}, not 1`, 'make the rates add up to exactly 1, e.g. out1:0.25,out2:0.75');
  return { names, rates };
}

/** Every compare layer must be a tensor of the top module; else one error naming those that are not. */
export function checkCompareLayers(module: Module, layers: CompareLayers): void {
  const names = new Set<string>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name) names.add(r.name);
  const missing = layers.names.filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new UserError('E_BAD_FLAG', `--global_compare_layers: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not a tensor of ${module.name ?? 'the model'}`, 'name tensors (loc names) of the top .mlir, as the calibration table does');
  }
}

/**
 * `find_all_pre_layers` over all compare layers: the names of every op they transitively read
 * (weights aside), the layers themselves included.
 */
export function ancestorsOf(module: Module, names: readonly string[]): Set<string> {
  const byName = new Map<string, Op>();
  for (const op of module.main.ops) for (const r of op.results) if (r.name) byName.set(r.name, op);
  const seen = new Set<string>();
  const stack = names.map((n) => byName.get(n)).filter((o): o is Op => o !== undefined);
  while (stack.length > 0) {
    const op = stack.pop()!;
    if (op.name === undefined || seen.has(op.name)) continue;
    seen.add(op.name);
    for (const v of op.operands) {
      const p = v.producer;
      if (p && p.type !== 'top.Weight' && p.type !== 'top.None') stack.push(p);
    }
  }
  return seen;
}
