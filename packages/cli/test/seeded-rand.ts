// Deterministic test data for the CLI tests' synthetic models: values in [offset - scale,
// offset + scale) from an LCG, so a failure reproduces.
export function rand(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale + offset;
  }
  return out;
}
