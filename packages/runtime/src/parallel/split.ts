// Which ops a session with threads > 1 computes across threads, and how. A split op gets up to
// `threads` parts; each part is the same op on a disjoint slice of the output (a Conv's output
// channels, or whole groups of a grouped / depthwise Conv; a MatMul's rows, or its columns when it
// has one row), so every thread runs the unchanged wasm kernel and the result equals the
// one-thread result bit for bit. Only ops whose estimated time is worth the hand-off are split.
import type { Attr, Location, NdArray, Op, Value } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { Plan, Step } from '../plan.js';
import { size } from '../tensor.js';

/**
 * Cost model of the wasm kernels (one core, measured on mobilenet_v2's convs): GEMM convs and
 * MatMul reach ~35 GFLOP/s, depthwise ~8, and reading weights or activations ~10 GB/s.
 */
const GEMM_FLOP_PER_US = 35_000;
const DEPTHWISE_FLOP_PER_US = 8_000;
const BYTES_PER_US = 10_000;
/**
 * The least estimated work per part worth handing to another thread. A hand-off to a spinning
 * worker costs a few µs, but each part also copies its input into its own wasm memory, and a
 * sleeping worker takes ~25 µs to wake (test/parallel-*.test.ts and the bench measure it).
 */
export const MIN_PART_US = 40;

/** The GEMM's register tile (assembly/gemm.ts): parts start on whole panels. */
const MR = 4;
const NR = 8;

/** `count` slices of a flat f32 tensor: slice i starts at offset + i·stride and has `shape`. */
export interface Slice {
  readonly offset: number;
  readonly stride: number;
  readonly shape: readonly number[];
}

/** A part's view of one weight (operand 1 on): a contiguous slice, or (rowLen set) columns. */
export interface WeightSlice {
  readonly name: string;
  readonly shape: readonly number[];
  /** First element; with `rowLen`, the first column of each of shape[0] rows rowLen long. */
  readonly offset: number;
  readonly rowLen?: number;
}

/** One thread's share of a split op; plain data, since it crosses to a worker. */
export interface PartSpec {
  readonly type: string;
  readonly attrs: readonly [string, Attr][];
  readonly loc: Location;
  /** Kernel calls the part makes, one per slice (images, when a Conv's batch is above 1). */
  readonly count: number;
  readonly x: Slice;
  readonly y: Slice;
  /** Operands 1.. (undefined: a None operand). */
  readonly weights: readonly (WeightSlice | undefined)[];
}

export interface SplitOp {
  /** Index in the session's list of split ops (the id workers know it by). */
  readonly index: number;
  readonly op: Op;
  /** Weight names of operands 1.. (undefined: None): the split is used only with these weights. */
  readonly weightNames: readonly (string | undefined)[];
  readonly xShape: readonly number[];
  readonly yShape: readonly number[];
  /** parts[0] runs on the calling thread, parts[i] on worker i - 1. */
  readonly parts: readonly PartSpec[];
  /** Estimated one-thread time (µs), for reports. */
  readonly estimateUs: number;
}

/** The ops of `plan` worth splitting over `threads` threads, and their parts. */
export function planSplits(plan: Plan, weights: ReadonlyMap<string, NdArray>, threads: number): SplitOp[] {
  const out: SplitOp[] = [];
  if (threads < 2) return out;
  for (const step of plan.steps) {
    if (step.constant || step.backend !== 'wasm') continue;
    const s = step.op.type === 'top.Conv' ? convSplit(step, weights, threads)
      : step.op.type === 'top.MatMul' ? matMulSplit(step, weights, threads) : undefined;
    if (s) out.push({ ...s, index: out.length });
  }
  return out;
}

/** The most threads any split op uses. */
export function widest(splits: readonly SplitOp[]): number {
  return splits.reduce((m, s) => Math.max(m, s.parts.length), 1);
}

type Planned = Omit<SplitOp, 'index'>;

const staticShape = (v: Value | undefined): number[] | undefined =>
  v?.type.kind === 'tensor' && v.type.shape.every((d) => d >= 0) ? [...v.type.shape] : undefined;

/** A weight operand's name; undefined for a None operand; null when it is neither (an activation). */
function weightOperand(v: Value | undefined): string | undefined | null {
  const p = v?.producer;
  if (v === undefined || p?.type === 'top.None') return undefined;
  return p?.type === 'top.Weight' && p.name !== undefined ? p.name : null;
}

/** Part i of `parts` covers units [cut(i), cut(i + 1)). */
const cut = (units: number, parts: number) => (i: number): number => Math.round((i * units) / parts);

const partsFor = (estimateUs: number, threads: number, units: number): number =>
  Math.min(threads, units, Math.floor(estimateUs / MIN_PART_US));

function convSplit(step: Step, weights: ReadonlyMap<string, NdArray>, threads: number): Planned | undefined {
  const op = step.op;
  const a = top.convAttrs(op);
  // the wasm kernel's own limits (kernels/wasm/conv.ts)
  if (a.inserts?.some((v) => v !== 0) || (a.kernel_shape.length !== 1 && a.kernel_shape.length !== 2)) return undefined;
  const x = staticShape(op.operands[0]);
  const y = step.outputTypes[0]?.shape;
  if (!x || !y || y.some((d) => d < 0) || x.length !== y.length || x.length !== a.kernel_shape.length + 2) return undefined;
  const fName = weightOperand(op.operands[1]);
  const bName = weightOperand(op.operands[2]);
  if (!fName || bName === null || op.operands.length > 3) return undefined;
  const [n, ic] = x as [number, number];
  const oc = y[1]!;
  const g = a.group;
  const icg = ic / g;
  const ocg = oc / g;
  const taps = size(a.kernel_shape);
  const w = weights.get(fName);
  const b = bName === undefined ? undefined : weights.get(bName);
  if (!w || size(w.shape) !== oc * icg * taps || (bName !== undefined && (!b || size(b.shape) !== oc))) return undefined;
  if (!Number.isInteger(icg) || !Number.isInteger(ocg)) return undefined;

  const inPlane = size(x.slice(2));
  const outPlane = size(y.slice(2));
  const flops = 2 * size(y) * icg * taps;
  const depthwise = g === ic && g === oc;
  const estimateUs = depthwise
    ? flops / DEPTHWISE_FLOP_PER_US
    : Math.max(flops / GEMM_FLOP_PER_US, (4 * size(w.shape)) / BYTES_PER_US) + (4 * size(x)) / BYTES_PER_US;
  // output channels in whole GEMM panels, or whole groups
  const units = g === 1 ? Math.ceil(oc / MR) : g;
  const p = partsFor(estimateUs, threads, units);
  if (p < 2) return undefined;
  const at = cut(units, p);
  const parts: PartSpec[] = [];
  for (let i = 0; i < p; i++) {
    const [u0, u1] = [at(i), at(i + 1)];
    // g = 1: channels [c0, c1) of the one group; else groups [u0, u1), each with its input channels
    const [c0, c1] = g === 1 ? [u0 * MR, Math.min(oc, u1 * MR)] : [u0 * ocg, u1 * ocg];
    const [i0, i1] = g === 1 ? [0, ic] : [u0 * icg, u1 * icg];
    parts.push({
      type: op.type,
      attrs: [...op.attrs].map(([k, v]) => [k, k === 'group' && g > 1 && v.kind === 'int' ? { ...v, value: u1 - u0 } : v]),
      loc: op.loc,
      count: n,
      x: { offset: i0 * inPlane, stride: ic * inPlane, shape: [1, i1 - i0, ...x.slice(2)] },
      y: { offset: c0 * outPlane, stride: oc * outPlane, shape: [1, c1 - c0, ...y.slice(2)] },
      weights: [
        { name: fName, offset: c0 * icg * taps, shape: [c1 - c0, icg, ...a.kernel_shape] },
        bName === undefined ? undefined : { name: bName, offset: c0, shape: [c1 - c0] },
      ],
    });
  }
  return { op, weightNames: [fName, bName], xShape: x, yShape: y, parts, estimateUs };
}

/**
 * MatMul with a constant 2-D right side (FC, projections): rows of the left side in parts of at
 * least MR rows, or, for one row, the right side's columns in whole panels. Parts keep the GEMM
 * path of the whole op (one row runs the GEMV, several the tiled GEMM), hence the equal results.
 */
function matMulSplit(step: Step, weights: ReadonlyMap<string, NdArray>, threads: number): Planned | undefined {
  const op = step.op;
  const at = top.matMulAttrs(op);
  if (at.left_transpose || at.output_transpose || at.hdim_is_batch) return undefined;
  const x = staticShape(op.operands[0]);
  const y = step.outputTypes[0]?.shape;
  const wName = weightOperand(op.operands[1]);
  const bName = weightOperand(op.operands[2]);
  if (!x || !y || !wName || bName === null || op.operands.length > 3) return undefined;
  const w = weights.get(wName);
  if (!w || w.shape.length !== 2) return undefined;
  const rt = at.right_transpose;
  const [kb, n] = rt ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
  const k = x[x.length - 1]!;
  // as the wasm kernel reads it: [.., m, k] x [k, n] per batch, or x flattened to [size / kb, kb]
  let rows: number;
  let rowsPerGemm: number;
  if (kb === k) {
    rows = size(x) / k;
    rowsPerGemm = x.length >= 2 ? x[x.length - 2]! : 1;
  } else if (size(x) % kb === 0) {
    rows = size(x) / kb;
    rowsPerGemm = rows;
  } else return undefined;
  const b = bName === undefined ? undefined : weights.get(bName);
  if ((bName !== undefined && (!b || size(b.shape) !== n)) || size(y) !== rows * n) return undefined;

  const flops = 2 * rows * kb * n;
  const estimateUs = Math.max(flops / GEMM_FLOP_PER_US, (4 * kb * n) / BYTES_PER_US);
  const base = { type: op.type, attrs: [...op.attrs], loc: op.loc, count: 1 };
  const parts: PartSpec[] = [];
  if (rows === 1) {
    // columns in whole panels; the last part takes the rest (never a lone column: that is n = 1's GEMV)
    const units = Math.floor(n / NR);
    const p = partsFor(estimateUs, threads, units);
    if (p < 2) return undefined;
    const c = cut(units, p);
    for (let i = 0; i < p; i++) {
      const [j0, j1] = [c(i) * NR, i === p - 1 ? n : c(i + 1) * NR];
      parts.push({
        ...base,
        x: { offset: 0, stride: 0, shape: [1, kb] },
        y: { offset: j0, stride: 0, shape: [1, j1 - j0] },
        weights: [
          rt ? { name: wName, offset: j0 * kb, shape: [j1 - j0, kb] } : { name: wName, offset: j0, shape: [kb, j1 - j0], rowLen: n },
          bName === undefined ? undefined : { name: bName, offset: j0, shape: [j1 - j0] },
        ],
      });
    }
  } else {
    if (rowsPerGemm < 2) return undefined; // each row its own GEMV: parts of several rows would not be
    const units = Math.floor(rows / MR);
    const p = partsFor(estimateUs, threads, units);
    if (p < 2) return undefined;
    const c = cut(units, p);
    for (let i = 0; i < p; i++) {
      const [r0, r1] = [c(i) * MR, i === p - 1 ? rows : c(i + 1) * MR];
      parts.push({
        ...base,
        x: { offset: r0 * kb, stride: 0, shape: [r1 - r0, kb] },
        y: { offset: r0 * n, stride: 0, shape: [r1 - r0, n] },
        weights: [
          { name: wName, offset: 0, shape: w.shape },
          bName === undefined ? undefined : { name: bName, offset: 0, shape: [n] },
        ],
      });
    }
  }
  return { op, weightNames: [wName, bName], xShape: x, yShape: [...y], parts, estimateUs };
}
