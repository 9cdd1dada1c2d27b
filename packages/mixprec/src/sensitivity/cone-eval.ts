// One mixed model scored against the float reference by running only what differs from a cached
// model (calibration spec §6.1 steps 6 and 8, done the way run_qtable does it): the ops whose
// lowering differs from the cached model's (changedOps) and everything downstream of them run with
// session.runFrom; every other tensor is read from the cache. The cone's outputs are the full
// run's outputs (test sensitivity.cone-equals-full-run).
import type { Module, NdArray, TensorType } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import type { CompareLayers } from '../run-qtable/compare-layers.js';
import { changedOps, ModelCache, runAll, typesOf } from '../run-qtable/model-state.js';
import { weightedCos } from '../run-qtable/similarity.js';
import { packTensor, unpackTensor } from '../run-qtable/tensor-store.js';

export interface ConeScore {
  /** Mean over samples of the rate-weighted cos01 of the compared tensors. */
  readonly cos: number;
  /** Each sample's rate-weighted cos01, in sample order (`cos` is their mean, summed in this order). */
  readonly perSample: number[];
  /** Ops the cone starts from. */
  readonly roots: number;
  readonly sessionMs: number;
  readonly runMs: number;
  /** Per sample, the compared tensors as f32 (the order of `comparedNames`). */
  readonly tensors?: NdArray[][];
}

/** The tensors a search compares: the compare layers, else the function's outputs. */
export function comparedNames(module: Module, compare: CompareLayers | undefined): string[] {
  return compare ? [...compare.names] : module.main.outputs.map((v) => v.name ?? '');
}

/** A tensor as f32 the way the cache reads it back (8-bit codes dequantized, 16-bit floats rounded). */
export function asF32(a: NdArray, type: TensorType | undefined): NdArray {
  return unpackTensor(packTensor(a, type), type);
}

export async function coneScore(
  model: Module,
  base: ModelCache,
  reference: readonly (readonly NdArray[])[],
  o: { readonly compare?: CompareLayers; readonly keep?: boolean },
): Promise<ConeScore> {
  const t0 = performance.now();
  const roots = changedOps(model, base.sigs);
  const names = comparedNames(model, o.compare);
  const types = typesOf(model);
  const session = await createSession(model);
  const t1 = performance.now();
  const perSample: number[] = [];
  const kept: NdArray[][] = [];
  try {
    for (let s = 0; s < reference.length; s++) {
      const cached = base.acts[s]!;
      const r = roots.length > 0 ? await session.runFrom(roots, cached, { capture: names }) : undefined;
      const test = names.map((n) => {
        const a = r?.tensors.get(n) ?? r?.outputs.get(n) ?? cached.get(n);
        if (!a) throw new Error(`sensitivity search: no tensor ${n} in sample ${s}`);
        return asF32(a, types.get(n) ?? base.types.get(n));
      });
      if (o.keep) kept.push(test);
      perSample.push(weightedCos(test, reference[s]!, o.compare?.rates));
    }
  } finally {
    await session.dispose();
  }
  let cos = 0;
  for (const c of perSample) cos += c;
  return { cos: cos / reference.length, perSample, roots: roots.length, sessionMs: t1 - t0, runMs: performance.now() - t1, ...(o.keep ? { tensors: kept } : {}) };
}

/** Every sample through `model` keeping only `names` (the float reference), as f32. */
export async function runCompared(model: Module, samples: readonly ReadonlyMap<string, NdArray>[], names: readonly string[], onSample?: () => void): Promise<NdArray[][]> {
  const session = await createSession(model);
  const types = typesOf(model);
  try {
    const out: NdArray[][] = [];
    for (const inputs of samples) {
      const r = await session.run(new Map(inputs), { capture: names });
      out.push(names.map((n) => {
        const a = r.tensors.get(n) ?? r.outputs.get(n);
        if (!a) throw new Error(`sensitivity search: the float reference has no tensor ${n}`);
        return asF32(a, types.get(n));
      }));
      onSample?.();
    }
    return out;
  } finally {
    await session.dispose();
  }
}

/** Every sample through `model` once, all activations cached (the base a cone run reads). */
export async function cachedRun(model: Module, samples: readonly ReadonlyMap<string, NdArray>[]): Promise<ModelCache> {
  return new ModelCache(model, await runAll(model, samples));
}
