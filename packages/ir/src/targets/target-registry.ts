// Processors by name. ir holds the data; chip packages add their hooks with extendTarget when
// they load, so calib and mixprec can ask `getTarget('bm1684x')` without importing a chip.
import { UserError } from '../core/index.js';
import { didYouMean } from '../passes/did-you-mean.js';
import { BUILTIN_PROCESSORS } from './processors.js';
import type { Target, TargetHooks, TargetInfo } from './target-info.js';

const HOOK_NAMES = ['lower', 'kernels', 'planMemory'] as const satisfies readonly (keyof TargetHooks)[];

/** Keyed by lower-case name; entries are frozen and replaced (not mutated) when extended. */
const registry = new Map<string, Target>();

/** Registers a new processor. A second one of the same name is a bug. */
export function registerTarget(t: Target): Target {
  const key = t.name.toLowerCase();
  if (t.name !== key) throw new Error(`target name "${t.name}" must be lower case`);
  if (registry.has(key)) throw new Error(`target "${t.name}" is registered twice; use extendTarget to add hooks`);
  const entry = deepFreeze({ ...t });
  registry.set(key, entry);
  return entry;
}

/** The processor named `name` (any case), or undefined. */
export function findTarget(name: string): Target | undefined {
  return registry.get(name.trim().toLowerCase());
}

/** The processor named `name` (any case); an unknown name is a user error. */
export function getTarget(name: string): Target {
  const t = findTarget(name);
  if (t) return t;
  const names = listTargets().map((x) => x.name);
  const near = didYouMean(name, names);
  const hint = `supported: ${names.join(', ')}${near ? ` (${near})` : ''}`;
  throw new UserError('E_UNSUPPORTED_PROCESSOR', `unsupported processor "${name}"`, hint);
}

/** Every registered processor, in registration order (built-ins in spec-table order). */
export function listTargets(): Target[] {
  return [...registry.values()];
}

/**
 * Adds a chip package's hooks to a processor, keeping its data. Setting a hook that another
 * function already holds is a bug (two packages claiming one chip); the same function again is
 * a no-op, so a package may be loaded twice.
 */
export function extendTarget(name: string, hooks: TargetHooks): Target {
  const current = getTarget(name);
  for (const h of HOOK_NAMES) {
    const prev = current[h];
    const next = hooks[h];
    if (prev && next && prev !== next) throw new Error(`target "${current.name}" already has a ${h} hook`);
  }
  const extended = deepFreeze({ ...current, ...definedOnly(hooks) });
  registry.set(current.name, extended);
  return extended;
}

function definedOnly(hooks: TargetHooks): TargetHooks {
  return Object.fromEntries(Object.entries(hooks).filter(([, v]) => v !== undefined)) as TargetHooks;
}

/** Freezes plain data (arrays, objects), leaving functions alone. */
function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

for (const p of BUILTIN_PROCESSORS) registerTarget(p satisfies TargetInfo);
