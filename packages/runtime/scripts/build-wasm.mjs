// `pnpm build` step: compiles the AssemblyScript kernels to wasm/kernels.wasm and
// wasm/kernels-relaxed.wasm before tsc runs.
// The runtime's loader (src/kernels/wasm/loader.ts) does the same lazily when the file is
// missing or older than assembly/, so tests work from a fresh clone without this step.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(`${root}wasm`, { recursive: true });
// the plain build, and the relaxed-SIMD (FMA) one the loader prefers where the host accepts it
for (const [out, extra] of [['kernels.wasm', []], ['kernels-relaxed.wasm', ['--enable', 'relaxed-simd']]]) {
  const r = await asc.main([`${root}assembly/index.ts`, '--config', `${root}asconfig.json`, ...extra, '--outFile', `${root}wasm/${out}`]);
  if (r.error) {
    console.error(r.stderr.toString());
    process.exit(1);
  }
}
