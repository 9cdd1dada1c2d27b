// `pnpm build` step: compiles the AssemblyScript statistics kernels (assembly/stats.ts) to
// wasm/stats.wasm before tsc runs, with the runtime's helper (which nx has built first).
// src/stats/wasm/wasm-scan.ts does the same lazily when the file is missing or older than
// assembly/, so tests work from a fresh clone without this step.
import { compileAssemblyScript } from '@tpu-quant/runtime';
import { fileURLToPath } from 'node:url';

try {
  // src/stats/wasm/wasm-scan.ts's STATS_ASC_ARGS: a shared memory, imported
  const statsArgs = ['--importMemory', '--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'];
  await compileAssemblyScript({ root: fileURLToPath(new URL('..', import.meta.url)), entry: 'assembly/stats.ts', outFile: 'wasm/stats.wasm', extraArgs: statsArgs });
  await compileAssemblyScript({ root: fileURLToPath(new URL('..', import.meta.url)), entry: 'assembly/tune.ts', outFile: 'wasm/tune.wasm' });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
