// @tpu-quant/bmodel: the .bmodel container — writer, bounds-checked reader, program carrier.
export * from './model.js';
export { bmodelModel, bmodelNet, bmodelStage, bmodelSubNet, bmodelTensor, bmodelTime, type TensorInit } from './defaults.js';
export { writeBmodel } from './write.js';
export { readBmodel } from './read.js';
export { BMODEL_MAGIC, BMODEL_HEADER_SIZE } from './header.js';
export { PROGRAM_MLIR_NAME, PROGRAM_OP_TYPE, PROGRAM_WEIGHTS_NAME } from './program.js';
export { sha256 } from './binary-section.js';
export { bmodelFromModule, type ModuleBmodelOptions } from './from-module.js';
