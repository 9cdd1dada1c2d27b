// CPython's `random` module, bit for bit, for what TPU-MLIR's DataSelector uses (calibration spec
// §2.1): `random.seed(int)`, `getrandbits`, `_randbelow_with_getrandbits` and `shuffle`. The
// generator is MT19937 (`Modules/_randommodule.c`); seeding an int feeds its absolute value's
// 32-bit words, least significant first, to `init_by_array`.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO32 = 2 ** 32;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** `random.seed(seed)` for an integer seed (|seed| < 2^53). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`PythonRandom: seed must be a safe integer, got ${seed}`);
    const n = Math.abs(seed);
    const hi = Math.floor(n / TWO32);
    const lo = n - hi * TWO32;
    this.initByArray(hi > 0 ? [lo, hi] : [lo]);
  }

  /** `random.getrandbits(k)` for 0 <= k <= 53 (the result must fit a double exactly). */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError(`PythonRandom.getrandbits: k must be 0..53, got ${k}`);
    if (k === 0) return 0;
    if (k <= 32) return this.next32() >>> (32 - k);
    // CPython fills 32-bit words least significant first; the last word keeps its top bits.
    const low = this.next32();
    const high = this.next32() >>> (64 - k);
    return high * TWO32 + low;
  }

  /** `random._randbelow_with_getrandbits(n)`: uniform in [0, n), by rejection; n >= 1. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`PythonRandom.randbelow: n must be a positive integer, got ${n}`);
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.shuffle(a)` in place (Python 3.11: Fisher-Yates from the end, `_randbelow(i + 1)`). */
  shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // `>>> 0` reduces modulo 2^32, as the C code's uint32 arithmetic does.
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) >>> 0) + key[j]! + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) >>> 0) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private next32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** `int.bit_length()` for a positive safe integer. */
function bitLength(n: number): number {
  if (n < TWO32) return 32 - Math.clz32(n);
  return 32 + bitLength(Math.floor(n / TWO32));
}
