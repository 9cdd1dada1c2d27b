// The wasm backend (WebAssembly SIMD kernels from assembly/). Importing this module loads (and if
// needed builds) the module, then registers its kernels; ops without one stay on js.
import './conv.js';
import './deconv.js';
import './matmul.js';
import './elementwise.js';
import './activation.js';
import './pool.js';
import './copy.js';
import './concat.js';
import './softmax.js';
import './layernorm.js';
import './interp.js';

/** The session awaits this before planning; the module is already instantiated by the import
 * (top-level await in backend.ts), so there is nothing left to do. */
export async function init(): Promise<void> {}
