// @tpu-quant/chip-bm168x: BM1684 / BM1684X / BM1688 / BM1690 / CV186X. Today: TPU-MLIR's
// quantization arithmetic (rounding, multipliers, scales, weights, LUTs) and the calibration
// import and range propagation that precede lowering (spec deploy.md §3.2-3.4, §3.9-3.11).
export * from './quant/rounding.js';
export * from './quant/multiplier.js';
export * from './quant/scales.js';
export * from './quant/conv-weights.js';
export * from './quant/eltwise.js';
export * from './quant/lut.js';
export { importCalibration, rangeFor } from './calibration/import-calibration.js';
export type { CalibrationRow, ImportCalibrationOptions, ImportCalibrationResult } from './calibration/import-calibration.js';
export { propagateCalibration } from './calibration/propagate.js';
export type { PropagateOptions } from './calibration/propagate.js';
export { calibratedOf } from './calibration/calibrated.js';
// The tpu dialect (table + generated builders), its integer-exact kernels and the INT8 lowering.
export { tpuOps, REQUANT_MODES, POOL_MODES } from './dialect/ops.js';
export * as tpu from './dialect/generated/index.js';
export { quantizeMatMulBM1684X } from './quant/matmul-weights.js';
export type { MatMulQuantBM1684X, MatMulQuantInput } from './quant/matmul-weights.js';
export { quantizeDeconvBM1684X } from './quant/deconv-weights.js';
export type { DeconvQuantBM1684X, DeconvQuantInput } from './quant/deconv-weights.js';
export { registerTpuKernels } from './kernels/index.js';
export { mulShiftHalfUp } from './kernels/common.js';
export { lowerTopToTpu } from './lowering/convert-top-to-tpu.js';
export type { LowerOptions, LowerReport } from './lowering/convert-top-to-tpu.js';
// Mixed precision (qtable modes per op, fp_type) and strip-io-quant (quant_input / quant_output).
export { checkQuantizeTable, floatModeOn, resolveOpModes } from './lowering/mixed-precision.js';
export type { LoweredMode, OpModes, QtableCheck } from './lowering/mixed-precision.js';
export { modelInputs, stripIoQuant } from './lowering/strip-io-quant.js';
export type { StripIoQuantOptions, StripIoQuantReport } from './lowering/strip-io-quant.js';
// model_deploy --fuse_preprocess: the raw uint8 image as input, the preprocessing in the model.
export { CUSTOMIZATION_FORMATS, checkFusePreprocess, customFormatOf, fusePreprocess, hasPreprocess } from './lowering/fuse-preprocess.js';
export type { FusedInput, FusePreprocessOptions } from './lowering/fuse-preprocess.js';
// DDR address assignment (memory planning) and its checker.
export { addressOf, gmemBytes, assignAddresses, checkMemoryPlan, memoryPlanOf, assignBuffers, fitFirstAssign, opSizeOrderAssign, ALWAYS_LIVE_END } from './memory/index.js';
export { ADDR_MODE_CODE, ADDR_MODES, resolveAddrMode, supportedAddrModes, fusibleSliceOffset } from './memory/index.js';
export type { AddrMode, AllocatorName, Allocation, AssignAddressesOptions, CoeffPlacement, CoeffPlan, IoTagRegion, IoTensor, LiveBuffer, LiveRange, MemoryPlan, Region, ValuePlacement } from './memory/index.js';
export { BM1684X_FAMILY, registerBm168x } from './register.js';

import { registerBm168x } from './register.js';
registerBm168x();
