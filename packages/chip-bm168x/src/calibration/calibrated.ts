// Reading and setting `!quant.calibrated<f32<min:max>>` element types on values
// (TPU-MLIR's module::isCalibratedType / getCalibratedType / RankedTensorType::get(shape, qtype)).
import type { CalibratedQuantType, ElementType, FloatType, Op, TensorType, Value } from '@tpu-quant/ir';
import { calibratedType, f32, getTarget, tensorType, type TargetFamily } from '@tpu-quant/ir';

/** The calibrated range of a tensor value, or undefined when it has none. */
export function calibratedOf(v: Value): CalibratedQuantType | undefined {
  const t = v.type;
  return t.kind === 'tensor' && t.element.kind === 'quant.calibrated' ? t.element : undefined;
}

/** The float type a value's elements are expressed in (f32 for a calibrated f32 tensor). */
export function expressedOf(v: Value): FloatType {
  const t = v.type;
  if (t.kind !== 'tensor') return f32;
  const e = t.element;
  if (e.kind === 'float') return e;
  if (e.kind === 'quant.calibrated' || e.kind === 'quant.uniform') return e.expressed;
  return f32;
}

/** Gives `v` the element type `element`, keeping its shape; false when nothing changed. */
export function setElement(v: Value, element: ElementType): boolean {
  const t = v.type;
  if (t.kind !== 'tensor') return false;
  const e = t.element;
  if (sameElement(e, element)) return false;
  v.type = tensorType(t.shape, element, (t as TensorType).encoding);
  return true;
}

/** Gives `v` the calibrated range [min, max] (expressed in its own float type unless told). */
export function setCalibrated(v: Value, min: number, max: number, expressed: FloatType = expressedOf(v)): boolean {
  return setElement(v, calibratedType(min, max, expressed));
}

function sameElement(a: ElementType, b: ElementType): boolean {
  if (a.kind === 'quant.calibrated' && b.kind === 'quant.calibrated') {
    return a.min === b.min && a.max === b.max && a.expressed.name === b.expressed.name;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Two calibrated ranges are the same. */
export function sameRange(a: CalibratedQuantType, b: CalibratedQuantType): boolean {
  return a.min === b.min && a.max === b.max;
}

/** A boolean attribute that is set and true (`do_relu = true`). */
export function boolAttrTrue(op: Op, name: string): boolean {
  const a = op.attrs.get(name);
  return a?.kind === 'bool' ? a.value : a?.kind === 'unit';
}

/** A numeric attribute, or `dflt` when absent. */
export function numAttr(op: Op, name: string, dflt: number): number {
  const a = op.attrs.get(name);
  if (a?.kind === 'float') return a.value;
  if (a?.kind === 'int') return Number(a.value);
  return dflt;
}

/** A string attribute, or undefined. */
export function strAttr(op: Op, name: string): string | undefined {
  const a = op.attrs.get(name);
  return a?.kind === 'string' ? a.value : a?.kind === 'dialect' ? a.body.split(/\s+/).pop() : undefined;
}

/** The lowering family of a processor name (`bm1684x` → 'bm1684x'; unknown names are user errors). */
export function familyOf(processor: string): TargetFamily {
  return getTarget(processor).family;
}
