// Types of the IR, modelled on MLIR's builtin and quant types as TPU-MLIR prints them.
// Text spelling (parse/print) lives in ../mlir; these are plain data.
import { deepEqual } from './equal.js';

/** Float element types. f64 appears only in attributes; tensors use f32/f16/bf16. */
export type FloatTypeName = 'f64' | 'f32' | 'f16' | 'bf16';

export interface FloatType {
  readonly kind: 'float';
  readonly name: FloatTypeName;
}

/** MLIR integers: `i8` (signless), `si8` (signed), `ui8` (unsigned); `i1` is bool. */
export type Signedness = 'signless' | 'signed' | 'unsigned';

export interface IntegerType {
  readonly kind: 'int';
  readonly width: number;
  readonly signedness: Signedness;
}

export interface IndexType {
  readonly kind: 'index';
}

/** `none`: the result type of `top.None`, a placeholder for an absent optional operand. */
export interface NoneType {
  readonly kind: 'none';
}

/** `!quant.calibrated<f32<min:max>>`: a float tensor carrying its calibrated range. */
export interface CalibratedQuantType {
  readonly kind: 'quant.calibrated';
  readonly expressed: FloatType;
  readonly min: number;
  readonly max: number;
}

/**
 * `!quant.uniform<i8:f32, scale:zp>` (per tensor) or `!quant.uniform<i8:f32:axis, {s0:z0, ...}>`
 * (per axis). `storage` is the integer type (`i8`, `u8`, `i16`, ...); optional storage range
 * `<i8<-127:127>:f32, ...>` is kept when present.
 */
export interface UniformQuantType {
  readonly kind: 'quant.uniform';
  readonly storage: IntegerType;
  readonly storageMin?: number;
  readonly storageMax?: number;
  readonly expressed: FloatType;
  /** Per-tensor: one entry each. Per-axis: one per channel along `axis`. */
  readonly scales: readonly number[];
  readonly zeroPoints: readonly number[];
  readonly axis?: number;
}

export type QuantType = CalibratedQuantType | UniformQuantType;

/** What a tensor may hold. */
export type ElementType = FloatType | IntegerType | IndexType | QuantType;

/**
 * A ranked tensor. Dims are static; -1 stands for a dim still unknown at import (printed `?`).
 * `encoding` keeps a tensor encoding as TPU-MLIR's address assignment prints it
 * (`tensor<1x3xf32, 4294975488 : i64>`), as attribute text.
 */
export interface TensorType {
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly element: ElementType;
  readonly encoding?: string;
}

/** Function types appear in `func.func` signatures and in `call` ops. */
export interface FunctionType {
  readonly kind: 'function';
  readonly inputs: readonly Type[];
  readonly results: readonly Type[];
}

export type Type = TensorType | NoneType | FloatType | IntegerType | IndexType | FunctionType;

// ---- constructors -------------------------------------------------------------------------

export const f64: FloatType = { kind: 'float', name: 'f64' };
export const f32: FloatType = { kind: 'float', name: 'f32' };
export const f16: FloatType = { kind: 'float', name: 'f16' };
export const bf16: FloatType = { kind: 'float', name: 'bf16' };
export const noneType: NoneType = { kind: 'none' };
export const indexType: IndexType = { kind: 'index' };

export function intType(width: number, signedness: Signedness = 'signless'): IntegerType {
  return { kind: 'int', width, signedness };
}
export const i1 = intType(1);
export const i8 = intType(8);
export const i16 = intType(16);
export const i32 = intType(32);
export const i64 = intType(64);
export const ui8 = intType(8, 'unsigned');
export const ui16 = intType(16, 'unsigned');
export const ui32 = intType(32, 'unsigned');
export const si32 = intType(32, 'signed');

export function tensorType(shape: readonly number[], element: ElementType, encoding?: string): TensorType {
  return encoding === undefined
    ? { kind: 'tensor', shape: [...shape], element }
    : { kind: 'tensor', shape: [...shape], element, encoding };
}

export function calibratedType(min: number, max: number, expressed: FloatType = f32): CalibratedQuantType {
  return { kind: 'quant.calibrated', expressed, min, max };
}

/** Per-tensor uniform quantized type; `storage` is e.g. `i8` or `ui8` (printed `u8`). */
export function uniformType(storage: IntegerType, scale: number, zeroPoint = 0, expressed: FloatType = f32): UniformQuantType {
  return { kind: 'quant.uniform', storage, expressed, scales: [scale], zeroPoints: [zeroPoint] };
}

export function uniformPerAxisType(
  storage: IntegerType,
  axis: number,
  scales: readonly number[],
  zeroPoints: readonly number[],
  expressed: FloatType = f32,
): UniformQuantType {
  return { kind: 'quant.uniform', storage, expressed, scales: [...scales], zeroPoints: [...zeroPoints], axis };
}

// ---- queries --------------------------------------------------------------------------------

export function isTensor(t: Type): t is TensorType {
  return t.kind === 'tensor';
}

export function isQuant(t: ElementType): t is QuantType {
  return t.kind === 'quant.calibrated' || t.kind === 'quant.uniform';
}

/** Number of elements; -1 when a dim is unknown. */
export function numElements(t: TensorType): number {
  let n = 1;
  for (const d of t.shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

/** The element type data is stored in: quant types store as their storage/expressed type. */
export function storageElement(e: ElementType): FloatType | IntegerType | IndexType {
  if (e.kind === 'quant.uniform') return e.storage;
  if (e.kind === 'quant.calibrated') return e.expressed;
  return e;
}

/** Structural equality of types (quant scales compared exactly). */
export function typesEqual(a: Type | ElementType, b: Type | ElementType): boolean {
  return deepEqual(a, b);
}
