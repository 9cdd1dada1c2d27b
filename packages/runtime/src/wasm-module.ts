// An AssemblyScript module that ships prebuilt and rebuilds itself: `pnpm build` compiles it
// ahead of time (each package's scripts/build-wasm.mjs); a fresh clone or edited sources get it
// compiled here on first use, through asc's JS API, and cached where the build puts it.
// Used by the runtime's kernels (src/kernels/wasm/loader.ts) and calib's statistics kernels.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface AssemblyScriptModule {
  /** The package root, holding asconfig.json. */
  readonly root: string;
  /** The entry file, relative to root (`assembly/index.ts`); every .ts beside it is a source. */
  readonly entry: string;
  /** The .wasm, relative to root (`wasm/kernels.wasm`) or absolute. */
  readonly outFile: string;
  /** More asc arguments (`['--enable', 'relaxed-simd']`). */
  readonly extraArgs?: readonly string[];
  /** Imports to instantiate with; by default `env.abort`, which throws. */
  readonly imports?: object;
}

// lib ES2023 and @types/node 20 do not declare WebAssembly; the little used here, typed locally
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** True when the .wasm is missing or older than any source beside the entry (or asconfig.json). */
export function assemblyScriptIsStale(m: AssemblyScriptModule): boolean {
  const built = mtime(resolve(m.root, m.outFile));
  if (built < 0) return true;
  const dir = dirname(resolve(m.root, m.entry));
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  return [...sources, join(m.root, 'asconfig.json')].some((f) => mtime(f) > built);
}

/** Compiles the entry with the root's asconfig.json. Writes a temp file and renames it, so
 * parallel processes compiling at once never see a half-written module. */
export async function compileAssemblyScript(m: AssemblyScriptModule): Promise<void> {
  const out = resolve(m.root, m.outFile);
  let asc: { main(argv: string[], opts?: object): Promise<{ error: Error | null; stderr: { toString(): string } }> };
  try {
    asc = (await import('assemblyscript/asc')).default as unknown as typeof asc;
  } catch (e) {
    throw new Error(`${out} is missing or stale and assemblyscript is not installed to rebuild it (${(e as Error).message}); run \`pnpm build\``);
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const r = await asc.main([resolve(m.root, m.entry), '--config', join(m.root, 'asconfig.json'), ...(m.extraArgs ?? []), '--outFile', tmp]);
  if (r.error) throw new Error(`compiling ${m.entry} to ${out} failed: ${r.error.message}\n${r.stderr.toString()}`);
  renameSync(tmp, out);
}

/** The module's bytes, compiled first when missing or stale. */
export async function assemblyScriptBytes(m: AssemblyScriptModule): Promise<Uint8Array> {
  if (assemblyScriptIsStale(m)) await compileAssemblyScript(m);
  return readFile(resolve(m.root, m.outFile));
}

/** Builds the module when needed and instantiates it; resolves to its exports. */
export async function loadAssemblyScriptModule<T>(m: AssemblyScriptModule): Promise<T> {
  const { instance } = await WebAssemblyApi.instantiate(await assemblyScriptBytes(m), m.imports ?? {
    env: { abort: () => { throw new Error('wasm kernel aborted'); } },
  });
  return instance.exports as T;
}
