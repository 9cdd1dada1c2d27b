// The INT8 kernels of the tpu dialect as WebAssembly SIMD (wasm/int8.wasm): every export is an
// entry point of src/kernels/wasm-*.ts. Tensors stay f32 arrays holding integer codes, as in the
// runtime; the kernels widen codes to i16 / i32 lanes, accumulate exactly in int32 and requantize
// in int64 (requant.ts), so results equal the js reference kernels code for code.

/** Where the JS allocator may start: the end of the static data. */
export function heapBase(): usize {
  return __heap_base;
}
export { chunkCols, conv2d } from './gemm';
export { depthwise, depthwiseScratch } from './depthwise';
export { matmul } from './matmul';
export { lut } from './lut';
export { maxPool, maxPoolScratch, planeSums } from './maxpool';
export { quantize } from './quantize';
export { addPair, dequantize, mulPair, requantAxis, scaleRun } from './eltwise8';
export { roundBF16, roundF16 } from './round';
