// Locations: `loc(unknown)`, `loc("name")`, `loc("name"(#loc3))`, `loc("file":1:2)`,
// `loc(fused[...])` and `#alias` references. Aliases are mostly defined after their uses (MLIR
// defers them to the end of the file), so locations are first read as RawLoc trees and resolved
// once the whole file is read. Every use of an alias resolves to the same Location object.
import type { Location } from '../core/location.js';
import { unknownLoc } from '../core/location.js';
import type { AliasDef, LocSite } from './layout.js';
import { isIdChar } from './lexer.js';
import { unescapeString } from './string-escape.js';
import { MAX_DEPTH, type ParserBase } from './parser-base.js';

export type RawLoc =
  | { readonly kind: 'ref'; readonly name: string; readonly at: number }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'name'; readonly name: string; readonly child?: RawLoc }
  | { readonly kind: 'fused'; readonly locs: readonly RawLoc[] }
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly col: number };

/** Parses `loc(...)` at the `loc` keyword; alias names it mentions are added to `refs`. */
export function parseLocSpec(p: ParserBase, refs: string[]): RawLoc {
  p.takeKeyword('loc');
  p.take('(', "'('");
  const raw = parseLocBody(p, refs);
  p.take(')', "')'");
  return raw;
}

function parseLocBody(p: ParserBase, refs: string[]): RawLoc {
  p.enter();
  let raw: RawLoc;
  if (p.is('hash')) {
    const name = p.tokenText.slice(1);
    raw = { kind: 'ref', name, at: p.lx.start };
    refs.push(name);
    p.next();
  } else if (p.is('string')) {
    const name = unescapeString(p.tokenText.slice(1, -1));
    p.next();
    if (p.eat(':')) {
      const line = lineNumber(p);
      p.take(':', "':'");
      raw = { kind: 'file', file: name, line, col: lineNumber(p) };
    } else if (p.eat('(')) {
      raw = { kind: 'name', name, child: parseLocBody(p, refs) };
      p.take(')', "')'");
    } else raw = { kind: 'name', name };
  } else if (p.eatKeyword('unknown')) {
    raw = { kind: 'unknown' };
  } else if (p.isKeyword('fused')) {
    p.next();
    if (p.is('<')) throw p.errorAt(p.lx.start, 'fused locations with metadata are not supported');
    p.take('[', "'['");
    const locs: RawLoc[] = [];
    if (!p.eat(']')) {
      for (;;) {
        locs.push(parseLocBody(p, refs));
        if (p.eat(']')) break;
        p.take(',', "',' or ']'");
      }
    }
    raw = { kind: 'fused', locs };
  } else if (p.isKeyword('callsite')) {
    throw p.errorAt(p.lx.start, 'callsite locations are not supported');
  } else {
    throw p.unexpected('a location');
  }
  p.leave();
  return raw;
}

function lineNumber(p: ParserBase): number {
  if (!p.is('int') || /^0x/i.test(p.tokenText)) throw p.unexpected('a line or column number');
  const v = Number(p.tokenText);
  if (!Number.isSafeInteger(v) || v > 0xffffffff) throw p.errorAt(p.lx.start, 'line or column number out of range');
  p.next();
  return v;
}

/** Resolves RawLocs against the file's alias definitions. */
export class LocResolver {
  private readonly defs = new Map<string, RawLoc>();
  private readonly done = new Map<string, Location>();
  private readonly active = new Set<string>();

  constructor(private readonly p: ParserBase) {}

  define(name: string, raw: RawLoc): void {
    this.defs.set(name, raw);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  /** The Location of alias `name`; `at` is where it was referred to (for the error). */
  alias(name: string, at: number): Location {
    const hit = this.done.get(name);
    if (hit !== undefined) return hit;
    const raw = this.defs.get(name);
    if (raw === undefined) throw this.p.errorAt(at, `undefined alias #${name}`);
    if (this.active.has(name)) throw this.p.errorAt(at, `alias #${name} refers to itself`);
    if (this.active.size >= MAX_DEPTH) throw this.p.errorAt(at, `location aliases nested deeper than ${MAX_DEPTH} levels`);
    this.active.add(name);
    const loc = this.resolve(raw);
    this.active.delete(name);
    this.done.set(name, loc);
    return loc;
  }

  resolve(raw: RawLoc): Location {
    switch (raw.kind) {
      case 'ref':
        return this.alias(raw.name, raw.at);
      case 'unknown':
        return unknownLoc;
      case 'name':
        return raw.child === undefined ? { kind: 'name', name: raw.name } : { kind: 'name', name: raw.name, child: this.resolve(raw.child) };
      case 'fused':
        return { kind: 'fused', locs: raw.locs.map((l) => this.resolve(l)) };
      case 'file':
        return { kind: 'file', file: raw.file, line: raw.line, col: raw.col };
    }
  }
}

/** Where a place wrote no location: it keeps its default, the shared unknownLoc. */
const NO_LOC: LocSite = { loc: unknownLoc, text: '', refs: [] };

interface PendingAlias {
  readonly name: string;
  readonly text: string;
  readonly refs: readonly string[];
  readonly top: boolean;
  readonly at: number;
}

/** A location still to resolve. */
interface PendingSite {
  readonly raw: RawLoc;
  readonly text: string;
  readonly refs: readonly string[];
}

/**
 * The locations of one file: alias definitions and the places that use locations, resolved (and
 * recorded in the layout) once the whole file is read.
 */
export class FileLocations {
  private readonly resolver: LocResolver;
  private readonly aliases: PendingAlias[] = [];
  private readonly pending = new Map<object, PendingSite>();

  constructor(private readonly p: ParserBase) {
    this.resolver = new LocResolver(p);
  }

  /** `#loc3 = loc("name")` at the current hash token; `top` if before the module. */
  parseAliasDef(top: boolean): string {
    const p = this.p;
    const start = p.lx.start;
    const name = p.tokenText.slice(1);
    if (this.resolver.has(name)) throw p.errorAt(start, `redefinition of alias #${name}`);
    p.next();
    p.take('=', "'=' after an alias name");
    if (!p.isKeyword('loc')) throw p.errorAt(p.lx.start, `only location aliases are supported: expected loc(...) but found ${p.describe()}`);
    const refs: string[] = [];
    this.resolver.define(name, parseLocSpec(p, refs));
    this.aliases.push({ name, text: p.text.slice(start, p.lx.prevEnd), refs, top, at: start });
    return name;
  }

  /** An optional `loc(...)` after an op, function, argument or the module. */
  parseTrailing(owner: { loc: Location }): void {
    const p = this.p;
    const sites = p.layout.locSites;
    if (!p.isKeyword('loc')) {
      sites.set(owner, NO_LOC);
      return;
    }
    const start = p.lx.start;
    // The usual `loc(#locN)` is remembered as just the alias name.
    const s = p.text;
    if (s.startsWith('loc(#', start)) {
      let j = start + 5;
      while (j < s.length && isIdChar(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) === 41 /* ) */ && j > start + 5) {
        sites.set(owner, s.slice(start + 5, j));
        p.resetTo(j + 1);
        return;
      }
    }
    const refs: string[] = [];
    const raw = parseLocSpec(p, refs);
    this.pending.set(owner, { raw, text: s.slice(start, p.lx.prevEnd), refs });
  }

  /** Sets every owner's location and records aliases (and which the file used) in the layout. */
  resolveAll(): void {
    const { layout, text } = this.p;
    const used = new Set<string>();
    const byName = new Map(this.aliases.map((d) => [d.name, d] as const));
    const use = (name: string): void => {
      const todo = [name];
      while (todo.length > 0) {
        const n = todo.pop()!;
        if (used.has(n)) continue;
        used.add(n);
        const def = byName.get(n);
        if (def) todo.push(...def.refs);
      }
    };
    for (const [owner, site] of layout.locSites) {
      if (typeof site !== 'string') continue;
      if (!this.resolver.has(site)) throw this.p.errorAt(text.indexOf(`loc(#${site})`), `undefined alias #${site}`);
      (owner as { loc: Location }).loc = this.resolver.alias(site, 0);
      use(site);
    }
    for (const [owner, site] of this.pending) {
      const loc = this.resolver.resolve(site.raw);
      (owner as { loc: Location }).loc = loc;
      layout.locSites.set(owner, { loc, text: site.text, refs: site.refs });
      for (const r of site.refs) use(r);
    }
    for (const d of this.aliases) {
      const def: AliasDef = { name: d.name, text: d.text, loc: this.resolver.alias(d.name, d.at), refs: d.refs, usedInSource: used.has(d.name), top: d.top };
      layout.aliases.set(d.name, def);
    }
  }
}
