// Python's spellings of numbers and times in the files TPU-MLIR writes, exactly.

/**
 * `'%.<digits>f' % x` (= `'{:.<digits>f}'.format(x)`): the exact binary value rounded half to
 * even, all integer digits (no exponent, however large), `-0.0000000` for negative zero and
 * for negatives that round to zero, `inf` / `-inf` / `nan`. (`Number.prototype.toFixed` rounds
 * ties away from zero, drops the sign of -0 and switches to exponents at 1e21.)
 */
export function pyFormatFixed(x: number, digits = 7): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const { mantissa, exp2 } = decompose(Math.abs(x));
  // |x| = mantissa * 2^exp2; scaled = |x| * 10^digits, rounded half-even.
  const scale = 10n ** BigInt(digits);
  let n: bigint;
  if (exp2 >= 0) {
    n = (mantissa << BigInt(exp2)) * scale;
  } else {
    const num = mantissa * scale;
    const shift = BigInt(-exp2);
    n = num >> shift;
    const rem = num - (n << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (n & 1n) === 1n)) n += 1n;
  }
  let s = n.toString();
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  }
  return neg ? `-${s}` : s;
}

/** A finite non-negative double as mantissa * 2^exp2 with an integer mantissa. */
function decompose(x: number): { mantissa: bigint; exp2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: frac, exp2: -1074 }; // subnormal or zero
  return { mantissa: frac | (1n << 52n), exp2: biased - 1075 };
}

/**
 * `str(datetime.datetime.now())` for `time` in local time: `YYYY-MM-DD HH:MM:SS.ffffff`, the
 * fraction left out when it is zero (Python's rule). JS dates hold milliseconds, so the last three
 * digits of the fraction are 000.
 */
export function pyDatetime(time: Date): string {
  const p = (v: number, n = 2): string => String(v).padStart(n, '0');
  const base = `${p(time.getFullYear(), 4)}-${p(time.getMonth() + 1)}-${p(time.getDate())} ${p(time.getHours())}:${p(time.getMinutes())}:${p(time.getSeconds())}`;
  const ms = time.getMilliseconds();
  return ms === 0 ? base : `${base}.${p(ms, 3)}000`;
}
