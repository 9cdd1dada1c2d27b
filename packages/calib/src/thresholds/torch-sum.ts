// The float32 reductions PyTorch 1.13 performs on CPU inside HistogramObserver, reproduced
// operation by operation so that its L2 search makes the same decisions (see torch-observer.ts).

const f = Math.fround;

/**
 * Lanes of `Vectorized<float>` in ATen's AVX2 kernels: what PyTorch 1.13 dispatched to on the
 * (AVX-512 capable) x86-64 machine that produced our fixtures.
 */
const VEC = 8;
/** `row_sum`'s interleave: the vectors are summed as 4 rows (`ilp_factor`). */
const ILP = 4;
const LEVELS = 4;

/** c10's CeilLog2 (1 for x <= 2). */
function ceilLog2(x: number): number {
  if (x <= 2) return 1;
  return Math.ceil(Math.log2(x));
}

/**
 * `torch.sum` of a contiguous float32 vector on CPU (ATen `cascade_sum` → `vectorized_inner_sum`):
 * the vectors of VEC lanes are treated as ILP interleaved rows, each row summed by a 4-level
 * cascade of float32 accumulators (`multi_row_sum`), the rows added, then the scalar tail and the
 * lanes added in order. Holds for fewer than 32768 elements (one thread; PyTorch splits larger
 * reductions across threads).
 */
export function torchSumF32(x: ArrayLike<number>): number {
  const n = x.length;
  const vecCount = Math.floor(n / VEC);
  const rowsLen = Math.floor(vecCount / ILP);

  // acc[level][row][lane]
  const acc = Array.from({ length: LEVELS }, () => Array.from({ length: ILP }, () => new Float32Array(VEC)));
  const levelPower = Math.max(4, Math.floor(ceilLog2(rowsLen) / LEVELS));
  const levelStep = 2 ** levelPower;
  const addVector = (dst: Float32Array, vectorIndex: number): void => {
    const base = vectorIndex * VEC;
    for (let lane = 0; lane < VEC; lane++) dst[lane] = f(dst[lane] + x[base + lane]);
  };

  let i = 0;
  while (i + levelStep <= rowsLen) {
    for (let j = 0; j < levelStep; j++, i++) {
      for (let k = 0; k < ILP; k++) addVector(acc[0][k], i * ILP + k);
    }
    for (let j = 1; j < LEVELS; j++) {
      for (let k = 0; k < ILP; k++) {
        for (let lane = 0; lane < VEC; lane++) {
          acc[j][k][lane] = f(acc[j][k][lane] + acc[j - 1][k][lane]);
          acc[j - 1][k][lane] = 0;
        }
      }
      // Stop cascading unless bits [j·p, (j+1)·p) of i are all zero (`i & (mask << j·p)`).
      if (Math.floor(i / 2 ** (j * levelPower)) % levelStep !== 0) break;
    }
  }
  for (; i < rowsLen; i++) {
    for (let k = 0; k < ILP; k++) addVector(acc[0][k], i * ILP + k);
  }
  for (let j = 1; j < LEVELS; j++) {
    for (let k = 0; k < ILP; k++) {
      for (let lane = 0; lane < VEC; lane++) acc[0][k][lane] = f(acc[0][k][lane] + acc[j][k][lane]);
    }
  }

  // row_sum: leftover vectors go into row 0, then rows 1..3 are added to row 0.
  const sums = acc[0];
  for (let v = rowsLen * ILP; v < vecCount; v++) addVector(sums[0], v);
  for (let k = 1; k < ILP; k++) {
    for (let lane = 0; lane < VEC; lane++) sums[0][lane] = f(sums[0][lane] + sums[k][lane]);
  }

  let total = 0;
  for (let k = vecCount * VEC; k < n; k++) total = f(total + x[k]);
  for (let lane = 0; lane < VEC; lane++) total = f(total + sums[0][lane]);
  return total;
}

/** `torch.cumsum` of a float32 vector on CPU: a double accumulator, each prefix stored as float32. */
export function torchCumsumF32(x: ArrayLike<number>): Float32Array {
  const out = new Float32Array(x.length);
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    acc += x[i];
    out[i] = acc;
  }
  return out;
}
