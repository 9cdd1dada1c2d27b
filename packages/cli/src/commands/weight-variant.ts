// A model with new weights written beside the calibration table, never over the input: TPU-MLIR's
// --we and --bc overwrite the mlir's weight npz in place (spec §9.1-9.2, quirk 12); we write
// `<name>_<tag>_weight.npz` and `<name>_<tag>.mlir` pointing at it, and point `module` at them.
import { join } from 'node:path';
import { atomicWriteFile, printMlir, saveNpz, stringAttr, type Module, type NdArray } from '@tpu-quant/ir';
import { assertNotInput } from '../flags.js';
import { resolveWeightFile } from '../model-files.js';

export async function writeWeightVariant(
  module: Module,
  weights: Map<string, NdArray>,
  o: { readonly mlirFile: string; readonly outDir: string; readonly name: string; readonly tag: string },
): Promise<{ mlir: string; npz: string }> {
  const npzName = `${o.name}_${o.tag}_weight.npz`;
  const npz = join(o.outDir, npzName);
  const mlir = join(o.outDir, `${o.name}_${o.tag}.mlir`);
  const weightFile = module.attrs.get('module.weight_file');
  const inputs = [o.mlirFile, ...(weightFile?.kind === 'string' ? [resolveWeightFile(weightFile.value, o.mlirFile)] : [])];
  assertNotInput(mlir, inputs, `${o.tag} output`);
  assertNotInput(npz, inputs, `${o.tag} weights`);
  await saveNpz(npz, weights);
  module.attrs.set('module.weight_file', stringAttr(npzName));
  module.weights = weights;
  await atomicWriteFile(mlir, printMlir(module));
  return { mlir, npz };
}
