// One lowered model over the inference samples, keeping only the compared tensors (the outputs,
// or the --global_compare_layers tensors) as f32: search_threshold compares whole networks, so no
// activation cache is needed (unlike run_qtable's ModelCache).
import { dequantize, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { typesOf } from '../run-qtable/model-state.js';

export async function compareTensors(
  module: Module,
  samples: readonly ReadonlyMap<string, NdArray>[],
  names: readonly string[] | undefined,
  onSample?: () => void,
): Promise<NdArray[][]> {
  const session = await createSession(module);
  const types = typesOf(module);
  const outs = module.main.outputs.map((v) => v.name ?? '');
  try {
    const result: NdArray[][] = [];
    for (const inputs of samples) {
      const r = await session.run(new Map(inputs), names ? { capture: names } : {});
      result.push((names ?? outs).map((n) => {
        const a = r.outputs.get(n) ?? r.tensors.get(n);
        if (!a) throw new Error(`search_threshold: the model did not produce ${n}`);
        return dequantize(a, types.get(n));
      }));
      onSample?.();
    }
    return result;
  } finally {
    await session.dispose();
  }
}
