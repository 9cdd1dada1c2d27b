// `pnpm build` step: compiles the AssemblyScript kernels to wasm/kernels.wasm before tsc runs.
// The runtime's loader (src/kernels/wasm/loader.ts) does the same lazily when the file is
// missing or older than assembly/, so tests work from a fresh clone without this step.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(`${root}wasm`, { recursive: true });
const r = await asc.main([`${root}assembly/index.ts`, '--config', `${root}asconfig.json`, '--outFile', `${root}wasm/kernels.wasm`]);
if (r.error) {
  console.error(r.stderr.toString());
  process.exit(1);
}
