// Passes are registered by name (MLIR style: `sort-topologically`, `lower-to-tpu`) with typed
// options, so that a pipeline is a string a user can type and any stage can be reproduced.
import type { Module } from '../core/index.js';

export type PassOptionType = 'string' | 'int' | 'float' | 'bool' | 'enum';
export type PassOptionValue = string | number | boolean;

interface OptionSpecBase {
  readonly doc: string;
  /** The pipeline must give this option (its default is never used). */
  readonly required?: boolean;
}

/** One option of a pass, as `name=value` in a pipeline string. */
export type PassOptionSpec =
  | (OptionSpecBase & { readonly type: 'string'; readonly default: string })
  | (OptionSpecBase & { readonly type: 'int' | 'float'; readonly default: number })
  | (OptionSpecBase & { readonly type: 'bool'; readonly default: boolean })
  | (OptionSpecBase & { readonly type: 'enum'; readonly default: string; readonly values: readonly string[] });

export type PassOptionSpecs = Readonly<Record<string, PassOptionSpec>>;

/** The run-time value type of an option spec (distributes over a union of specs). */
export type OptionValueOf<S extends PassOptionSpec> = S extends { readonly type: 'int' | 'float' }
  ? number
  : S extends { readonly type: 'bool' }
    ? boolean
    : string;

/** Option values a pass receives: every option present, defaults filled in. */
export type PassOptions<S extends PassOptionSpecs = PassOptionSpecs> = {
  readonly [K in keyof S]: OptionValueOf<S[K]>;
};

/** What a pass sees besides the module and its options. */
export interface PassContext {
  /** The registered name of the running pass. */
  readonly pass: string;
  /** Reports progress inside a long pass (`done` of `total` units, e.g. ops lowered). */
  progress(done: number, total: number): void;
}

export interface PassDef<S extends PassOptionSpecs = PassOptionSpecs> {
  readonly name: string;
  /** One line for `--list-passes`. */
  readonly summary: string;
  readonly options: S;
  /** Rewrites the module in place; must leave it verifiable. */
  run(module: Module, opts: PassOptions<S>, ctx: PassContext): void | Promise<void>;
}

const PASS_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const registry = new Map<string, PassDef>();

/** Registers a pass. A second pass of the same name is a bug, not a user error. */
export function registerPass<S extends PassOptionSpecs>(def: PassDef<S>): PassDef<S> {
  if (!PASS_NAME.test(def.name)) throw new Error(`pass name "${def.name}" is not kebab-case`);
  if (registry.has(def.name)) throw new Error(`pass "${def.name}" is registered twice`);
  for (const [opt, spec] of Object.entries(def.options)) {
    if (spec.type === 'enum' && !spec.values.includes(spec.default) && !spec.required) {
      throw new Error(`pass "${def.name}": default of enum option "${opt}" is not one of its values`);
    }
  }
  registry.set(def.name, def as unknown as PassDef);
  return def;
}

export function getPass(name: string): PassDef | undefined {
  return registry.get(name);
}

/** Every registered pass, sorted by name. */
export function listPasses(): PassDef[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The `--list-passes` text: each pass with its summary and options. */
export function describePasses(passes: readonly PassDef[] = listPasses()): string {
  const lines: string[] = [];
  for (const p of passes) {
    lines.push(`  ${p.name.padEnd(24)} ${p.summary}`);
    for (const [name, spec] of Object.entries(p.options)) {
      const kind = spec.type === 'enum' ? spec.values.join('|') : spec.type;
      const dflt = spec.required ? 'required' : `default ${JSON.stringify(spec.default)}`;
      lines.push(`      ${`${name}=<${kind}>`.padEnd(28)} ${spec.doc} (${dflt})`);
    }
  }
  return lines.join('\n');
}
