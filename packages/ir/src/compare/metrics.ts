// Similarity metrics of TPU-MLIR's tensor_compare.py with numpy 1.x semantics (TPU-MLIR's
// environment): elementwise work and np.sum stay in the tensors' dtype, float32 np.sum is
// numpy's pairwise summation (reproduced exactly in pairwiseSumF32), and a float32 scalar meeting a
// Python number becomes a float64. np.dot / np.linalg.norm go through BLAS, whose summation
// order we cannot know: there we accumulate in float64 and round to float32.
// Integer tensors (int32, or int8 with --int8_tensor_close 0) wrap on overflow as numpy does.

/** The dtype both tensors were aligned to before comparing (npz_compare.align_type_and_shape). */
export type AlignedKind = 'f32' | 'i32' | 'i8';

const f32 = Math.fround;

/** Wraps to the aligned dtype, as numpy's elementwise integer ops do. */
function wrap(v: number, kind: AlignedKind): number {
  if (kind === 'i8') return (v << 24) >> 24;
  if (kind === 'i32') return v | 0;
  return f32(v);
}

/**
 * np.sum of a contiguous float32 array: blocks of up to 128 summed with 8 accumulators, larger
 * runs split in halves (rounded down to a multiple of 8), every addition in float32.
 */
export function pairwiseSumF32(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s = f32(s + a[start + i]!);
    return s;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => f32(a[start + j]!));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j]! + a[start + i + j]!);
    let s = f32(f32(f32(r[0]! + r[1]!) + f32(r[2]! + r[3]!)) + f32(f32(r[4]! + r[5]!) + f32(r[6]! + r[7]!)));
    for (; i < n; i++) s = f32(s + a[start + i]!);
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, start, n2) + pairwiseSumF32(a, start + n2, n - n2));
}

/** np.sum in the aligned dtype: float32 pairwise, integers exactly (numpy sums them in int64). */
function npSum(a: ArrayLike<number>, kind: AlignedKind): number {
  if (kind === 'f32') return f32(0 + pairwiseSumF32(a));
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function map(a: ArrayLike<number>, fn: (v: number, i: number) => number, float: boolean): Float64Array | Float32Array {
  const out = float ? new Float32Array(a.length) : new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = fn(a[i]!, i);
  return out;
}

/**
 * Cosine similarity `1 - (1 - dot(a,b)/(|a|·|b|))`: the quotient in float32, the two
 * subtractions in float64 (a float32 scalar meeting Python's 1); 0 when a is all zeros or b
 * has no non-zero element (TPU-MLIR's guard against dividing by zero).
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>, kind: AlignedKind = 'f32'): number {
  let absA = 0;
  let nonzeroB = 0;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = f32(a[i]!);
    const y = f32(b[i]!);
    // np.abs of int8 -128 stays -128, and the sum sees it.
    absA += kind === 'i8' ? wrap(Math.abs(a[i]!), 'i8') : Math.abs(a[i]!);
    if (b[i] !== 0) nonzeroB++;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (absA === 0 || nonzeroB === 0) return 0;
  const norms = f32(f32(Math.sqrt(f32(aa))) * f32(Math.sqrt(f32(bb))));
  const cos = f32(f32(dot) / norms);
  return 1 - (1 - cos);
}

/**
 * Euclidean similarity `1 - |a - b| / (|(a + b) / 2| + 1e-7)`, 0 when a norm overflows (float32
 * sums can reach inf). The norms are Python floats (math.sqrt), so the result is a float64.
 */
export function euclideanSimilarity(a: ArrayLike<number>, b: ArrayLike<number>, kind: AlignedKind = 'f32'): number {
  const isF = kind === 'f32';
  // np.power(x - y, 2) in the aligned dtype; (a + b) / 2 is float32 for float32, float64 for ints.
  const d2 = map(a, (v, i) => (isF ? f32(f32(v - b[i]!) ** 2) : wrap(Math.imul(wrap(v - b[i]!, kind), wrap(v - b[i]!, kind)), kind)), isF);
  const m2 = map(a, (v, i) => {
    const m = isF ? f32(f32(v + b[i]!) / 2) : wrap(v + b[i]!, kind) / 2;
    return isF ? f32(m * m) : m * m;
  }, isF);
  const ed = Math.sqrt(npSum(d2, kind));
  const sr = Math.sqrt(isF ? npSum(m2, 'f32') : plainSum(m2)) + 1e-7;
  if (!Number.isFinite(ed) || !Number.isFinite(sr)) return 0;
  return 1 - ed / sr;
}

/**
 * Signal-to-quantization-noise ratio in dB of `raw` (the target) against `dequant` (the
 * reference): 10·log10(Σ(raw − mean)² / Σ(noise − mean noise)²), +inf when either sum is 0.
 * Not symmetric.
 */
export function sqnr(raw: ArrayLike<number>, dequant: ArrayLike<number>, kind: AlignedKind = 'f32'): number {
  const n = raw.length;
  const isF = kind === 'f32';
  const noise = map(raw, (v, i) => wrap(v - dequant[i]!, kind), isF);
  // The means are float64 (float32 sum / Python int); subtracting one from a float32 array
  // rounds it to float32 first (numpy 1.x value-based casting).
  const avgRaw = npSum(raw, kind) / n;
  const avgNoise = npSum(noise, kind) / n;
  const sq = (arr: ArrayLike<number>, avg: number) =>
    isF ? map(arr, (v) => f32(f32(v - f32(avg)) ** 2), true) : map(arr, (v) => (v - avg) ** 2, false);
  const varRaw = isF ? npSum(sq(raw, avgRaw), 'f32') : plainSum(sq(raw, avgRaw));
  const varNoise = isF ? npSum(sq(noise, avgNoise), 'f32') : plainSum(sq(noise, avgNoise));
  if (varNoise === 0 || varRaw === 0) return Infinity;
  return isF ? 10 * f32(Math.log10(f32(varRaw / varNoise))) : 10 * Math.log10(varRaw / varNoise);
}

function plainSum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
