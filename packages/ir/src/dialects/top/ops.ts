// The `top` dialect: every op TPU-MLIR's model_transform writes, declared once (see op-dsl.ts).
// Families live in ./table; their shape functions in ./shapes. tools/gen-ops turns this table
// into ./generated (typed builders, attribute interfaces and readers).
import { defineDialect } from '../op-dsl.js';
import { activationOps } from './table/activation.js';
import { convPoolOps } from './table/conv-pool.js';
import { detectionOps } from './table/detection.js';
import { elementwiseOps } from './table/elementwise.js';
import { indexingOps } from './table/indexing.js';
import { ioOps } from './table/io.js';
import { layoutOps } from './table/layout.js';
import { normOps } from './table/norm.js';

export const topOps = defineDialect('top', {
  ...ioOps,
  ...convPoolOps,
  ...elementwiseOps,
  ...activationOps,
  ...normOps,
  ...layoutOps,
  ...indexingOps,
  ...detectionOps,
});
