// Attribute values and dictionaries: integers and floats with optional `: type` (i64 and f64 by
// default), bools, strings, arrays, `array<...>`, `dense<...>`, symbols, dialect attributes kept as
// text, unit and type attributes.
import type { Attr } from '../core/attributes.js';
import type { FloatType, Type } from '../core/types.js';
import { f64, i64 } from '../core/types.js';
import { unescapeString } from './string-escape.js';
import type { ParserBase } from './parser-base.js';
import { parseDense, parseDenseArray } from './parse-dense.js';
import { floatAttrOf, intAttrOf } from './parse-numbers.js';
import { parseType } from './parse-types.js';

const TYPE_WORDS = new Set(['tensor', 'none', 'index', 'f64', 'f32', 'f16', 'bf16']);

/**
 * Parses `{name = value, flag, ...}`. Identical dictionary texts parse once and share their
 * (immutable) attribute values; each call still returns a fresh Map.
 */
export function parseAttrDict(p: ParserBase): Map<string, Attr> {
  const dicts = p.dicts;
  const start = p.lx.start;
  let key: string | undefined;
  if (p.is('{')) {
    const end = skipBraces(p.text, start);
    if (end > 0) {
      key = p.text.slice(start, end);
      const hit = dicts.get(key);
      if (hit !== undefined) {
        p.resetTo(end);
        return new Map(hit);
      }
    }
  }
  const attrs = new Map<string, Attr>();
  p.enter();
  p.take('{', "'{'");
  if (!p.eat('}')) {
    for (;;) {
      const at = p.lx.start;
      let name: string;
      if (p.is('id')) name = p.tokenText;
      else if (p.is('string')) name = unescapeString(p.tokenText.slice(1, -1));
      else throw p.unexpected('an attribute name');
      if (attrs.has(name)) throw p.errorAt(at, `duplicate attribute '${name}'`);
      p.next();
      attrs.set(name, p.eat('=') ? parseAttr(p) : UNIT);
      if (p.eat('}')) break;
      p.take(',', "',' or '}'");
    }
  }
  p.leave();
  if (key !== undefined && p.lx.prevEnd === start + key.length) dicts.set(key, [...attrs]);
  return attrs;
}

const UNIT: Attr = { kind: 'unit' };

/** End of the `{...}` opening at `open` (strings skipped), or -1 if unbalanced. */
function skipBraces(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125) {
      if (--depth === 0) return i + 1;
    } else if (c === 34) {
      // Skip a string literal; an escaped quote does not end it.
      for (i++; i < s.length; i++) {
        const d = s.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34 || d === 10) break;
      }
    }
  }
  return -1;
}

/** Remembers the written order of a dictionary on `owner` when it was not written sorted. */
export function noteAttrOrder(p: ParserBase, owner: object, names: readonly string[], table = p.layout.attrOrder): void {
  for (let i = 1; i < names.length; i++) {
    if (names[i]! < names[i - 1]!) {
      table.set(owner, names);
      return;
    }
  }
}

/**
 * Parses one attribute value. Values are interned by their text: attributes are immutable, and a
 * model repeats `[1, 1]` or `-1.000000e+00 : f64` thousands of times.
 */
export function parseAttr(p: ParserBase): Attr {
  const start = p.lx.start;
  const a = parseAttrUncached(p);
  const key = p.text.slice(start, p.lx.prevEnd);
  const hit = p.attrs.get(key);
  if (hit !== undefined) return hit;
  p.attrs.set(key, a);
  return a;
}

function parseAttrUncached(p: ParserBase): Attr {
  switch (p.kind) {
    case '[':
      return parseArray(p);
    case 'string': {
      const value = unescapeString(p.tokenText.slice(1, -1));
      p.next();
      return { kind: 'string', value };
    }
    case '-':
    case 'int':
    case 'float':
      return parseNumber(p);
    case 'at': {
      const value = symbolName(p);
      p.next();
      if (p.is(':') && p.text.startsWith('::', p.lx.start)) throw p.errorAt(p.lx.start, 'nested symbol references are not supported');
      return { kind: 'symbol', value };
    }
    case 'hash':
      return parseDialectAttr(p);
    case 'bang':
    case '(':
      return { kind: 'type', value: parseType(p) };
    case '{':
      throw p.errorAt(p.lx.start, 'dictionary attributes are not supported as values');
    case 'id':
      return parseWordAttr(p);
    default:
      throw p.unexpected('an attribute value');
  }
}

/** The name of an `@sym` token (quoted or bare). */
export function symbolName(p: ParserBase): string {
  const t = p.tokenText;
  return t[1] === '"' ? unescapeString(t.slice(2, -1)) : t.slice(1);
}

function parseWordAttr(p: ParserBase): Attr {
  const word = p.tokenText;
  switch (word) {
    case 'true':
    case 'false':
      p.next();
      return { kind: 'bool', value: word === 'true' };
    case 'unit':
      p.next();
      return { kind: 'unit' };
    case 'dense':
      return parseDense(p);
    case 'array':
      return parseDenseArray(p);
  }
  if (TYPE_WORDS.has(word) || /^(s|u)?i[0-9]+$/.test(word)) return { kind: 'type', value: parseType(p) };
  throw p.errorAt(p.lx.start, `attribute '${word}' is not supported`);
}

function parseArray(p: ParserBase): Attr {
  p.enter();
  p.next();
  const value: Attr[] = [];
  if (!p.eat(']')) {
    for (;;) {
      value.push(parseAttr(p));
      if (p.eat(']')) break;
      p.take(',', "',' or ']'");
    }
  }
  p.leave();
  return { kind: 'array', value };
}

/** `3`, `-1 : si32`, `1.0`, `-1.000000e+00 : f64`, `0x7FC00000 : f32`. */
function parseNumber(p: ParserBase): Attr {
  const at = p.lx.start;
  const neg = p.eat('-');
  if (!p.is('int') && !p.is('float')) throw p.unexpected('a number');
  const isFloat = p.is('float');
  const literal = p.tokenText;
  const text = p.text.slice(at, p.lx.end);
  p.next();
  let type: Type | undefined;
  if (p.eat(':')) {
    const typeAt = p.lx.start;
    type = parseType(p);
    if (type.kind !== 'int' && type.kind !== 'float') throw p.errorAt(typeAt, `number literals of type ${p.text.slice(typeAt, p.lx.prevEnd)} are not supported`);
  }
  if (isFloat || type?.kind === 'float') {
    const ft: FloatType = type?.kind === 'float' ? type : f64;
    if (type?.kind === 'int') throw p.errorAt(at, 'floating point value not valid for an integer type');
    return floatAttrOf(p, at, neg, literal, text, ft);
  }
  return intAttrOf(p, at, neg, literal, type?.kind === 'int' ? type : i64);
}

/** `#tpu<rq_mode MultiplierShift>` or `#tpu.rq_mode<...>`, kept as text. */
function parseDialectAttr(p: ParserBase): Attr {
  const at = p.lx.start;
  const word = p.tokenText.slice(1);
  const dot = word.indexOf('.');
  const dialect = dot < 0 ? word : word.slice(0, dot);
  let body = dot < 0 ? '' : word.slice(dot + 1);
  const lt = p.lx.end;
  if (p.text.charCodeAt(lt) === 60 /* < */) {
    const end = p.balancedEnd(lt);
    body = dot < 0 ? p.text.slice(lt + 1, end - 1) : body + p.text.slice(lt, end);
    p.resetTo(end);
  } else {
    if (dot < 0) throw p.errorAt(at, `attribute alias #${word} is not supported here (only location aliases are)`);
    p.next();
  }
  return { kind: 'dialect', dialect, body };
}
