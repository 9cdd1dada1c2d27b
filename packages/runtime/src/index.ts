// @tpu-quant/runtime: executes top modules. Sessions plan a module once (kernels looked up,
// buffers freed after their last use) and run it on inputs, optionally capturing every tensor.
export { createSession } from './session.js';
export type { RunOptions, RunResult, Session, SessionOptions } from './session.js';
export { getKernel, listKernels, registerKernel } from './registry.js';
export type { Backend, Kernel, KernelContext } from './registry.js';
