// Incremental execution: the downstream cone of an op (the op and every op that transitively reads
// its results) and the tensors from outside the cone that it reads. A search that changes one
// layer re-runs only this cone, taking everything else from a cached full run.
import { UserError } from '@tpu-quant/ir';
import type { Plan } from './plan.js';

export interface Cone {
  /** Step indices, in execution order. */
  readonly steps: readonly number[];
  /** Slots the cone reads but does not produce (constants excluded), with their tensor names. */
  readonly needs: readonly { slot: number; name: string }[];
}

/** Finds the step of every named op (by its results' loc names) and the cone below them. */
export function coneOf(plan: Plan, roots: readonly string[]): Cone {
  const stepOfName = new Map<string, number>();
  plan.steps.forEach((s, i) => s.names.forEach((n) => n !== undefined && stepOfName.set(n, i)));
  const inCone = new Array<boolean>(plan.steps.length).fill(false);
  const produced = new Set<number>();
  for (const r of roots) {
    const i = stepOfName.get(r);
    if (i === undefined || plan.steps[i]!.constant) {
      throw new UserError('E_UNKNOWN_OP', `no op named "${r}" to run from`, 'name an op by its result (loc) name, as capture and calibration tables do');
    }
    inCone[i] = true;
  }
  // steps are in execution order, so one forward sweep closes the cone
  plan.steps.forEach((s, i) => {
    if (!inCone[i] && !s.constant && s.inputs.some((x) => produced.has(x))) inCone[i] = true;
    if (inCone[i]) s.outputs.forEach((o) => produced.add(o));
  });
  const constant = new Set(plan.steps.filter((s) => s.constant).flatMap((s) => s.outputs));
  const argName = new Map(plan.inputs.map((inp) => [inp.slot, inp.name]));
  const nameOfSlot = new Map<number, string>();
  for (const s of plan.steps) s.outputs.forEach((o, k) => s.names[k] !== undefined && nameOfSlot.set(o, s.names[k]!));
  const steps: number[] = [];
  const needs = new Map<number, string>();
  inCone.forEach((c, i) => {
    if (!c) return;
    steps.push(i);
    for (const x of plan.steps[i]!.inputs) {
      if (produced.has(x) || constant.has(x) || needs.has(x)) continue;
      // a graph argument read by a top.Input in the cone goes by the input's name
      needs.set(x, argName.get(x) ?? nameOfSlot.get(x) ?? `#${x}`);
    }
  });
  return { steps, needs: [...needs].map(([slot, name]) => ({ slot, name })) };
}

/**
 * The cone of `roots`, memoised in `cones`, once `cached` is known to hold every tensor from outside
 * the cone that it reads (a missing one is a user error naming them).
 */
export function coneFor(plan: Plan, cones: Map<string, Cone>, roots: readonly string[], cached: ReadonlyMap<string, unknown>): Cone {
  const key = roots.join('\u0000');
  let cone = cones.get(key);
  if (!cone) cones.set(key, (cone = coneOf(plan, roots)));
  const lacking = cone.needs.filter((n) => !cached.has(n.name)).map((n) => n.name);
  if (lacking.length > 0) {
    throw new UserError(
      'E_MISSING_TENSOR',
      `running from ${roots.map((r) => `"${r}"`).join(', ')} needs ${lacking.length} tensor${lacking.length > 1 ? 's' : ''} the cache lacks: ${lacking.slice(0, 8).join(', ')}${lacking.length > 8 ? ', ...' : ''}`,
      'capture them in the full run: run(inputs, { capture: "all" })',
    );
  }
  return cone;
}
