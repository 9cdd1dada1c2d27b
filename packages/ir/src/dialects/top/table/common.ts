// Pieces shared by the top op tables: TPU-MLIR's string enums and recurring attributes.
import type { AttrDecl, OpDecl } from '../../op-dsl.js';
import { bool, enumOf, op, optional, tensor } from '../../op-dsl.js';
import { sameAs } from '../shapes/elementwise.js';

export const ROUND_MODES = [
  'HalfAwayFromZero', 'HalfUp', 'HalfDown', 'HalfToEven', 'HalfToOdd', 'HalfTowardsZero', 'TowardsZero', 'Up', 'Down',
] as const;
export const AUTO_PAD_MODES = ['SAME_UPPER', 'SAME_LOWER', 'NOTSET', 'VALID'] as const;
export const COMPARE_MODES = ['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'NotEqual', 'And', 'Not', 'Xor'] as const;
export const REDUCE_MODES = ['ReduceMin', 'ReduceMax', 'ReduceMean', 'ReduceL2', 'ReduceL1', 'ReduceSum', 'ReduceProd'] as const;
export const PIXEL_FORMATS = ['rgb', 'bgr', 'gray', 'rgba', 'gbrg', 'grbg', 'bggr', 'rggb'] as const;

/**
 * round_mode only matters once lowered; TPU-MLIR's importer does not write it, so builders
 * leave it out and readers see the default.
 */
export const roundMode = (): AttrDecl => optional(enumOf(ROUND_MODES, 'HalfAwayFromZero'));

/** is_scalar is set by TPU-MLIR's own passes, never by its importer. */
export const isScalar = (): AttrDecl => optional(bool(false));

/** An elementwise op of one input that keeps its shape. */
export function unary(summary: string, attrs: Readonly<Record<string, AttrDecl>> = {}): OpDecl {
  return op({ summary, operands: { input: tensor() }, attrs, shape: sameAs() });
}
