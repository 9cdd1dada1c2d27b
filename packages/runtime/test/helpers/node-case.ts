// Access to the ONNX backend node tests in ../shared/assets (skipped when absent).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NdArray } from '@tpu-quant/ir';
import { readTensorProto } from './tensor-proto.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
export const NODE_DIR = join(ASSETS, 'onnx-node-tests', 'node');
export const haveNodeTests = existsSync(NODE_DIR);

export interface NodeCase {
  inputs: NdArray<'f32'>[];
  outputs: NdArray<'f32'>[];
}

export function loadCase(name: string): NodeCase {
  const dir = join(NODE_DIR, name, 'test_data_set_0');
  const files = readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return {
    inputs: files.filter((f) => f.startsWith('input_')).map((f) => readTensorProto(join(dir, f))),
    outputs: files.filter((f) => f.startsWith('output_')).map((f) => readTensorProto(join(dir, f))),
  };
}
