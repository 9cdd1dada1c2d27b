// `--part_asymmetric`'s op choice (spec calibration.md §4.8; TPU-MLIR's `choose_asym_op` in
// kld_calibrator.py): every top.SiLU / top.GELU whose consumers are all Conv or MatMul gets an
// asymmetric range. The table's `#asym_op` section lists each such op followed by its consumers,
// which the deployment importer marks `output_asym` / `input_asym`.
//
// As upstream: the walk goes over the tensor list in order, names are MlirParser op names, and a
// SiLU/GELU without consumers (only returned) counts too (Python's all() of nothing is true).
import type { Module } from '@tpu-quant/ir';
import { tensorInfos } from '../stats/tensor-list.js';
import { parserView } from './parser-view.js';

export interface AsymOps {
  /** The SiLU/GELU tensors whose rows take the percentile range (`asym_op`). */
  readonly ops: readonly string[];
  /** What the `#asym_op` section lists: each op, then its consumers (`asym_op1`). */
  readonly listed: readonly string[];
}

const ASYM_TYPES = new Set(['top.SiLU', 'top.GELU']);
const CONSUMER_TYPES = new Set(['top.Conv', 'top.MatMul']);

export function chooseAsymOps(module: Module): AsymOps {
  const view = parserView(module);
  const ops: string[] = [];
  const listed: string[] = [];
  for (const { name } of tensorInfos(module)) {
    if (!ASYM_TYPES.has(view.typeOf(name) ?? '')) continue;
    const next = view.nextOf(name);
    if (!next.every((n) => CONSUMER_TYPES.has(view.typeOf(n) ?? ''))) continue;
    ops.push(name);
    listed.push(name, ...next);
  }
  return { ops, listed };
}
