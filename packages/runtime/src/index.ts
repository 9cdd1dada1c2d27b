// @tpu-quant/runtime: executes top modules. Sessions plan a module once (kernels chosen per op,
// buffers reused by liveness) and run it on inputs, whole, in batches across worker threads, or
// from one op down, optionally capturing, observing or overriding tensors.
export { createSession } from './session.js';
export type { RunOptions, RunResult, Session, SessionOptions, SessionStats, Tensors } from './session.js';
export type { KernelReport } from './backends.js';
export type { OpTime } from './executor.js';
export { fakeQuantize, roundBF16InPlace, roundF16InPlace, roundToBF16, roundToF16 } from './overrides.js';
// Layout helpers kernels elsewhere (the chips' tpu data-movement ops) share with ours.
export { normAxis, padData, stridedGather, stridesOf } from './tensor.js';
// The resident + scratch memory manager of our wasm kernels, for other packages' wasm modules.
export { WasmHeap, type WasmHeapModule } from './kernels/wasm/heap.js';
// The attribute that asks a wasm top kernel to round its result to f16 / bf16 in place.
export { ROUND_RESULT_ATTR } from './kernels/wasm/backend.js';
export type { OverrideFn } from './overrides.js';
export { allocOut, getKernel, listKernels, registerKernel } from './registry.js';
export type { AllocOptions, Backend, Kernel, KernelContext } from './registry.js';
// The ort backend's exporter: a float top module as an ONNX model, and the op types it maps.
export { exportOnnx, ORT_OPS } from './ort/export-onnx.js';
export type { ExportOnnxOptions } from './ort/export-onnx.js';
export { assemblyScriptBytes, compileAssemblyScript, loadAssemblyScriptModule, type AssemblyScriptModule } from './wasm-module.js';
// Worker threads for other packages' worker modules (built .js, or .ts through tsx in sources).
export { rebuildWorkerError, startWorker, type WorkerErrorRecord } from './worker-pool.js';
