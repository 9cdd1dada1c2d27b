// `canonicalize`: TPU-MLIR's top-dialect canonicalization patterns as model_transform applies
// them (tpuc-opt --canonicalize; lib/Dialect/Top/Canonicalize/*.cpp), on the patterns that vision
// models hit. One module per op family under canonicalize/; each pattern states where it
// matches and which location (tensor name) its result keeps, as upstream — calibration tables
// and qtables are keyed by those names. Deliberate differences are written at each pattern.
//
// Order: the onnxsim Conv+BatchNorm fold first (TPU-MLIR runs onnxsim on the ONNX model before
// converting it, see batch-norm.ts), then all other patterns with MLIR's greedy driver semantics
// (pattern.ts).
import type { Module } from '../../core/index.js';
import { registerPass } from '../pass-registry.js';
import { addPatterns } from './canonicalize/add.js';
import { batchNormToScale, bnMergeToConv } from './canonicalize/batch-norm.js';
import { gatherToSlice } from './canonicalize/gather.js';
import { matMulPatterns } from './canonicalize/matmul.js';
import { mulConstPatterns } from './canonicalize/mul-const.js';
import { mulPatterns } from './canonicalize/mul.js';
import { applyPatternsGreedily, type Pattern } from './canonicalize/pattern.js';
import { fuseReluPattern } from './canonicalize/relu.js';
import { reshapePatterns } from './canonicalize/reshape.js';
import { scalePatterns } from './canonicalize/scale.js';

export { fuseRelus } from './canonicalize/relu.js';

/** The top patterns, grouped by root op as upstream registers them per op. */
export const TOP_PATTERNS: readonly Pattern[] = [
  ...addPatterns,
  batchNormToScale,
  gatherToSlice,
  ...matMulPatterns,
  ...mulPatterns,
  ...mulConstPatterns,
  fuseReluPattern,
  ...reshapePatterns,
  ...scalePatterns,
];

export function registerCanonicalizePass(): void {
  registerPass({
    name: 'canonicalize',
    summary: "TPU-MLIR's top canonicalizations (SiLU, MulConst/AddConst, BatchNorm folding, Gather→Slice, MatMul+Add→bias, Relu fusion, ...)",
    options: {},
    run(module) {
      canonicalize(module);
    },
  });
}

/** Runs the canonicalization; returns how often each pattern applied (by upstream's name). */
export function canonicalize(module: Module): Map<string, number> {
  const counts = applyPatternsGreedily(module, [bnMergeToConv]);
  for (const [name, n] of applyPatternsGreedily(module, TOP_PATTERNS)) counts.set(name, (counts.get(name) ?? 0) + n);
  return counts;
}
