// The elementwise functions of tpu.Active's float modes (upstream ActiveUtils' getActivateFunc),
// in f64 (also the INT8 lookup tables of GELU / SiLU / Sigmoid). GELU uses erf; Math has none, so
// it is computed here to f64 precision (C's std::erf, which upstream calls).

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf(x) to f64 precision: 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (positive terms); ±1 beyond |x| = 6. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (!(ax < 6)) return Number.isNaN(x) ? x : Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500 && term >= sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Each tpu.Active mode's function; `coeffs` as the lowering writes them (HSIGMOID: [beta, alpha]). */
export const ACTIVE_FUNCTIONS: Readonly<Record<string, (coeffs: readonly number[]) => (x: number) => number>> = {
  SIGMOID: () => sigmoid,
  TANH: () => Math.tanh,
  SILU: () => (x) => x * sigmoid(x),
  EXP: () => Math.exp,
  LOG: () => Math.log,
  SQRT: () => Math.sqrt,
  ABS: () => Math.abs,
  GELU: () => (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  TGELU: () => (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  QGELU: () => (x) => x * sigmoid(1.702 * x),
  HSWISH: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  HSIGMOID: (c) => {
    const [beta = 0.5, alpha = 1 / 6] = c;
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  },
};
