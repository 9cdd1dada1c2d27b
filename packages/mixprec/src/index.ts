// @tpu-quant/mixprec: mixed-precision tools that write TPU-MLIR quantize tables (qtables).
// Lowering and integer simulation come from the chip package registered in ir's target registry;
// this package never imports a chip package.
export * from './run-qtable/index.js';
export * from './fp-forward/index.js';
export * from './search-threshold/index.js';
export * from './bias-correction/index.js';
export * from './sensitivity/index.js';
export { runningSearchThreads, type SampleThreadOptions } from './shards/index.js';
