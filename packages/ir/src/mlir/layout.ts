// What the parser remembers about a file's text so that printing the parsed module gives back the
// same bytes. Every remembered spelling is tied to the object it was read for (an op, a value, a
// type object, a location object); once a rewrite replaces that object, the printer falls back
// to MLIR's canonical spelling for it, so rewrites always print valid MLIR.
import type { Location } from '../core/location.js';
import type { Module } from '../core/ir.js';

/** One `#name = loc(...)` line as it was written. */
export interface AliasDef {
  readonly name: string;
  /** The whole definition, `#loc1 = loc("input0")`. */
  readonly text: string;
  readonly loc: Location;
  /** Aliases its text refers to. */
  readonly refs: readonly string[];
  /** Whether the file referred to it at all (MLIR also defines aliases it never refers to). */
  usedInSource: boolean;
  /** Written before the module (MLIR's non-deferred aliases) rather than after it. */
  readonly top: boolean;
}

/** How one place (op, function, argument, module) spelled its location. */
export interface LocSite {
  /** The location object the parser assigned; the spelling holds while `owner.loc` is it. */
  readonly loc: Location;
  /** `loc(#loc3)`, `loc("x")`, or '' when the file wrote none. */
  readonly text: string;
  readonly refs: readonly string[];
}

/** A top-level item in file order, with the text (whitespace, comments) before it. */
export type TopItem = { readonly kind: 'alias'; readonly name: string; readonly gap: string } | { readonly kind: 'module'; readonly gap: string };

export class MlirSourceLayout {
  readonly items: TopItem[] = [];
  /** Text after the last item (the final newline, an extra blank line). */
  tail = '';
  readonly aliases = new Map<string, AliasDef>();
  /** Location spellings by owner; a string is an alias name written `loc(#name)` (the usual case). */
  readonly locSites = new Map<object, LocSite | string>();
  /** Non-canonical spellings of type objects (`0.0235` for a scale MLIR would print `2.350000e-02`). */
  readonly typeText = new Map<object, string>();
  /** Attribute names in written order, for dictionaries not written sorted. */
  readonly attrOrder = new Map<object, readonly string[]>();
  /** Attribute names an op wrote in its properties `<{...}>`, in written order. */
  readonly props = new Map<object, readonly string[]>();
  /** Functions written with the old `func` keyword instead of `func.func`. */
  readonly oldFuncKeyword = new Set<object>();
}

/** The layout a parsed module carries, if any. */
export function sourceLayoutOf(m: Module): MlirSourceLayout | undefined {
  return m.sourceLayout instanceof MlirSourceLayout ? m.sourceLayout : undefined;
}

/**
 * The names in remembered order when the attribute set is still exactly the remembered one,
 * else undefined (print sorted).
 */
export function rememberedOrder(order: readonly string[] | undefined, present: ReadonlyMap<string, unknown>, skip?: ReadonlySet<string>): readonly string[] | undefined {
  if (order === undefined) return undefined;
  let count = 0;
  for (const k of present.keys()) if (!skip?.has(k)) count++;
  if (order.length !== count) return undefined;
  for (const n of order) if (!present.has(n)) return undefined;
  return order;
}
