// `array<i64: 1, 2>` and `dense<...>` literals: nested lists checked against the tensor shape,
// splats, and MLIR's hex blobs for large constants.
import type { Attr } from '../core/attributes.js';
import { shapeSize } from '../core/dtype.js';
import type { FloatType, IntegerType } from '../core/types.js';
import { MAX_DEPTH, type ParserBase } from './parser-base.js';
import { decodeDenseHex } from './print-attrs.js';
import { floatAttrOf, intAttrOf } from './parse-numbers.js';
import { parseElementType, parseType } from './parse-types.js';

/** `array<i64: 1, 2>`, `array<f32: 1.000000e+00>`, `array<i1: true>`, `array<i64>`. */
export function parseDenseArray(p: ParserBase): Attr {
  p.next();
  p.take('<', "'<'");
  const typeAt = p.lx.start;
  const element = parseElementType(p);
  if (element.kind !== 'int' && element.kind !== 'float') throw p.errorAt(typeAt, 'array<> elements must be integers or floats');
  const value: number[] = [];
  if (p.eat(':')) {
    for (;;) {
      value.push(Number(scalarValue(p, element, denseScalar(p))));
      if (!p.eat(',')) break;
    }
  }
  p.take('>', "'>'");
  return { kind: 'dense-array', element, value };
}

interface Scalar {
  readonly text: string;
  readonly at: number;
}

/** One element literal of a dense/array attribute, as text (`-1`, `2.5`, `true`, `0x3F80`). */
function denseScalar(p: ParserBase): Scalar {
  const at = p.lx.start;
  if (p.isKeyword('true') || p.isKeyword('false')) {
    p.next();
    return { text: p.text.slice(at, p.lx.prevEnd), at };
  }
  p.eat('-');
  if (!p.is('int') && !p.is('float')) throw p.unexpected('an element value');
  p.next();
  return { text: p.text.slice(at, p.lx.prevEnd).replace(/\s+/g, ''), at };
}

function scalarValue(p: ParserBase, t: IntegerType | FloatType, s: Scalar): number | boolean {
  const isBool = s.text === 'true' || s.text === 'false';
  if (t.kind === 'int' && t.width === 1 && t.signedness === 'signless') {
    if (isBool) return s.text === 'true';
    if (s.text === '0' || s.text === '1') return s.text === '1';
    throw p.errorAt(s.at, 'expected true or false for an i1 element');
  }
  if (isBool) throw p.errorAt(s.at, `boolean element for a ${t.kind === 'float' ? t.name : 'non-i1'} type`);
  if (t.kind === 'float') {
    const neg = s.text.startsWith('-');
    const lit = neg ? s.text.slice(1) : s.text;
    return floatAttrOf(p, s.at, neg, lit, s.text, t).value;
  }
  return Number(intAttrOf(p, s.at, s.text.startsWith('-'), s.text.replace(/^-/, ''), t).value);
}

/** `dense<[1, 2]> : tensor<2xi64>`, splats, `dense<"0x...">` blobs. */
export function parseDense(p: ParserBase): Attr {
  const at = p.lx.start;
  p.next();
  p.take('<', "'<'");
  let hex: { text: string; at: number } | undefined;
  let scalars: Scalar[] = [];
  let shape: number[] | undefined; // undefined: a single scalar (splat)
  if (p.is('string')) {
    hex = { text: p.tokenText.slice(1, -1), at: p.lx.start };
    p.next();
  } else if (p.is('[')) {
    shape = [];
    scalars = parseNested(p, shape);
  } else if (!p.is('>')) {
    scalars = [denseScalar(p)];
  } else shape = [0];
  p.take('>', "'>'");
  p.take(':', "':'");
  const typeAt = p.lx.start;
  const type = parseType(p);
  if (type.kind !== 'tensor') throw p.errorAt(typeAt, 'dense<> needs a tensor type');
  const el = type.element;
  if (el.kind !== 'int' && el.kind !== 'float') throw p.errorAt(typeAt, 'dense<> elements must be integers or floats');
  const count = shapeSize(type.shape);
  if (hex !== undefined) {
    if (!/^0x[0-9a-fA-F]*$/.test(hex.text)) throw p.errorAt(hex.at, 'dense string elements are not supported');
    if (el.kind === 'int' && el.width === 1) throw p.errorAt(hex.at, 'hex dense<> of i1 is not supported');
    const values = decodeDenseHex(hex.text.slice(2), el);
    if (values === undefined || (values.length !== count && values.length !== 1)) {
      throw p.errorAt(hex.at, `hex data holds ${values?.length ?? 'a partial'} elements, type needs ${count}`);
    }
    return { kind: 'dense', type, value: values, splat: values.length === 1 };
  }
  if (shape === undefined) return { kind: 'dense', type, value: [scalarValue(p, el, scalars[0]!)], splat: true };
  const sameShape = shape.length === type.shape.length && shape.every((d, i) => d === type.shape[i]);
  const emptyOk = scalars.length === 0 && count === 0;
  if (!sameShape && !emptyOk) {
    throw p.errorAt(at, `inferred shape of elements literal ([${shape.join(', ')}]) does not match type ([${type.shape.join(', ')}])`);
  }
  return { kind: 'dense', type, value: scalars.map((s) => scalarValue(p, el, s)), splat: false };
}

/** `[[1, 2], [3, 4]]` flattened; fills `shape` from the nesting and checks it is rectangular. */
function parseNested(p: ParserBase, shape: number[]): Scalar[] {
  const out: Scalar[] = [];
  // Iterative: counts per open bracket; the first list at each depth fixes that dimension.
  const counts: number[] = [];
  const fixed: (number | undefined)[] = [];
  const leafDepth: { d: number | undefined } = { d: undefined };
  const closeAt = (depth: number, pos: number): void => {
    const n = counts[depth]!;
    if (fixed[depth] === undefined) fixed[depth] = n;
    else if (fixed[depth] !== n) throw p.errorAt(pos, 'dense<> literal is not rectangular');
  };
  let depth = -1;
  for (;;) {
    if (p.is('[')) {
      if (depth >= 0 && leafDepth.d !== undefined && depth >= leafDepth.d) throw p.errorAt(p.lx.start, 'dense<> literal mixes lists and scalars');
      depth++;
      if (depth >= MAX_DEPTH) throw p.errorAt(p.lx.start, `nesting deeper than ${MAX_DEPTH} levels`);
      counts[depth] = 0;
      p.next();
      continue; // an empty list closes on the next turn, like any other
    }
    if (p.is(']')) {
      closeAt(depth, p.lx.start);
      p.next();
      depth--;
      if (depth < 0) break;
      counts[depth]!++;
      if (!p.eat(',') && !p.is(']')) throw p.unexpected("',' or ']'");
      continue;
    }
    if (leafDepth.d === undefined) leafDepth.d = depth;
    else if (leafDepth.d !== depth) throw p.errorAt(p.lx.start, 'dense<> literal is not rectangular');
    out.push(denseScalar(p));
    counts[depth]!++;
    if (!p.eat(',') && !p.is(']')) throw p.unexpected("',' or ']'");
  }
  for (let d = 0; d < fixed.length; d++) shape.push(fixed[d] ?? 0);
  return out;
}
