// One inference for the sample programs: the f32 input converted as a model runner feeds the
// model (int8 codes / f16 when model_deploy --quant_input kept them; a fused model's uint8 pixels as they are), the outputs as f32
// (quantized or f16 outputs of --quant_output dequantized), in the order @main returns them.
import { modelInputs } from '@tpu-quant/chip-bm168x';
import { dequantizeAll, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';

export interface Output {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export async function runOnce(module: Module, inputName: string, tensor: NdArray): Promise<Output[]> {
  const session = await createSession(module);
  let outputs: Map<string, NdArray>;
  try {
    ({ outputs } = await session.run(modelInputs(module, new Map([[inputName, tensor]]))));
  } finally {
    await session.dispose();
  }
  const f32 = dequantizeAll(module, outputs);
  return module.main.outputs.map((v, i) => {
    const name = v.name ?? `output${i}`;
    const a = f32.get(name) ?? [...f32.values()][i]!;
    const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, (x) => Number(x)); // Number(): i64 outputs hold bigints
    return { name, shape: a.shape, data };
  });
}
