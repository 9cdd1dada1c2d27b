// Which values need DDR, which share a buffer, and how long each buffer lives (spec deploy.md
// §6.1 "Activations" steps 1-4, `BMAddressAssign::updateLiveRangeofBMOps`).
//
// Ops are numbered in walk order (weights and None included, as upstream numbers every op). A
// value lives [index of its op, index of its last user + 1). In-place results (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity) take no memory of their own: they alias the buffer of the value
// they come from, whose range then covers their users too. Graph inputs, values nobody reads and,
// in io_alone mode, graph outputs are always live. The inputs of a Concat marked only_merge are
// placed inside its output when concat-merge.ts allows it; the buffer then lives from the first
// input's op on.
//
// A fusible Slice (slice-in-place.ts) is an in-place result at a byte offset inside its input's
// buffer (not on BM1684). Pinned values (the IO tensors the tag and reloc modes move) always own
// a buffer: an in-place op producing one, or a mergeable Concat returning one, keeps its copy.
import { isTensor, UserError, type Func, type Module, type Op, type Value } from '@tpu-quant/ir';
import { findMergedConcats } from './concat-merge.js';
import { gmemBytes } from './gmem-bytes.js';
import { fusibleSliceOffset } from './slice-in-place.js';
import { ALWAYS_LIVE_END, type AddrMode } from './plan.js';

/** Ops whose result is its (first) operand's bytes reinterpreted. */
const IN_PLACE = new Set(['tpu.Reshape', 'tpu.Identity', 'top.Reshape', 'top.Flatten', 'top.Squeeze', 'top.Unsqueeze', 'top.Identity']);

/** Ops whose results need no activation memory. */
const NO_MEMORY = new Set(['top.None', 'top.Weight', 'func.return']);

export interface ActivationBuffer {
  /** The value that owns the buffer (not an in-place result). */
  readonly owner: Value;
  readonly bytes: number;
  start: number;
  end: number;
  /** A graph input or (io_alone) output: placed in the IO region in io_alone mode. */
  io: boolean;
  /** In-place results aliasing this buffer, in op order. */
  readonly aliases: Value[];
  /** Byte offset of an alias inside the buffer (merged Concat inputs); 0 when absent. */
  readonly aliasOffset: Map<Value, number>;
}

export interface Liveness {
  /** Activation buffers in op order of their owners. */
  readonly buffers: readonly ActivationBuffer[];
  /** Every value with memory → its buffer (owners and aliases). */
  readonly bufferOf: ReadonlyMap<Value, ActivationBuffer>;
  /** In-place results of a weight: they take the weight's address (plus a fusible Slice's offset). */
  readonly weightAliases: ReadonlyMap<Value, WeightAlias>;
  /** Graph inputs (top.Input results) and outputs, in order. */
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
}

export interface WeightAlias {
  readonly weight: Value;
  readonly offset: number;
}

export interface LivenessOptions {
  readonly addrMode: AddrMode;
  /** BM1684: int8 tensors are stored 4N, a Reshape that changes the batch is a real copy, no Slice is fusible. */
  readonly batch4N: boolean;
  /** Values that must own their buffer (IO tensors moved to tags or relocated). */
  readonly pinned?: ReadonlySet<Value>;
}

/** Byte offset of an in-place op's result inside its operand 0, or undefined for a real copy. */
function inPlaceOffset(op: Op, batch4N: boolean): number | undefined {
  if (op.type === 'tpu.Slice' || op.type === 'top.Slice') return batch4N ? undefined : fusibleSliceOffset(op);
  return isInPlace(op, batch4N) ? 0 : undefined;
}

function isInPlace(op: Op, batch4N: boolean): boolean {
  if (op.type === 'tpu.Slice' || op.type === 'top.Slice') return !batch4N && fusibleSliceOffset(op) !== undefined;
  if (!IN_PLACE.has(op.type) || op.operands.length === 0) return false;
  if (!batch4N) return true;
  const a = op.operand(0).type;
  const b = op.result(0).type;
  if (!isTensor(a) || !isTensor(b)) return false;
  return gmemBytes(a, true) === gmemBytes(b, true) && (a.shape[0] ?? 1) === (b.shape[0] ?? 1);
}

/** The one function; subnet modules (several functions, calls) are not planned yet. */
function onlyFunc(module: Module): Func {
  if (module.funcs.length !== 1 || [...module.allOps()].some((op) => op.type === 'func.call')) {
    throw new UserError('E_UNSUPPORTED', 'address assignment of a module with several functions (subnets) is not available yet', 'deploy a single-function module');
  }
  return module.funcs[0]!;
}

export function computeLiveness(module: Module, opts: LivenessOptions): Liveness {
  const f = onlyFunc(module);
  const index = new Map<Op, number>();
  f.ops.forEach((op, i) => index.set(op, i));
  const bufferOf = new Map<Value, ActivationBuffer>();
  const weightAliases = new Map<Value, WeightAlias>();
  const pinned = opts.pinned ?? new Set<Value>();
  const buffers: ActivationBuffer[] = [];
  const inputs: Value[] = [];
  const merged = findMergedConcats(f, (op) => isInPlace(op, opts.batch4N), opts.batch4N, pinned);

  f.ops.forEach((op, i) => {
    if (NO_MEMORY.has(op.type)) return;
    for (const r of op.results) {
      if (!isTensor(r.type) || merged.has(r)) continue; // a merged input joins its Concat's buffer below
      const at = r.index === 0 && !pinned.has(r) ? inPlaceOffset(op, opts.batch4N) : undefined;
      if (at !== undefined) {
        const src = op.operand(0);
        const owner = bufferOf.get(src);
        if (owner) {
          owner.aliases.push(r);
          owner.aliasOffset.set(r, (owner.aliasOffset.get(src) ?? 0) + at);
          bufferOf.set(r, owner);
          continue;
        }
        const w = src.producer?.type === 'top.Weight' ? { weight: src, offset: 0 } : weightAliases.get(src);
        if (w) {
          weightAliases.set(r, { weight: w.weight, offset: w.offset + at });
          continue;
        }
      }
      const b: ActivationBuffer = { owner: r, bytes: gmemBytes(r.type, opts.batch4N), start: i, end: i + 1, io: false, aliases: [], aliasOffset: new Map() };
      if (op.type === 'tpu.Concat' && merged.get(op.operands[0]!)?.concat === r) {
        for (const v of op.operands) {
          b.aliases.push(v);
          b.aliasOffset.set(v, merged.get(v)!.offset);
          bufferOf.set(v, b);
          b.start = Math.min(b.start, index.get(v.owner as Op)!);
        }
      }
      if (op.type === 'top.Input') {
        b.io = true;
        inputs.push(r);
      }
      buffers.push(b);
      bufferOf.set(r, b);
    }
  });

  // Ends: every (non in-place) reader of the buffer or of one of its aliases.
  for (const b of buffers) {
    for (const v of [b.owner, ...b.aliases]) {
      if (v !== b.owner) b.end = Math.max(b.end, index.get(v.owner as Op)! + 1);
      for (const u of v.uses) {
        // An in-place op making an alias of this buffer: its readers count instead.
        const r0 = u.op.results[0];
        if (u.index === 0 && r0 !== undefined && b.aliases.includes(r0)) continue;
        b.end = Math.max(b.end, index.get(u.op)! + 1);
      }
    }
    if (!b.owner.hasUses || b.io) {
      b.start = 0;
      b.end = ALWAYS_LIVE_END;
    }
  }

  const outputs = [...(f.returnOp?.operands ?? [])];
  // io_alone and io_reloc keep the outputs for the whole run (updateLiveRangeofBMOps).
  if (opts.addrMode === 'io_alone' || opts.addrMode === 'io_reloc') {
    for (const v of outputs) {
      const b = bufferOf.get(v);
      if (!b) continue;
      b.io = true;
      b.start = 0;
      b.end = ALWAYS_LIVE_END;
    }
  }
  return { buffers, bufferOf, weightAliases, inputs, outputs };
}
