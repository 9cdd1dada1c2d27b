// Which threshold method a run_calibration command line asks for. TPU-MLIR tests substrings of
// --debug_cmd, then of --cali_method (spec §1.1, §3.2); newer releases also accept the names
// without the `use_` prefix. We keep the substring rule for compatibility but refuse strings that
// name no method, where TPU-MLIR silently falls back to KLD.
import { UserError } from '@tpu-quant/ir';
import type { CaliMethod } from '../stats/types.js';

/** `k1;k2=v;...` with keys lower-cased, as `parse_debug_cmd` does. */
export function parseDebugCmd(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (text ?? '').split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) out.set(item.toLowerCase(), '');
    else out.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim());
  }
  return out;
}

// Priority order of spec §3.2, then the short spellings of v1.30's --cali_method choices.
const BY_SUBSTRING: readonly [string, CaliMethod][] = [
  ['use_torch_observer_for_cali', 'torch_observer'],
  ['use_percentile9999', 'percentile9999'],
  ['use_mse', 'mse'],
  ['use_aciq_gauss', 'aciq_gauss'],
  ['use_aciq_laplace', 'aciq_laplace'],
  ['use_max', 'max'],
  ['use_kl', 'kl'],
];
const SHORT_NAMES: ReadonlyMap<string, CaliMethod> = new Map([
  ['kl', 'kl'], ['mse', 'mse'], ['max', 'max'], ['percentile9999', 'percentile9999'],
  ['aciq_gauss', 'aciq_gauss'], ['aciq_laplace', 'aciq_laplace'], ['torch_observer', 'torch_observer'],
]);

/** The method from `--cali_method` and `--debug_cmd`; debug_cmd keys win, as in TPU-MLIR. */
export function resolveMethod(caliMethod: string | undefined, debugCmd: ReadonlyMap<string, string>): CaliMethod {
  if (debugCmd.has('fp8')) return 'max'; // spec §4.9: fp8 forces MAX
  for (const [key, method] of BY_SUBSTRING) if (debugCmd.has(key)) return method;
  const text = (caliMethod ?? 'use_kl').trim();
  const short = SHORT_NAMES.get(text.toLowerCase());
  if (short) return short;
  for (const [key, method] of BY_SUBSTRING) if (text.includes(key)) return method;
  throw new UserError(
    'E_BAD_METHOD',
    `--cali_method ${JSON.stringify(text)} names no calibration method`,
    `use one of: ${[...SHORT_NAMES.keys()].filter((m) => m !== 'torch_observer').map((m) => `use_${m}`).join(', ')} (or the names without use_)`,
  );
}

/** The methods TPU-MLIR's auto-tune can change (spec §4.10: the upper bound equals the threshold for the others). */
export function methodIsTuned(method: CaliMethod): boolean {
  return method === 'kl' || method === 'aciq_gauss' || method === 'aciq_laplace';
}
