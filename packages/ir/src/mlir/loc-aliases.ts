// How locations are written: `loc(#locN)` on ops with `#locN = loc(...)` definitions around the
// module, inline `loc(...)` on function arguments.
//
// CanonicalLocs follows MLIR's AsmPrinter (AliasInitializer) for a module printed with debug info:
// every location gets an alias named `loc`, `loc1`, ... in order of first visit (module, then
// each function: its own location, its arguments, its ops), stable-sorted by nesting depth so a
// fused location comes after its parts. Aliases first seen or also used on a function argument
// cannot be deferred and are written before the module; the rest after it.
//
// LayoutLocs reprints a parsed file: remembered spellings where the location is unchanged, fresh
// aliases (numbered after the file's own) where it is not.
import type { Module } from '../core/ir.js';
import type { Location } from '../core/location.js';
import type { MlirSourceLayout } from './layout.js';
import { LocationKeys, nestedLocations, printLocationBody } from './print-location.js';

export type SiteKind = 'op' | 'arg';

export interface LocSpeller {
  /** The text after an op, function, module or argument: ` loc(...)`, or '' for none. */
  site(owner: object, loc: Location, kind: SiteKind): string;
  /** The whole file around the module's text. */
  assemble(moduleText: string): string;
}

interface Entry {
  readonly loc: Location;
  deferrable: boolean;
  depth: number;
  readonly children: Entry[];
  name: string;
}

export class CanonicalLocs implements LocSpeller {
  private readonly keys = new LocationKeys();
  private readonly entries = new Map<string, Entry>();
  private readonly sorted: Entry[];

  constructor(m: Module) {
    this.visit(m.loc, true);
    for (const f of m.funcs) {
      this.visit(f.loc, true);
      // A declaration prints argument types only.
      if (f.ops.length > 0) for (const a of f.args) this.visit(a.loc, false);
      for (const op of f.ops) this.visit(op.loc, true);
    }
    const inOrder = [...this.entries.values()];
    this.sorted = inOrder.map((e, i) => ({ e, i })).sort((a, b) => a.e.depth - b.e.depth || a.i - b.i).map((x) => x.e);
    this.sorted.forEach((e, i) => (e.name = i === 0 ? 'loc' : `loc${i}`));
  }

  private visit(loc: Location, deferrable: boolean): number {
    const key = this.keys.key(loc);
    const seen = this.entries.get(key);
    if (seen) {
      if (!deferrable) markNonDeferrable(seen);
      return seen.depth;
    }
    const e: Entry = { loc, deferrable, depth: 1, children: [], name: '' };
    this.entries.set(key, e);
    let deepest = 0;
    for (const child of nestedLocations(loc)) {
      deepest = Math.max(deepest, this.visit(child, deferrable));
      e.children.push(this.entries.get(this.keys.key(child))!);
    }
    if (deepest > 0) e.depth = deepest + 1;
    return e.depth;
  }

  private aliasOf = (loc: Location): string | undefined => this.entries.get(this.keys.key(loc))?.name;

  site(_owner: object, loc: Location, kind: SiteKind): string {
    if (kind === 'arg') return ` loc(${printLocationBody(loc, this.aliasOf)})`;
    return ` loc(#${this.aliasOf(loc)!})`;
  }

  assemble(moduleText: string): string {
    const def = (e: Entry): string => `#${e.name} = loc(${printLocationBody(e.loc, this.aliasOf)})\n`;
    const top = this.sorted.filter((e) => !e.deferrable).map(def);
    const bottom = this.sorted.filter((e) => e.deferrable).map(def);
    return `${top.join('')}${moduleText}\n${bottom.join('')}`;
  }
}

function markNonDeferrable(e: Entry): void {
  const stack = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (!x.deferrable) continue;
    x.deferrable = false;
    stack.push(...x.children);
  }
}

export class LayoutLocs implements LocSpeller {
  private readonly keys = new LocationKeys();
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly fresh: { name: string; text: string; top: boolean }[] = [];
  private next: number;

  constructor(private readonly layout: MlirSourceLayout) {
    let max = -1;
    for (const [name, d] of layout.aliases) {
      const k = this.keys.key(d.loc);
      if (!this.byKey.has(k)) this.byKey.set(k, name);
      const m = /^loc(\d*)$/.exec(name);
      if (m) max = Math.max(max, m[1] === '' ? 0 : Number(m[1]));
    }
    this.next = max + 1;
  }

  site(owner: object, loc: Location, kind: SiteKind): string {
    const rec = this.layout.locSites.get(owner);
    if (typeof rec === 'string') {
      if (this.layout.aliases.get(rec)?.loc === loc) {
        this.use(rec);
        return ` loc(#${rec})`;
      }
    } else if (rec !== undefined && rec.loc === loc) {
      for (const r of rec.refs) this.use(r);
      return rec.text === '' ? '' : ` ${rec.text}`;
    }
    if (kind === 'arg') return ` loc(${printLocationBody(loc, (l) => this.aliasFor(l, true))})`;
    return ` loc(#${this.aliasFor(loc, false)})`;
  }

  private aliasFor(loc: Location, top: boolean): string {
    const key = this.keys.key(loc);
    const known = this.byKey.get(key);
    if (known !== undefined) {
      this.use(known);
      return known;
    }
    const body = printLocationBody(loc, (l) => this.aliasFor(l, top));
    let name = `loc${this.next++}`;
    while (this.layout.aliases.has(name)) name = `loc${this.next++}`;
    this.byKey.set(key, name);
    this.fresh.push({ name, text: `#${name} = loc(${body})`, top });
    return name;
  }

  private use(name: string): void {
    const pending = [name];
    while (pending.length > 0) {
      const n = pending.pop()!;
      if (this.used.has(n)) continue;
      this.used.add(n);
      const def = this.layout.aliases.get(n);
      if (def) pending.push(...def.refs);
    }
  }

  assemble(moduleText: string): string {
    const { items, aliases, tail } = this.layout;
    // Aliases the file defined without referring to them are kept, and so is what they refer to.
    for (const d of aliases.values()) if (!d.usedInSource) this.use(d.name);
    let out = '';
    let first = true;
    const emit = (gap: string, text: string): void => {
      if (first) out += items[0]?.gap ?? '';
      else out += gap.includes('\n') ? gap : `\n${gap}`;
      out += text;
      first = false;
    };
    for (const item of items) {
      if (item.kind === 'alias') {
        const d = aliases.get(item.name)!;
        // An alias the file referred to but nothing refers to any more is dropped.
        if (d.usedInSource && !this.used.has(d.name)) continue;
        emit(item.gap, d.text);
      } else {
        for (const f of this.fresh) if (f.top) emit('\n', f.text);
        emit(item.gap, moduleText);
      }
    }
    for (const f of this.fresh) if (!f.top) emit('\n', f.text);
    return out + tail;
  }
}
