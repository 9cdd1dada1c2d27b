// `npz_tool` sub-commands: inspection and editing here, `compare` in npz-compare.ts.
import type { Command } from 'commander';
import { bf16BitsToNumber, f16BitsToNumber, loadNpz, saveNpz, UserError, type NdArray } from '@tpu-quant/ir';
import { assertNotInput, parseInteger, parseNameList } from '../flags.js';
import { registerNpzCompare } from './npz-compare.js';

export function registerNpzTool(program: Command): void {
  const npz = program.command('npz_tool').description('inspect and edit .npz files (TPU-MLIR npz_tool)');
  npz
    .command('dump')
    .description('print tensors: shape, dtype, statistics and the first values')
    .argument('<file>', '.npz file')
    .argument('[names]', 'comma-separated tensor names (default: all)')
    .option('--K <n>', 'how many values to print per tensor', '8')
    .action(async (file: string, names: string | undefined, opts: { K: string }) => {
      const k = parseInteger(opts.K, 'K');
      if (k < 0) throw new UserError('E_BAD_FLAG', `--K ${opts.K} is negative`, 'example: --K 8');
      const arrays = await loadNpz(file);
      for (const name of pick(arrays, names, file)) process.stdout.write(`${describeArray(name, arrays.get(name)!, k)}\n`);
    });
  npz
    .command('get_shape')
    .description('print the shape of every tensor')
    .argument('<file>', '.npz file')
    .action(async (file: string) => {
      const arrays = await loadNpz(file);
      for (const [name, a] of arrays) process.stdout.write(`${name} ${JSON.stringify(a.shape)} ${a.dtype}\n`);
    });
  npz
    .command('extract')
    .description('copy the named tensors into a new npz')
    .argument('<file>', 'input .npz')
    .argument('<output>', 'output .npz')
    .argument('<names>', 'comma-separated tensor names')
    .action(async (file: string, output: string, names: string) => {
      const arrays = await loadNpz(file);
      const out = new Map(pick(arrays, names, file).map((n) => [n, arrays.get(n)!] as const));
      assertNotInput(output, [file]);
      await saveNpz(output, out);
      process.stdout.write(`wrote ${out.size} tensors to ${output}\n`);
    });
  npz
    .command('rename')
    .description('rename a tensor, writing a new npz (the input is never changed)')
    .argument('<file>', 'input .npz')
    .argument('<old>', 'current name')
    .argument('<new>', 'new name')
    .option('-o, --output <file>', 'output .npz (default: <input stem>_renamed.npz)')
    .action(async (file: string, oldName: string, newName: string, opts: { output?: string }) => {
      const arrays = await loadNpz(file);
      pick(arrays, oldName, file);
      if (arrays.has(newName)) throw new UserError('E_NPZ_NAME', `${file} already has a tensor "${newName}"`, 'pick another name');
      const out = new Map([...arrays].map(([n, a]) => [n === oldName ? newName : n, a] as const));
      const output = opts.output ?? file.replace(/\.npz$/i, '') + '_renamed.npz';
      assertNotInput(output, [file]);
      await saveNpz(output, out);
      process.stdout.write(`wrote ${output}\n`);
    });
  registerNpzCompare(npz);
}

function pick(arrays: Map<string, NdArray>, names: string | undefined, file: string): string[] {
  if (names === undefined) return [...arrays.keys()];
  const wanted = parseNameList(names);
  const missing = wanted.filter((n) => !arrays.has(n));
  if (missing.length > 0) {
    const known = [...arrays.keys()];
    throw new UserError(
      'E_NPZ_NAME',
      `${file} has no tensor ${missing.map((n) => `"${n}"`).join(', ')}`,
      `it holds ${known.length} tensors: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''}`,
    );
  }
  return wanted;
}

/** One line of facts about a tensor, then its first `k` values (f16/bf16 decoded from their bits). */
export function describeArray(name: string, a: NdArray, k: number): string {
  const decode = a.dtype === 'f16' ? f16BitsToNumber : a.dtype === 'bf16' ? bf16BitsToNumber : Number;
  const values = Array.from(a.data as ArrayLike<number | bigint>, decode as (v: number | bigint) => number);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const stats = values.length === 0 ? 'empty' : `min=${fmt(min)} max=${fmt(max)} mean=${fmt(sum / values.length)}`;
  const head = values.slice(0, k).map(fmt).join(', ');
  const more = values.length > k ? ', ...' : '';
  return `${name}: shape=${JSON.stringify(a.shape)} dtype=${a.dtype} ${stats}\n  [${head}${more}]`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}
