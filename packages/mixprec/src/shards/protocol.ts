// The messages between the sensitivity search and its shard workers (shard-pool.ts, shard-worker.ts).
import type { NdArray } from '@tpu-quant/ir';
import type { WorkerErrorRecord } from '@tpu-quant/runtime';
import type { ScoreStep, StepResult } from '../sensitivity/scorer.js';

/** What a worker gets once: the top module, the chip, its shard's samples, the modules to import first. */
export interface ShardInit {
  /** printMlir of the top module, and its name. */
  readonly mlir: string;
  readonly name: string;
  readonly weights: readonly [string, NdArray][];
  readonly chip: string;
  /** This shard's samples, in order (each one's inputs by name). */
  readonly samples: readonly (readonly [string, NdArray][])[];
  /** Module URLs imported before anything else (e.g. the chip package that registers its targets with ir). */
  readonly setup: readonly string[];
  readonly globalCompareLayers?: string;
}

export interface ShardRequest {
  readonly id: number;
  readonly step: ScoreStep;
}

export type ShardReply =
  | { readonly id: number; readonly kind: 'sample' }
  | { readonly id: number; readonly kind: 'done'; readonly result: StepResult }
  | { readonly id: number; readonly kind: 'error'; readonly error: WorkerErrorRecord };
