// The converter registry: ONNX op type -> converter. Ops that only ever see constants (Shape,
// ConstantOfShape, Range, Equal, Where ...) are folded instead (../constant-folding.ts).
import type { Converter } from './context.js';
import { convConverters } from './conv.js';
import { elementwiseConverters } from './elementwise.js';
import { layoutConverters } from './layout.js';
import { resizeConverters } from './resize.js';

export const CONVERTERS: Readonly<Record<string, Converter>> = {
  ...convConverters,
  ...elementwiseConverters,
  ...layoutConverters,
  ...resizeConverters,
};
