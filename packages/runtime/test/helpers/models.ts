// Real modules for session tests: examples/tiny_conv (in the repo) and a small ImageNet model from
// ../shared/assets (TPUQ_ASSETS overrides the path; tests skip without it).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Module, NdArray } from '@tpu-quant/ir';
import { loadNpz, parseMlir } from '@tpu-quant/ir';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';

const EX = resolve(import.meta.dirname, '../../../../examples/tiny_conv');
const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
export const MOBILENET = resolve(ASSETS, 'models/imagenet/mobilenet_v1_0.25_128.qat-dequant.onnx');
export const HAVE_MOBILENET = existsSync(MOBILENET);

export async function tinyConv(): Promise<Module> {
  const m = parseMlir(await readFile(resolve(EX, 'tiny_conv.mlir'), 'utf8'), 'tiny_conv.mlir');
  m.weights = await loadNpz(resolve(EX, 'tiny_conv_top_f32_all_weight.npz'));
  return m;
}

let mobilenet: Promise<Module> | undefined;
/** MobileNetV1 0.25 at 128x128, imported once per test file. */
export function mobilenetV1(): Promise<Module> {
  mobilenet ??= importOnnxFile(MOBILENET, { modelName: 'mobilenet_v1' });
  return mobilenet;
}

export function sameData(a: NdArray | undefined, b: NdArray | undefined): boolean {
  if (!a || !b || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

export function checksum(a: NdArray): number {
  let s = 0;
  const d = a.data as Float32Array;
  for (let i = 0; i < d.length; i++) s += d[i]! * ((i % 7) + 1);
  return s;
}
