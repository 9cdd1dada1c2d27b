// Attributes in MLIR's spelling (AsmPrinter::printAttributeImpl): `3 : i64` in a dictionary but a
// bare `3` inside an array, floats through printFloatValue, dictionaries sorted by name.
import type { Attr, DenseArrayAttr, DenseElementsAttr, DialectAttr, FloatAttr } from '../core/attributes.js';
import type { FloatType, IntegerType, Type } from '../core/types.js';
import { bitsToFloat, floatBitWidth, floatToBits, parseFloatLiteral, roundToFloat } from './float-bits.js';
import { formatMlirFloat, sameFloat } from './float-format.js';
import { keywordOrString, quoteString } from './string-escape.js';
import { printIntegerType, printType } from './print-types.js';

export interface AttrPrintOptions {
  /** Print a FloatAttr's remembered spelling when it still reads back as its value. */
  readonly useFloatText?: boolean;
  /** Prints a type (lets the module printer reuse remembered spellings). */
  readonly type?: (t: Type) => string;
}

const DEFAULTS: AttrPrintOptions = { useFloatText: true };

/**
 * The MLIR text of an attribute value. `elideType` is MLIR's "may elide" context (array
 * elements): i64 integers and f64 floats then print without their `: type`.
 */
export function printAttr(a: Attr, elideType = false, opts: AttrPrintOptions = DEFAULTS): string {
  switch (a.kind) {
    case 'int': {
      const v = String(a.value);
      if (elideType && a.type.signedness === 'signless' && a.type.width === 64) return v;
      return `${v} : ${printIntegerType(a.type)}`;
    }
    case 'float': {
      const v = floatText(a, opts.useFloatText !== false);
      // A hex spelling would read back as an integer without its type.
      if (elideType && a.type.name === 'f64' && !v.startsWith('0x') && !v.startsWith('-0x')) return v;
      return `${v} : ${a.type.name}`;
    }
    case 'bool':
      return a.value ? 'true' : 'false';
    case 'string':
      return quoteString(a.value);
    case 'array':
      return `[${a.value.map((x) => printAttr(x, true, opts)).join(', ')}]`;
    case 'dense-array':
      return printDenseArray(a);
    case 'dense':
      return `dense<${printDenseBody(a)}> : ${opts.type ? opts.type(a.type) : printType(a.type)}`;
    case 'unit':
      return 'unit';
    case 'symbol':
      return `@${keywordOrString(a.value)}`;
    case 'type':
      return opts.type ? opts.type(a.value) : printType(a.value);
    case 'dialect':
      return printDialectAttr(a);
  }
}

/** `name = value`, or just `name` for a unit attribute. */
export function printNamedAttr(name: string, a: Attr, opts: AttrPrintOptions = DEFAULTS): string {
  const key = keywordOrString(name);
  return a.kind === 'unit' ? key : `${key} = ${printAttr(a, false, opts)}`;
}

/** Attribute names in MLIR's dictionary order (byte-wise). */
export function sortedNames(names: Iterable<string>): string[] {
  return [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** `{a = 1 : i64, b}` in the given name order (sorted when not given). */
export function printAttrDict(attrs: ReadonlyMap<string, Attr>, order?: readonly string[], opts: AttrPrintOptions = DEFAULTS): string {
  const names = order ?? sortedNames(attrs.keys());
  return `{${names.map((n) => printNamedAttr(n, attrs.get(n)!, opts)).join(', ')}}`;
}

/** A float's remembered spelling if it still denotes the value, else MLIR's canonical one. */
export function floatText(a: FloatAttr, useText = true): string {
  if (useText && a.text !== undefined && sameFloat(readFloatText(a.text, a.type), roundToFloat(a.value, a.type.name))) return a.text;
  return formatMlirFloat(a.value, a.type.name);
}

/** Reads a float spelling (decimal or `0x` bits) as MLIR's parser would, at the type's width. */
export function readFloatText(text: string, type: FloatType): number {
  if (/^0x/i.test(text)) return bitsToFloat(BigInt(text), type.name) ?? NaN;
  return parseFloatLiteral(text, type.name);
}

/**
 * MLIR prints `#dialect.body` when the body is an identifier optionally followed by `<...>`, and
 * `#dialect<body>` otherwise (e.g. `#tpu<rq_mode MultiplierShift>`).
 */
export function printDialectAttr(a: DialectAttr): string {
  return isPrettyDialectBody(a.body) ? `#${a.dialect}.${a.body}` : `#${a.dialect}<${a.body}>`;
}

function isPrettyDialectBody(body: string): boolean {
  if (body.length === 0 || !/[A-Za-z]/.test(body[0]!)) return false;
  let i = 0;
  while (i < body.length && /[A-Za-z0-9._]/.test(body[i]!)) i++;
  if (i === body.length) return true;
  return body[i] === '<' && body.endsWith('>');
}

function elementText(v: number | boolean, t: IntegerType | FloatType): string {
  if (t.kind === 'float') return formatMlirFloat(Number(v), t.name);
  if (t.width === 1 && t.signedness === 'signless') return v === true || (typeof v === 'number' && v !== 0) ? 'true' : 'false';
  return String(typeof v === 'boolean' ? Number(v) : v);
}

function printDenseArray(a: DenseArrayAttr): string {
  const t = printType(a.element);
  if (a.value.length === 0) return `array<${t}>`;
  return `array<${t}: ${a.value.map((v) => elementText(v, a.element)).join(', ')}>`;
}

/** MLIR switches to a hex blob for dense literals with more than 100 elements. */
const HEX_THRESHOLD = 100;

function printDenseBody(a: DenseElementsAttr): string {
  const el = a.type.element;
  if (el.kind !== 'float' && el.kind !== 'int') throw new Error(`cannot print dense<> of ${printType(el)} elements`);
  if (a.splat) return a.value.length === 0 ? '' : elementText(a.value[0]!, el);
  const count = a.value.length;
  if (count === 0) return '';
  const bool = el.kind === 'int' && el.width === 1;
  if (count > HEX_THRESHOLD && !bool) return `"0x${denseHex(a.value, el)}"`;
  // Nested brackets by shape, as printDenseElementsAttrImpl's mixed-radix counter does.
  const shape = a.type.shape;
  const rank = shape.length;
  if (rank === 0) return elementText(a.value[0]!, el);
  const parts: string[] = [];
  const counter = new Array<number>(rank).fill(0);
  let open = 0;
  for (let idx = 0; idx < count; idx++) {
    if (idx !== 0) parts.push(', ');
    while (open < rank) {
      parts.push('[');
      open++;
    }
    parts.push(elementText(a.value[idx]!, el));
    counter[rank - 1]!++;
    for (let i = rank - 1; i > 0; i--) {
      if (counter[i]! >= shape[i]!) {
        counter[i] = 0;
        counter[i - 1]!++;
        open--;
        parts.push(']');
      }
    }
  }
  while (open-- > 0) parts.push(']');
  return parts.join('');
}

/** Element bytes, little-endian, as upper-case hex. */
export function denseHex(values: readonly (number | boolean)[], el: IntegerType | FloatType): string {
  const bits = el.kind === 'float' ? floatBitWidth(el.name) : el.width;
  const bytes = Math.ceil(bits / 8);
  let out = '';
  for (const v of values) {
    let b = el.kind === 'float' ? floatToBits(Number(v), el.name) : BigInt.asUintN(bytes * 8, BigInt(Number(v)));
    for (let i = 0; i < bytes; i++) {
      out += Number(b & 0xffn).toString(16).toUpperCase().padStart(2, '0');
      b >>= 8n;
    }
  }
  return out;
}

/** Decodes a dense hex blob back into element values (the inverse of denseHex). */
export function decodeDenseHex(hex: string, el: IntegerType | FloatType): number[] | undefined {
  const bits = el.kind === 'float' ? floatBitWidth(el.name) : el.width;
  const bytes = Math.ceil(bits / 8);
  if (hex.length % (bytes * 2) !== 0) return undefined;
  const out: number[] = [];
  for (let at = 0; at < hex.length; at += bytes * 2) {
    let b = 0n;
    for (let i = bytes - 1; i >= 0; i--) b = (b << 8n) | BigInt(parseInt(hex.slice(at + i * 2, at + i * 2 + 2), 16));
    if (el.kind === 'float') out.push(bitsToFloat(b, el.name) ?? NaN);
    else out.push(Number(el.signedness === 'unsigned' ? b : BigInt.asIntN(bytes * 8, b)));
  }
  return out;
}
