// quantizeConvBM1684X remembered per filter array. The mixed-precision searches lower the same top
// module again for every candidate (a fresh parse sharing the top module's weight arrays), and a
// Conv whose filter, bias and scales did not change quantizes to the same numbers: about half of
// such a lowering's time was this (per-channel absmax, int8 codes, the multiplier search).
//
// Bounded: entries hang off the filter array (a WeakMap: gone with the top module), a few per array.
// Exact: an entry is used only when the scales match and the filter's and bias' contents hash to
// what they were (a weight array changed in place misses); callers get copies of the arrays, so
// nothing one lowering does to its weights can reach another.
import { quantizeConvBM1684X, type ConvQuantBM1684X, type ConvQuantInput } from '../quant/conv-weights.js';

interface Entry {
  readonly key: string;
  readonly bias: unknown;
  readonly q: ConvQuantBM1684X;
}

/** Entries kept per filter array (one per distinct input / output scale seen). */
export const ENTRIES_PER_FILTER = 4;

const memo = new WeakMap<object, Entry[]>();

/** Two 32-bit FNV-1a style hashes of the bytes (as 32-bit words) of a typed array. */
function contentHash(a: ArrayLike<number> | undefined): string {
  if (a === undefined) return '-';
  if (!(a instanceof Float32Array)) return `n${Array.prototype.join.call(a, ',')}`;
  const w = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h1 = 0x811c9dc5, h2 = 0x9747b28c;
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!;
    h1 = Math.imul(h1 ^ x, 16777619);
    h2 = Math.imul(h2 ^ (x + i), 2246822519) ^ (h2 >>> 15);
  }
  return `${a.length}:${h1 >>> 0}:${h2 >>> 0}`;
}

function copy(q: ConvQuantBM1684X): ConvQuantBM1684X {
  return { ...q, filter: q.filter.slice(), bias: q.bias?.slice(), weightScales: [...q.weightScales], multipliers: [...q.multipliers], rshifts: [...q.rshifts] };
}

/** quantizeConvBM1684X(p), from the memo when this filter array was quantized alike before. */
export function quantizeConvMemo(p: ConvQuantInput): ConvQuantBM1684X {
  const f = p.filter;
  if (!(f instanceof Float32Array)) return quantizeConvBM1684X(p);
  const key = [p.oc, p.inScale, p.inZeroPoint ?? 0, p.outScale, p.weightScales?.join(',') ?? '-', contentHash(f), contentHash(p.bias)].join('|');
  const list = memo.get(f) ?? [];
  const hit = list.find((e) => e.key === key && e.bias === p.bias);
  if (hit) return copy(hit.q);
  const q = quantizeConvBM1684X(p);
  list.push({ key, bias: p.bias, q: copy(q) });
  if (list.length > ENTRIES_PER_FILTER) list.shift();
  memo.set(f, list);
  return q;
}
