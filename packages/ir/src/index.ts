// @tpu-quant/ir: the IR core, TPU-MLIR's text and data formats, passes and targets.
export * from './core/index.js';
export * from './mlir/index.js';
export * from './formats/index.js';
export * from './dialects/index.js';
export * from './passes/index.js';
export * from './targets/index.js';
export * from './compare/index.js';
export { dequantizeAll, dequantize } from './core/dequantize.js';
