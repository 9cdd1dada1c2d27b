// Number literals as MLIR reads them: integers checked against their type's range (kept exact,
// as bigint beyond 2^53), floats rounded to their type (a decimal integer is not a float).
import type { FloatAttr, IntAttr } from '../core/attributes.js';
import type { FloatType, IntegerType } from '../core/types.js';
import { bitsToFloat, parseFloatLiteral } from './float-bits.js';
import type { ParserBase } from './parser-base.js';
import { printIntegerType } from './print-types.js';

/** A FloatAttr of type `t` from a literal (`literal` unsigned, `text` as written, sign included). */
export function floatAttrOf(p: ParserBase, at: number, neg: boolean, literal: string, text: string, t: FloatType): FloatAttr {
  let value: number;
  if (/^0x/i.test(literal)) {
    if (neg) throw p.errorAt(at, 'hexadecimal float literal should not have a leading minus');
    const v = bitsToFloat(BigInt(literal), t.name);
    if (v === undefined) throw p.errorAt(at, `hexadecimal float constant out of range for type ${t.name}`);
    value = v;
  } else if (!literal.includes('.')) {
    throw p.errorAt(at, 'unexpected decimal integer literal for a floating point value', "add a trailing '.' to make it a float (e.g. 1.0)");
  } else {
    value = parseFloatLiteral(literal, t.name);
    if (neg) value = -value;
  }
  return { kind: 'float', value, type: t, text };
}

export function intAttrOf(p: ParserBase, at: number, neg: boolean, literal: string, t: IntegerType): IntAttr {
  // Fast path: short decimal literals are exact as numbers.
  if (literal.length <= 15 && !/^0x/i.test(literal)) {
    const v = neg ? -Number(literal) : Number(literal);
    if (t.width > 53) return { kind: 'int', value: v, type: t };
    const lo = t.signedness === 'unsigned' ? 0 : -(2 ** (t.width - 1));
    const hi = t.signedness === 'signed' ? 2 ** (t.width - 1) - 1 : 2 ** t.width - 1;
    if (v >= lo && v <= hi) return { kind: 'int', value: v, type: t };
  }
  let big = BigInt(literal);
  if (neg) big = -big;
  const w = BigInt(t.width);
  const lo = t.signedness === 'unsigned' ? 0n : -(1n << (w - 1n));
  const hi = t.signedness === 'signed' ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  if (big < lo || big > hi) {
    const msg = neg && t.signedness === 'unsigned' ? 'negative integer literal not valid for unsigned integer type' : `integer constant out of range for type ${printIntegerType(t)}`;
    throw p.errorAt(at, msg);
  }
  const n = Number(big);
  return { kind: 'int', value: Number.isSafeInteger(n) ? n : big, type: t };
}
