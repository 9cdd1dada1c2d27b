// Parsers for TPU-MLIR's flag spellings, e.g. `--input_shapes [[1,3,224,224],[1,2]]`,
// `--mean 0,0,0`, `--tolerance 0.99,0.99`. Bad values are user errors naming the flag.
import { resolve as resolvePath } from 'node:path';
import { UserError } from '@tpu-quant/ir';

function badFlag(flag: string, value: string, expected: string): UserError {
  return new UserError('E_BAD_FLAG', `--${flag} ${JSON.stringify(value)} is not ${expected}`, `example: ${exampleOf(flag)}`);
}

function exampleOf(flag: string): string {
  if (flag.includes('shape')) return `--${flag} [[1,3,224,224]]`;
  if (flag === 'tolerance') return '--tolerance 0.99,0.99';
  return `--${flag} 0.5,1,2`;
}

/** `[[1,3,224,224],[1,2]]` (also `[1,3,224,224]` for a single input, as str2shape accepts). */
export function parseShapeList(value: string, flag = 'input_shapes'): number[][] {
  const text = value.trim();
  if (text === '' || text === '[]') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badFlag(flag, value, 'a list of shapes');
  }
  if (!Array.isArray(parsed)) throw badFlag(flag, value, 'a list of shapes');
  const shapes = parsed.every((d) => typeof d === 'number') ? [parsed] : parsed;
  for (const s of shapes) {
    if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
      throw badFlag(flag, value, 'a list of shapes of positive integers');
    }
  }
  return shapes as number[][];
}

/** `0.5,1,2` -> [0.5, 1, 2]. */
export function parseNumberList(value: string, flag: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) throw badFlag(flag, value, 'a comma-separated list of numbers');
  return nums;
}

/** `a,b,c` -> ['a','b','c']; TPU-MLIR uses "-" for "none". */
export function parseNameList(value: string): string[] {
  if (value.trim() === '-' || value.trim() === '') return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** An integer flag value, e.g. `--per_axis_compare -1`. */
export function parseInteger(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new UserError('E_BAD_FLAG', `--${flag} ${JSON.stringify(value)} is not an integer`, `example: --${flag} 1`);
  return n;
}

/** A non-negative integer flag value, e.g. `--input_num 100` (the example shows `example`). */
export function parseNonNegative(value: string, flag: string, example = 5): number {
  const n = parseInteger(value, flag);
  if (n < 0) throw new UserError('E_BAD_FLAG', `--${flag} ${value} must not be negative`, `e.g. --${flag} ${example}`);
  return n;
}

/** A similarity flag value (`--expected_cos 0.99`): any finite number. */
export function parseCosFlag(value: string, flag: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new UserError('E_BAD_FLAG', `--${flag} ${value} is not a number`, `e.g. --${flag} 0.99`);
  return x;
}

/** `--tolerance cos,euc`: exactly two numbers. */
export function parseTolerance(value: string, flag = 'tolerance'): [number, number] {
  const tol = parseNumberList(value, flag);
  if (tol.length !== 2) throw new UserError('E_BAD_FLAG', `--${flag} takes two numbers, got ${tol.length}`, 'example: --tolerance 0.99,0.99');
  return [tol[0]!, tol[1]!];
}

/** Outputs never replace an input (TPU-MLIR's tools would overwrite it in place; we refuse). */
export function assertNotInput(output: string, inputs: readonly string[], flag = 'output'): void {
  const out = resolvePath(output);
  const clash = inputs.find((i) => resolvePath(i) === out);
  if (clash !== undefined) {
    throw new UserError('E_SAME_FILE', `--${flag} ${output} is also an input of this command`, 'write the result to another file; inputs are never modified in place');
  }
}
