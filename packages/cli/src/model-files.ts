// Loading the files TPU-MLIR's tools pass around: a .mlir with its weight npz, and model inputs
// given as an image, a .npy or a .npz.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { preprocessFromInputOp, preprocessImage } from '@tpu-quant/calib';
import {
  loadNpy, loadNpz, parseMlir, UserError, type Module, type NdArray, type Op, type ReadNpzOptions, type TensorType,
} from '@tpu-quant/ir';

const IMAGE_EXTS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

/** Parses `path` and loads the weight npz its `module.weight_file` names. */
export async function loadMlirModule(path: string): Promise<Module> {
  const module = parseMlir(await readFile(path, 'utf8'), path);
  const attr = module.attrs.get('module.weight_file');
  const hasWeights = [...module.allOps()].some((op) => op.type === 'top.Weight');
  if (attr?.kind === 'string' && hasWeights) module.weights = await loadNpz(resolveWeightFile(attr.value, path), weightReadOptions(module));
  return module;
}

/**
 * npz has no bfloat16: TPU-MLIR (and we) store bf16 weights as uint16 bits. The module's
 * top.Weight types say which arrays are bf16, so read those as bf16 (else their bits would be
 * taken for integers).
 */
export function weightReadOptions(module: Module): ReadNpzOptions {
  const bf16 = new Set<string>();
  for (const op of module.allOps()) {
    const t = op.type === 'top.Weight' ? op.results[0]?.type : undefined;
    if (op.name !== undefined && t?.kind === 'tensor' && t.element.kind === 'float' && t.element.name === 'bf16') bf16.add(op.name);
  }
  return { u16As: (name) => (bf16.has(name) ? 'bf16' : 'u16') };
}

/**
 * TPU-MLIR stores the weight file name relative to its working directory; we write it beside
 * the .mlir. Look there first, then in the current directory.
 */
export function resolveWeightFile(name: string, mlirPath: string): string {
  if (isAbsolute(name)) return name;
  const beside = join(dirname(mlirPath), name);
  if (existsSync(beside)) return beside;
  if (existsSync(name)) return name;
  throw new UserError('E_WEIGHT_FILE', `weight file ${name} named by ${mlirPath} was not found`, `put it beside the .mlir (looked in ${dirname(mlirPath)} and the current directory)`);
}

/** The `top.Input` ops of the main function, in argument order. */
export function inputOps(module: Module): Op[] {
  return module.main.ops.filter((op) => op.type === 'top.Input');
}

/**
 * Builds the network inputs from `--test_input` files: images are preprocessed as the
 * top.Input op says; a .npy feeds a single-input model; a .npz is keyed by input name.
 */
export async function loadTestInputs(files: readonly string[], module: Module): Promise<Map<string, NdArray>> {
  const ops = inputOps(module);
  const inputs = new Map<string, NdArray>();
  if (files.length === 1 && extname(files[0]!).toLowerCase() === '.npz') {
    const npz = await loadNpz(files[0]!);
    for (const op of ops) {
      const a = npz.get(op.name ?? '');
      if (!a) throw new UserError('E_INPUT', `${files[0]} has no array for input "${op.name}"`, `it holds: ${[...npz.keys()].join(', ')}`);
      inputs.set(op.name!, a);
    }
    return inputs;
  }
  if (files.length !== ops.length) {
    throw new UserError('E_INPUT', `the model has ${ops.length} inputs but ${files.length} test inputs were given`, 'give one file per input, or one .npz keyed by input name');
  }
  for (let i = 0; i < ops.length; i++) {
    const file = files[i]!;
    const op = ops[i]!;
    const shape = (op.result().type as TensorType).shape;
    const ext = extname(file).toLowerCase();
    let a: NdArray;
    if (IMAGE_EXTS.has(ext)) a = await preprocessImage(file, preprocessFromInputOp(op), shape);
    else if (ext === '.npy') a = await loadNpy(file);
    else throw new UserError('E_INPUT', `cannot use ${file} as a test input`, 'use an image (jpg, png, bmp, webp), a .npy or a .npz');
    inputs.set(op.name!, a);
  }
  return inputs;
}
