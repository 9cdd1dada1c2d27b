// Cross-layer weight equalization (`--we`, spec §9.1; TPU-MLIR's MixPrecSearcher.weight_equalization).
// For a Conv A whose output reaches exactly one Conv C (directly, or through a Relu/PRelu), output
// channel j of A is divided by s_j and the matching input channel of C multiplied by it, with
// s_j = sqrt(r1/r2) equalising the channel ranges r1 = max|W_A[j]| and r2 = max|W_C[:, j]|.
// Arithmetic is float32 like numpy's on the npz arrays; the input module is never modified.
import type { Module, NdArray, Op, Value } from '@tpu-quant/ir';
import { bf16BitsToNumber, f16BitsToNumber, ndarray, top } from '@tpu-quant/ir';

export interface EqualizationPair {
  /** The first conv (A) and its single successor conv (C), by op name. */
  readonly first: string;
  readonly second: string;
  /** G = out_channels(A) / in_channels_per_group(C). */
  readonly groups: number;
  /** TPU-MLIR's `Iter:` count when the pair converged (the last computed update is not applied). */
  readonly iterations: number;
}

export interface EqualizationResult {
  /**
   * Every entry of `module.weights`: the equalized filters and biases as new f32 arrays (stored
   * shapes kept), every other weight the module's own array.
   */
  readonly weights: Map<string, NdArray>;
  readonly pairs: EqualizationPair[];
}

const CONVERGED = 1e-4;
const RANGE_FLOOR = 1e-6;
/** TPU-MLIR loops until convergence; float32 rounding can in principle keep a pair moving forever. */
const MAX_ITERATIONS = 1000;

/** The (A, C) conv pairs TPU-MLIR's `find_successor` forms, in op order of A. */
export function findEqualizationPairs(module: Module): { first: Op; second: Op }[] {
  const pairs: { first: Op; second: Op }[] = [];
  for (const op of module.main.ops) {
    if (op.type !== 'top.Conv' || !weightOp(op, 1) || clipsAtLimit(op)) continue;
    const succ = successorConvs(op);
    if (succ.length === 1 && weightOp(succ[0]!, 1)) pairs.push({ first: op, second: succ[0]! });
  }
  return pairs;
}

/**
 * Every consumer of A must be a Conv, or a Relu/PRelu whose consumers are all Convs; otherwise
 * none. A model output (func.return) counts as a non-conv consumer, so outputs keep their values;
 * a conv reading A anywhere but its input operand does too.
 */
function successorConvs(a: Op): Op[] {
  const out: Op[] = [];
  for (const { op, index } of usersOf(a.result())) {
    if ((op.type === 'top.Relu' || op.type === 'top.PRelu') && index === 0) {
      if (clipsAtLimit(op)) return [];
      for (const u of usersOf(op.result())) {
        if (u.op.type !== 'top.Conv' || u.index !== 0) return [];
        out.push(u.op);
      }
    } else if (op.type === 'top.Conv' && index === 0) {
      out.push(op);
    } else {
      return [];
    }
  }
  return out;
}

/**
 * A bounded ReLU (ReLU6: `relu_limit` > 0, fused into the conv or as its own op) is not
 * scale-equivariant: min(x/s, 6) != min(x, 6)/s. TPU-MLIR equalizes across it anyway and changes
 * what the float model computes (most of mobilenet_v2's pairs); we leave such pairs alone — a
 * quirk we fix deliberately.
 */
function clipsAtLimit(op: Op): boolean {
  if (op.type === 'top.Relu') return top.reluAttrs(op).relu_limit > 0;
  if (op.type === 'top.Conv') {
    const a = top.convAttrs(op);
    return a.do_relu && a.relu_limit > 0;
  }
  return false;
}

/** Consuming ops, each once (as TPU-MLIR's get_next_op_by_op_name lists them), with the first operand index. */
function usersOf(v: Value): { op: Op; index: number }[] {
  const seen = new Map<Op, number>();
  for (const u of v.uses) if (!seen.has(u.op)) seen.set(u.op, u.index);
  return [...seen].map(([op, index]) => ({ op, index }));
}

/** Operand `i` of `op` when a top.Weight produces it. */
function weightOp(op: Op, i: number): Op | undefined {
  const p = op.operands[i]?.producer;
  return p?.type === 'top.Weight' ? p : undefined;
}

export function equalizeWeights(module: Module, log?: (line: string) => void): EqualizationResult {
  const updated = new Map<string, Float32Array>();
  const current = (name: string): Float32Array => {
    const got = updated.get(name);
    if (got) return got;
    const w = module.weights.get(name);
    if (!w) throw new Error(`weight equalization: weight "${name}" is not loaded (module.weights = await loadNpz(...))`);
    return asF32(w);
  };
  const pairs: EqualizationPair[] = [];
  for (const { first, second } of findEqualizationPairs(module)) {
    const wa = weightOp(first, 1)!;
    const wc = weightOp(second, 1)!;
    const ba = weightOp(first, 2);
    const shapeA = tensorShape(wa);
    const shapeC = tensorShape(wc);
    const outA = shapeA[0] ?? 0;
    const outC = shapeC[0] ?? 0;
    const icpg = shapeC[1] ?? 0;
    const groups = icpg > 0 ? Math.floor(outA / icpg) : 0;
    // well-formed pairs always divide evenly; TPU-MLIR would index out of range otherwise
    if (groups === 0 || outA % icpg !== 0 || outC % groups !== 0) continue;
    const [na, nc, nb] = [wa.name!, wc.name!, ba?.name];
    let iter = 1;
    for (;;) {
      log?.(`Cross Layer WE: ${first.name ?? '?'} --- ${second.name ?? '?'} Groups: ${groups} Iter: ${iter}`);
      const a = current(na);
      const c = current(nc);
      const b = nb === undefined ? undefined : current(nb);
      const step = equalizeOnce(a, c, b, outA, outC, icpg, groups);
      const loss = l2Diff(a, step.a) + l2Diff(c, step.c);
      log?.(`>>>loss:${loss}`);
      // checked before saving: the update that converged is dropped, as in TPU-MLIR
      if (loss < CONVERGED || iter >= MAX_ITERATIONS) break;
      iter++;
      updated.set(na, step.a);
      updated.set(nc, step.c);
      if (nb !== undefined && step.b) updated.set(nb, step.b);
    }
    pairs.push({ first: first.name ?? '', second: second.name ?? '', groups, iterations: iter });
  }
  const weights = new Map(module.weights);
  for (const [name, data] of updated) weights.set(name, ndarray('f32', module.weights.get(name)!.shape, data));
  return { weights, pairs };
}

/** One equalization step on copies: per group g and channel j < icpg, s = r1 / sqrt(r1·r2). */
function equalizeOnce(
  a: Float32Array, c: Float32Array, b: Float32Array | undefined,
  outA: number, outC: number, icpg: number, groups: number,
): { a: Float32Array; c: Float32Array; b: Float32Array | undefined } {
  const na = a.slice();
  const nc = c.slice();
  const nb = b?.slice();
  const rowA = a.length / outA;
  const k = c.length / (outC * icpg);
  const ci = outA / groups;
  const co = outC / groups;
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < icpg; j++) {
      const ch = g * ci + j;
      let r1 = 0;
      for (let t = ch * rowA; t < (ch + 1) * rowA; t++) r1 = Math.max(r1, Math.abs(a[t]!));
      let r2 = 0;
      for (let o = g * co; o < (g + 1) * co; o++) {
        const base = (o * icpg + j) * k;
        for (let t = base; t < base + k; t++) r2 = Math.max(r2, Math.abs(c[t]!));
      }
      const s = channelScale(r1, r2);
      if (s === 1) continue;
      for (let t = ch * rowA; t < (ch + 1) * rowA; t++) na[t] = a[t]! / s;
      for (let o = g * co; o < (g + 1) * co; o++) {
        const base = (o * icpg + j) * k;
        for (let t = base; t < base + k; t++) nc[t] = c[t]! * s;
      }
      if (nb && b) nb[ch] = b[ch]! / s;
    }
  }
  return { a: na, c: nc, b: nb };
}

/** s = r1 / sqrt(r1·r2) in float32 (numpy float32 scalars); ranges under 1e-6 count as 0; NaN/inf → 1. */
export function channelScale(r1: number, r2: number): number {
  const x = r1 < RANGE_FLOOR ? 0 : r1;
  const y = r2 < RANGE_FLOOR ? 0 : r2;
  const s = Math.fround(x / Math.fround(Math.sqrt(Math.fround(x * y))));
  return Number.isFinite(s) ? s : 1;
}

/** ‖x − y‖₂ with float32 differences. */
function l2Diff(x: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.fround(x[i]! - y[i]!);
    s += d * d;
  }
  return Math.sqrt(s);
}

function tensorShape(op: Op): readonly number[] {
  const t = op.result().type;
  return t.kind === 'tensor' ? t.shape : [];
}

function asF32(w: NdArray): Float32Array {
  switch (w.dtype) {
    case 'f32': return w.data as Float32Array;
    case 'f16': return Float32Array.from(w.data as Uint16Array, f16BitsToNumber);
    case 'bf16': return Float32Array.from(w.data as Uint16Array, bf16BitsToNumber);
    default: return Float32Array.from(w.data as ArrayLike<number | bigint>, Number);
  }
}
