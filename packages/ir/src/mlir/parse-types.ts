// Types: builtin scalars, ranked tensors (with TPU-MLIR's address encodings), function types, and
// the quant dialect's uniform and calibrated types. Types are interned by their text, so a file's
// thousands of identical `tensor<...>` spellings parse once and share one object.
import type { ElementType, FloatType, FloatTypeName, IntegerType, Signedness, TensorType, Type } from '../core/types.js';
import { bf16, f16, f32, f64, indexType, intType, noneType } from '../core/types.js';
import { parseFloatLiteral, bitsToFloat } from './float-bits.js';
import type { ParserBase } from './parser-base.js';
import { printType } from './print-types.js';

const FLOATS: Record<string, FloatType> = { f64, f32, f16, bf16 };
const UNSUPPORTED = new Set(['vector', 'memref', 'tuple', 'complex', 'f80', 'f128', 'tf32']);

/** Parses any type at the current token. */
export function parseType(p: ParserBase): Type {
  const start = p.lx.start;
  // Tensors are interned by their full text (found by bracket matching).
  if (p.isKeyword('tensor')) {
    const lt = p.lx.end;
    if (p.text.charCodeAt(lt) === 60 /* < */) {
      const end = p.balancedEnd(lt);
      const key = p.text.slice(start, end);
      const hit = p.types.get(key);
      if (hit !== undefined) {
        p.resetTo(end);
        return hit;
      }
      const t = parseTensor(p);
      remember(p, key, t);
      return t;
    }
  }
  const t = parseTypeUncached(p);
  if (t.kind === 'function') remember(p, p.text.slice(start, p.lx.prevEnd), t);
  return t;
}

/** Caches a tensor type by its text; keeps a non-canonical spelling for the printer. */
function remember(p: ParserBase, key: string, t: Type): void {
  if (t.kind === 'tensor') p.types.set(key, t);
  if (printType(t) !== key) p.layout.typeText.set(t, key);
}

function parseTypeUncached(p: ParserBase): Type {
  if (p.is('(')) return parseFunctionType(p);
  if (p.isKeyword('none')) {
    p.next();
    return noneType;
  }
  if (p.isKeyword('tensor')) return parseTensor(p);
  const at = p.lx.start;
  const t = parseElementType(p);
  if (t.kind === 'quant.uniform' || t.kind === 'quant.calibrated') throw p.errorAt(at, 'quant types are supported only as tensor elements');
  return t;
}

/** `(a, b) -> c`, `(a) -> (b, c)`, `() -> ()`. */
export function parseFunctionType(p: ParserBase): Type {
  p.enter();
  const inputs = parseTypeList(p);
  p.take('->', "'->'");
  const results = p.is('(') ? parseTypeList(p) : [parseType(p)];
  p.leave();
  return { kind: 'function', inputs, results };
}

/** `(t1, t2)` or `()`. */
export function parseTypeList(p: ParserBase): Type[] {
  p.take('(', "'('");
  const out: Type[] = [];
  if (p.eat(')')) return out;
  for (;;) {
    out.push(parseType(p));
    if (p.eat(')')) return out;
    p.take(',', "',' or ')'");
  }
}

function parseTensor(p: ParserBase): TensorType {
  p.enter();
  p.next(); // 'tensor'
  p.expect('<', "'<'");
  // Dimensions are scanned by character: `1x3x?xf32` is not a token sequence MLIR-style.
  const s = p.text;
  let i = p.lx.end;
  const shape: number[] = [];
  for (;;) {
    const c = s.charCodeAt(i);
    let j = i;
    if (c === 63 /* ? */) j = i + 1;
    else while (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === i) break;
    if (s[j] !== 'x') {
      if (c === 63) throw p.errorAt(j, "expected 'x' after '?' in tensor shape");
      break; // a number not followed by 'x' is not a dimension (encodings come after ',')
    }
    shape.push(c === 63 ? -1 : Number(s.slice(i, j)));
    i = j + 1;
  }
  if (s[i] === '*') throw p.errorAt(i, 'unranked tensors (tensor<*x...>) are not supported', 'run shape inference first');
  p.resetTo(i);
  const element = parseElementType(p);
  let encoding: string | undefined;
  if (p.eat(',')) {
    // An encoding is an attribute; TPU-MLIR writes addresses (`4294975488 : i64`). Keep its text.
    const from = p.lx.start;
    let depth = 0;
    while (!(depth === 0 && p.is('>'))) {
      if (p.is('eof')) throw p.unexpected("'>'");
      if (p.is('<') || p.is('(') || p.is('[') || p.is('{')) depth++;
      if (p.is(')') || p.is(']') || p.is('}') || (p.is('>') && depth > 0)) depth--;
      p.next();
    }
    encoding = s.slice(from, p.lx.prevEnd);
    if (encoding.length === 0) throw p.unexpected('a tensor encoding');
  }
  p.take('>', "'>'");
  p.leave();
  return encoding === undefined ? { kind: 'tensor', shape, element } : { kind: 'tensor', shape, element, encoding };
}

/** Scalar element types: floats, integers, index, quant types. */
export function parseElementType(p: ParserBase): ElementType {
  if (p.is('bang')) return parseQuant(p);
  if (!p.is('id')) throw p.unexpected('a type');
  const word = p.tokenText;
  const float = FLOATS[word];
  if (float !== undefined) {
    p.next();
    return float;
  }
  if (word === 'index') {
    p.next();
    return indexType;
  }
  // Integer types are shared per spelling too (`: i64` follows thousands of attributes).
  const known = p.types.get(word);
  if (known !== undefined && known.kind === 'int') {
    p.next();
    return known;
  }
  const int = integerTypeOf(word);
  if (int !== undefined) {
    p.types.set(word, int);
    p.next();
    return int;
  }
  if (UNSUPPORTED.has(word) || word.startsWith('f8')) throw p.errorAt(p.lx.start, `type '${word}' is not supported`);
  throw p.errorAt(p.lx.start, `unknown type '${word}'`);
}

function integerTypeOf(word: string): IntegerType | undefined {
  const m = /^(s|u)?i([1-9][0-9]*)$/.exec(word);
  if (!m) return undefined;
  const width = Number(m[2]);
  if (width > 1 << 24) return undefined;
  const signedness: Signedness = m[1] === 's' ? 'signed' : m[1] === 'u' ? 'unsigned' : 'signless';
  return intType(width, signedness);
}

export function parseFloatType(p: ParserBase, what = 'a float type'): FloatType {
  if (p.is('id')) {
    const t = FLOATS[p.tokenText];
    if (t !== undefined) {
      p.next();
      return t;
    }
  }
  throw p.unexpected(what);
}

function parseQuant(p: ParserBase): ElementType {
  const word = p.tokenText;
  const at = p.lx.start;
  if (word === '!quant.uniform') {
    p.next();
    return parseUniform(p);
  }
  if (word === '!quant.calibrated') {
    p.next();
    p.take('<', "'<'");
    const expressed = parseFloatType(p, 'an expressed float type');
    p.take('<', "'<'");
    const min = parseDouble(p);
    p.take(':', "':'");
    const max = parseDouble(p);
    p.take('>', "'>'");
    p.take('>', "'>'");
    return { kind: 'quant.calibrated', expressed, min, max };
  }
  throw p.errorAt(at, `unknown type '${word}'`);
}

/** `uniform<i8<-127:127>:f32:1, {s:z, ...}>` after the `!quant.uniform` token. */
function parseUniform(p: ParserBase): ElementType {
  p.take('<', "'<'");
  const storageAt = p.lx.start;
  const m = p.is('id') ? /^([iu])([1-9][0-9]*)$/.exec(p.tokenText) : null;
  if (!m) throw p.unexpected('a storage type like i8 or u8');
  const width = Number(m[2]);
  if (width > 32) throw p.errorAt(storageAt, `illegal storage type size: ${width}`);
  const storage = intType(width, m[1] === 'u' ? 'unsigned' : 'signless');
  p.next();
  let storageMin: number | undefined;
  let storageMax: number | undefined;
  if (p.eat('<')) {
    storageMin = parseSmallInt(p);
    p.take(':', "':'");
    storageMax = parseSmallInt(p);
    p.take('>', "'>'");
  }
  p.take(':', "':'");
  const expressed = parseFloatType(p, 'an expressed float type');
  let axis: number | undefined;
  if (p.eat(':')) axis = parseSmallInt(p);
  p.take(',', "','");
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  const param = (): void => {
    scales.push(parseDouble(p));
    zeroPoints.push(p.eat(':') ? parseSmallInt(p) : 0);
  };
  if (axis !== undefined) {
    p.take('{', "'{'");
    for (;;) {
      param();
      if (p.eat('}')) break;
      p.take(',', "',' or '}'");
    }
  } else param();
  p.take('>', "'>'");
  const t = { kind: 'quant.uniform' as const, storage, expressed, scales, zeroPoints };
  return {
    ...t,
    ...(storageMin !== undefined ? { storageMin, storageMax } : {}),
    ...(axis !== undefined ? { axis } : {}),
  };
}

/** An integer literal that fits a JS number, optionally negative. */
export function parseSmallInt(p: ParserBase): number {
  const neg = p.eat('-');
  if (!p.is('int')) throw p.unexpected('an integer');
  const v = Number(p.tokenText);
  if (!Number.isSafeInteger(v)) throw p.errorAt(p.lx.start, `integer ${p.tokenText} is too large`);
  p.next();
  return neg ? -v : v;
}

/** A double as MLIR's `parseFloat(double&)` reads it: a float literal or hex bits. */
export function parseDouble(p: ParserBase, w: FloatTypeName = 'f64'): number {
  const at = p.lx.start;
  const neg = p.eat('-');
  if (p.is('float')) {
    const v = parseFloatLiteral(p.tokenText, w);
    p.next();
    return neg ? -v : v;
  }
  if (p.is('int') && /^0x/i.test(p.tokenText)) {
    if (neg) throw p.errorAt(at, 'hexadecimal float literal should not have a leading minus');
    const v = bitsToFloat(BigInt(p.tokenText), w);
    if (v === undefined) throw p.errorAt(p.lx.start, `hexadecimal float constant out of range for type ${w}`);
    p.next();
    return v;
  }
  if (p.is('int')) throw p.errorAt(p.lx.start, 'unexpected decimal integer literal for a floating point value', "add a trailing '.' to make it a float (e.g. 1.0)");
  throw p.unexpected('a floating point value');
}

/** Printable name of a storage-less expressed type, for messages. */
export function typeName(t: Type | ElementType): string {
  return printType(t);
}
