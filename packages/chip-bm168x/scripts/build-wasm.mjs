// `pnpm build` step: compiles the AssemblyScript INT8 kernels (assembly/index.ts) to
// wasm/int8.wasm before tsc runs, with the runtime's helper (which nx has built first).
// src/kernels/wasm-int8.ts does the same lazily when the file is missing or older than
// assembly/, so tests work from a fresh clone without this step.
import { compileAssemblyScript } from '@tpu-quant/runtime';
import { fileURLToPath } from 'node:url';

try {
  await compileAssemblyScript({ root: fileURLToPath(new URL('..', import.meta.url)), entry: 'assembly/index.ts', outFile: 'wasm/int8.wasm' });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
