// Converts between attribute values as builders take them (numbers, booleans, strings, arrays)
// and IR attributes, by the attribute's spec. Builders encode with defaults filled in; readers
// decode with defaults applied. Generated code calls only `buildAttrs` and `readAttrs`.
import type { Attr } from '../core/attributes.js';
import {
  arrayAttr,
  attrToBool,
  attrToNumber,
  attrToNumbers,
  attrToString,
  boolAttr,
  dialectEnumCase,
  floatAttr,
  intAttr,
  stringAttr,
} from '../core/attributes.js';
import type { Op } from '../core/ir.js';
import type { AttrSpec, AttrTypeName, OpDef } from '../core/op-def.js';
import { attrKindProblem, defaultOf } from '../core/op-def.js';
import type { IntegerType } from '../core/types.js';
import { i32, i64, si32, ui32 } from '../core/types.js';

/** A JS value for an attribute; an `Attr` is also accepted and kept as is (after a kind check). */
export type AttrInput = number | boolean | string | readonly number[] | readonly string[] | Attr;

const INT_TYPE: Partial<Record<AttrTypeName, IntegerType>> = { i64, i32, si32, ui32, 'i64[]': i64, 'i32[]': i32 };

function isAttr(v: unknown): v is Attr {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { kind?: unknown }).kind === 'string';
}

/** Encodes `value` as the attribute `spec` describes; throws TypeError naming `what` on a mismatch. */
export function encodeAttr(spec: Pick<AttrSpec, 'type' | 'values'>, value: unknown, what: string): Attr {
  if (isAttr(value)) {
    const wrong = attrKindProblem(spec as AttrSpec, value);
    if (wrong) throw new TypeError(`${what} ${wrong}`);
    return value;
  }
  const fail = (want: string): never => {
    throw new TypeError(`${what} should be ${want}, got ${JSON.stringify(value)}`);
  };
  switch (spec.type) {
    case 'i64':
    case 'i32':
    case 'si32':
    case 'ui32':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail('an integer');
      return intAttr(value, INT_TYPE[spec.type]);
    case 'f64':
      if (typeof value !== 'number') return fail('a number');
      return floatAttr(value);
    case 'bool':
      if (typeof value !== 'boolean') return fail('a boolean');
      return boolAttr(value);
    case 'string':
      if (typeof value !== 'string') return fail('a string');
      return stringAttr(value);
    case 'enum':
      if (typeof value !== 'string' || (spec.values && !spec.values.includes(value))) {
        return fail(`one of ${(spec.values ?? []).join(', ')}`);
      }
      return stringAttr(value);
    case 'i64[]':
    case 'i32[]': {
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isInteger(x))) {
        return fail('an array of integers');
      }
      const t = INT_TYPE[spec.type];
      return arrayAttr((value as number[]).map((x) => intAttr(x, t)));
    }
    case 'f64[]':
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) return fail('an array of numbers');
      return arrayAttr((value as number[]).map((x) => floatAttr(x)));
    case 'string[]':
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) return fail('an array of strings');
      return arrayAttr((value as string[]).map((x) => stringAttr(x)));
    case 'any':
      return fail('an Attr');
  }
}

/** The JS value of an attribute, by its spec (an `any` attribute comes back as the Attr). */
export function decodeAttr(spec: Pick<AttrSpec, 'type'>, a: Attr): unknown {
  switch (spec.type) {
    case 'i64':
    case 'i32':
    case 'si32':
    case 'ui32':
    case 'f64':
      return attrToNumber(a);
    case 'bool':
      return attrToBool(a);
    case 'string':
      return attrToString(a);
    case 'enum':
      return a.kind === 'dialect' ? dialectEnumCase(a.body) : attrToString(a);
    case 'i64[]':
    case 'i32[]':
    case 'f64[]':
      return attrToNumbers(a);
    case 'string[]':
      if (a.kind !== 'array') throw new TypeError(`expected an array attribute, got ${a.kind}`);
      return a.value.map(attrToString);
    case 'any':
      return a;
  }
}

/**
 * The attribute map for a new op: the given values encoded, then every default the table says
 * builders write. Keys the definition does not declare are refused (a typo would otherwise
 * silently produce an op TPU-MLIR rejects).
 */
export function buildAttrs(def: OpDef, given: Readonly<Record<string, unknown>>): Map<string, Attr> {
  const out = new Map<string, Attr>();
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = def.attrs[name];
    if (!spec) throw new TypeError(`${def.name} has no attribute '${name}'`);
    out.set(name, encodeAttr(spec, value, `${def.name} attribute '${name}'`));
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    if (out.has(name) || spec.emitDefault === false) continue;
    const d = defaultOf(spec, out);
    if (d !== undefined) out.set(name, d);
    else if (!spec.optional) throw new TypeError(`${def.name} needs attribute '${name}' (${spec.type})`);
  }
  return sortLike(def, out);
}

/** Keeps declaration order (derived defaults were added after the given values). */
function sortLike(def: OpDef, m: Map<string, Attr>): Map<string, Attr> {
  const order = Object.keys(def.attrs);
  return new Map([...m].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])));
}

/**
 * The declared attributes of `op` as JS values, defaults applied; an optional attribute without
 * a default is left out when absent. Throws TypeError when `op` is not of `def`'s type, or a
 * required attribute is missing or has the wrong kind.
 */
export function readAttrs<T = Record<string, unknown>>(op: Op, def: OpDef): T {
  if (op.type !== def.name) throw new TypeError(`expected a ${def.name}, got ${op.type}`);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.attrs)) {
    const a = op.attrs.get(name) ?? defaultOf(spec, op.attrs);
    if (a === undefined) {
      if (!spec.optional) throw new TypeError(`${def.name} "${op.name ?? '?'}": missing required attribute '${name}'`);
      continue;
    }
    const wrong = attrKindProblem(spec, a);
    if (wrong) throw new TypeError(`${def.name} "${op.name ?? '?'}": attribute '${name}' ${wrong}`);
    out[name] = decodeAttr(spec, a);
  }
  return out as T;
}
