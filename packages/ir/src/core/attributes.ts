// Attribute values as TPU-MLIR's files hold them (MLIR builtin attributes). Plain data; the
// text form is in ../mlir.
import type { FloatType, IntegerType, TensorType, Type } from './types.js';
import { f64, i64 } from './types.js';
import { deepEqual } from './equal.js';

/** `3 : i64`, `1 : si32`. Values beyond 2^53 are kept as bigint. */
export interface IntAttr {
  readonly kind: 'int';
  readonly value: number | bigint;
  readonly type: IntegerType;
}

/**
 * `-1.000000e+00 : f64`. `text` keeps the literal as it was read, so that printing a parsed
 * file gives back the same bytes; it is ignored by equality and dropped by rewrites.
 */
export interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
  readonly type: FloatType;
  readonly text?: string;
}

export interface BoolAttr {
  readonly kind: 'bool';
  readonly value: boolean;
}

export interface StringAttr {
  readonly kind: 'string';
  readonly value: string;
}

/** `[1, 1]`, `[0.000000e+00, 1.0]`, `["a", "b"]`: a list of attributes. */
export interface ArrayAttr {
  readonly kind: 'array';
  readonly value: readonly Attr[];
}

/** `array<i64: 1, 2>`: MLIR's DenseArrayAttr. */
export interface DenseArrayAttr {
  readonly kind: 'dense-array';
  readonly element: IntegerType | FloatType;
  readonly value: readonly number[];
}

/** `dense<[1, 2]> : tensor<2xi64>` (or a splat, `dense<0.0> : tensor<4xf32>`). */
export interface DenseElementsAttr {
  readonly kind: 'dense';
  readonly type: TensorType;
  /** One entry for a splat, else one per element in row-major order. */
  readonly value: readonly (number | boolean)[];
  readonly splat: boolean;
}

/** A name with no value (`{some_flag}`). */
export interface UnitAttr {
  readonly kind: 'unit';
}

/** `@subfunc_0`, the callee of a `call`. */
export interface SymbolRefAttr {
  readonly kind: 'symbol';
  readonly value: string;
}

export interface TypeAttr {
  readonly kind: 'type';
  readonly value: Type;
}

/**
 * Dialect attributes kept as text, e.g. `#tpu<rq_mode MultiplierShift>` or `#top<...>`:
 * `dialect` = "tpu", `body` = "rq_mode MultiplierShift".
 */
export interface DialectAttr {
  readonly kind: 'dialect';
  readonly dialect: string;
  readonly body: string;
}

export type Attr =
  | IntAttr
  | FloatAttr
  | BoolAttr
  | StringAttr
  | ArrayAttr
  | DenseArrayAttr
  | DenseElementsAttr
  | UnitAttr
  | SymbolRefAttr
  | TypeAttr
  | DialectAttr;

export type AttrKind = Attr['kind'];

// ---- constructors (the common TPU-MLIR shapes) ---------------------------------------------

export function intAttr(value: number | bigint, type: IntegerType = i64): IntAttr {
  return { kind: 'int', value, type };
}
export function floatAttr(value: number, type: FloatType = f64): FloatAttr {
  return { kind: 'float', value, type };
}
export function boolAttr(value: boolean): BoolAttr {
  return { kind: 'bool', value };
}
export function stringAttr(value: string): StringAttr {
  return { kind: 'string', value };
}
export function arrayAttr(value: readonly Attr[]): ArrayAttr {
  return { kind: 'array', value: [...value] };
}
/** TPU-MLIR's I64ArrayAttr: `[1, 1]`. */
export function i64ArrayAttr(values: readonly number[]): ArrayAttr {
  return arrayAttr(values.map((v) => intAttr(v)));
}
/** TPU-MLIR's F64ArrayAttr: `[0.000000e+00, 1.000000e+00]`. */
export function f64ArrayAttr(values: readonly number[]): ArrayAttr {
  return arrayAttr(values.map((v) => floatAttr(v)));
}
export function dialectAttr(dialect: string, body: string): DialectAttr {
  return { kind: 'dialect', dialect, body };
}
export const unitAttr: UnitAttr = { kind: 'unit' };
export function symbolAttr(value: string): SymbolRefAttr {
  return { kind: 'symbol', value };
}

// ---- readers (throw TypeError on a kind mismatch: that is a bug in the caller or the table) --

export function attrToNumber(a: Attr): number {
  if (a.kind === 'int') return Number(a.value);
  if (a.kind === 'float') return a.value;
  if (a.kind === 'bool') return a.value ? 1 : 0;
  throw new TypeError(`expected a numeric attribute, got ${a.kind}`);
}

export function attrToNumbers(a: Attr): number[] {
  if (a.kind === 'array') return a.value.map(attrToNumber);
  if (a.kind === 'dense-array') return [...a.value];
  if (a.kind === 'dense') return a.value.map(Number);
  throw new TypeError(`expected an array attribute, got ${a.kind}`);
}

export function attrToString(a: Attr): string {
  if (a.kind === 'string') return a.value;
  if (a.kind === 'symbol') return a.value;
  if (a.kind === 'dialect') return a.body;
  throw new TypeError(`expected a string attribute, got ${a.kind}`);
}

/** `round_mode HalfUp` -> `HalfUp`: the case named by a dialect enum attribute's body. */
export function dialectEnumCase(body: string): string {
  const space = body.lastIndexOf(' ');
  return space < 0 ? body : body.slice(space + 1);
}

export function attrToBool(a: Attr): boolean {
  if (a.kind === 'bool') return a.value;
  if (a.kind === 'unit') return true;
  if (a.kind === 'int') return a.value !== 0 && a.value !== 0n;
  throw new TypeError(`expected a bool attribute, got ${a.kind}`);
}

/** Attribute equality: as data, ignoring a float's remembered spelling. */
export function attrsEqual(a: Attr, b: Attr): boolean {
  return deepEqualAttr(a, b);
}

function deepEqualAttr(a: Attr, b: Attr): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'float': {
      const bb = b as FloatAttr;
      return sameNumber(a.value, bb.value) && a.type.name === bb.type.name;
    }
    case 'array': {
      const bb = b as ArrayAttr;
      return a.value.length === bb.value.length && a.value.every((x, i) => deepEqualAttr(x, bb.value[i]!));
    }
    default:
      return deepEqual(a, b);
  }
}

function sameNumber(x: number, y: number): boolean {
  return x === y || (Number.isNaN(x) && Number.isNaN(y));
}
