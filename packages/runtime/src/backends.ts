// Backend selection. A session asks for a backend; each op then runs on that backend's kernel when
// one is registered and handles the op's attributes, else on the js reference kernel, so a
// partial backend is always usable and `kernelReport()` says which op ran where.
import type { Op } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import type { Backend, Kernel } from './registry.js';
import { getKernel } from './registry.js';

/** js and wasm run op by op (kernels); ort exports the whole module to ONNX for onnxruntime-node (src/ort/). */
export const BACKENDS: readonly Backend[] = ['js', 'wasm', 'ort'];

/** The kernel for `op` on `backend`, falling back to js; undefined when neither has one. */
export function selectKernel(op: Op, backend: Backend): Kernel | undefined {
  if (backend !== 'js') {
    const k = getKernel(op.type, backend);
    if (k && (k.supports?.(op) ?? true)) return k;
  }
  return getKernel(op.type, 'js');
}

let wasmLoading: Promise<Error | undefined> | undefined;
let warned = false;

/**
 * Makes a backend's kernels available before planning and returns the backend the session gets.
 * The wasm kernels live in `kernels/wasm/index` (imported on first use, so js-only sessions never
 * compile wasm); when that module exports `init()`, it is awaited (instantiating the module). When
 * the wasm kernels fail to load, the session runs on js and stderr says so, once per process.
 */
export async function prepareBackend(backend: Backend): Promise<Backend> {
  if (!BACKENDS.includes(backend)) {
    throw new UserError('E_BACKEND', `unknown backend "${String(backend)}"`, `backends: ${BACKENDS.join(', ')}`);
  }
  if (backend === 'ort') {
    // the ort backend has no per-op kernels: createSession hands the module to ort/session.ts
    throw new Error('prepareBackend("ort"): ort sessions are made by createOrtSession');
  }
  if (backend !== 'wasm') return backend;
  wasmLoading ??= loadWasm().then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const failed = await wasmLoading;
  if (!failed) return 'wasm';
  if (!warned) {
    warned = true;
    process.stderr.write(`warning: the wasm backend failed to load (${failed.message.split('\n')[0]}); running on the js backend\n`);
  }
  return 'js';
}

async function loadWasm(): Promise<void> {
  // A computed specifier: the wasm kernels are optional, and the compiler must not require them.
  const spec = './kernels/wasm/index.js';
  const mod = (await import(/* @vite-ignore */ spec)) as { init?: () => unknown };
  if (typeof mod.init === 'function') await mod.init();
}

export interface KernelReport {
  /** The backend the session asked for. */
  readonly backend: Backend;
  /** Op count per backend that runs it (constants excluded). */
  readonly counts: Partial<Record<Backend, number>>;
  /** Op types that fell back to js, with how many ops of each. */
  readonly fallbacks: Map<string, number>;
  /** Every op, in execution order. */
  readonly ops: { name: string; type: string; backend: Backend }[];
}
