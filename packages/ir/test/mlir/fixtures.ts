// The MLIR fixtures: hand-written in TPU-MLIR's exact format (see fixtures/mlir).
import { readFileSync } from 'node:fs';

/** Files as TPU-MLIR (MLIR's AsmPrinter with debug info) writes them. */
export const CANONICAL_FIXTURES = [
  'conv-preprocess.mlir',
  'split-fused-loc.mlir',
  'lowered-int8-quant.mlir',
  'calibrated-top.mlir',
  'addressed-subfunc.mlir',
] as const;

/** Files in older or non-canonical spellings (old `func`, `1.0`, unsorted dicts, inline locs). */
export const LEGACY_FIXTURES = ['legacy-handwritten.mlir'] as const;

export function readFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/mlir/${name}`, import.meta.url), 'utf8');
}
