// The wasm backend's module: every export here is a kernel entry point (pointers are byte
// offsets into the exported memory; the JS side in src/kernels/wasm/ allocates).
export { gemm, gemmU, packA, packB } from './gemm';
export { chunkCols, col2im, conv2d, im2colRows } from './conv';
export { depthwise, depthwisePlane } from './depthwise';

/** Where the JS allocator may start: the end of the static data. */
export function heapBase(): usize {
  return __heap_base;
}
export { binary, clampRange } from './eltwise';
export { binaryNd, channelAffine } from './broadcast';
export { activation } from './activation';
export { pool2d, reduceRows } from './pool';
export { gatherNd } from './copy';
export { softmaxRows } from './softmax';
export { layerNormRows } from './layernorm';
export { interp } from './interp';
export { roundBF16, roundF16 } from './round';
