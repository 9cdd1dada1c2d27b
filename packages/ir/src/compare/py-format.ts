// Python's and numpy's number spellings, so reports read exactly as TPU-MLIR prints them.

/**
 * `repr(float)` (or numpy's float32 str with `f32`): the shortest digits that round-trip,
 * positional for 1e-4 <= |x| < 1e16, else `1e-05` style.
 */
export function pyFloatRepr(v: number, f32 = false): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  let exp = v.toExponential();
  if (f32) {
    for (let p = 0; p <= 8; p++) {
      const s = v.toExponential(p);
      if (Math.fround(Number(s)) === v) {
        exp = s;
        break;
      }
    }
  }
  const [mant, e] = exp.split('e') as [string, string];
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const e10 = Number(e);
  let out: string;
  if (e10 >= -4 && e10 < 16) {
    if (e10 < 0) out = `0.${'0'.repeat(-e10 - 1)}${digits}`;
    else if (digits.length <= e10 + 1) out = `${digits}${'0'.repeat(e10 + 1 - digits.length)}.0`;
    else out = `${digits.slice(0, e10 + 1)}.${digits.slice(e10 + 1)}`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${e10 < 0 ? '-' : '+'}${String(Math.abs(e10)).padStart(2, '0')}`;
  }
  return neg ? `-${out}` : out;
}

/** Python's `'{:.Nf}'.format(x)`. */
export function pyFixed(v: number, n: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(n);
}
