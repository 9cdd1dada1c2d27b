// `fp_forward` (TPU-MLIR python/tools/fp_forward.py, spec calibration.md §15): writes a qtable
// that keeps the ops before some tensors (--fpfwd_inputs), after others (--fpfwd_outputs) or
// between them (--fpfwd_blocks) in float, for model_deploy --quantize_table. Graph only: the
// weights are not read and nothing runs. The selection and our deliberate differences live in
// @tpu-quant/mixprec (fp-forward/fp-forward.ts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { atomicWriteFile, parseMlir, UserError } from '@tpu-quant/ir';
import { formatFpForwardQtable, fpForwardQtable, parseFpForwardBlock } from '@tpu-quant/mixprec';
import { assertNotInput, parseNameList } from '../flags.js';

interface FpForwardFlags {
  fpfwd_inputs?: string;
  fpfwd_outputs?: string;
  fpfwd_blocks?: string[];
  chip: string;
  fp_type: string;
  quantize_free_table: string;
}

export function registerFpForward(program: Command): void {
  program
    .command('fp_forward')
    .description('write a qtable keeping pre-/post-processing or blocks of a model in float (TPU-MLIR fp_forward)')
    .argument('<mlir_file>', 'top-dialect f32 .mlir')
    .option('--fpfwd_inputs <names>', 'comma-separated tensors: each and what computes it stay float (pre-processing)')
    .option('--fpfwd_outputs <names>', 'comma-separated tensors: each and everything after it stay float (post-processing)')
    .option('--fpfwd_blocks <blocks...>', 'blocks "s1,s2:e1,e2" (space-separated): the ops from the starts to the ends stay float')
    .requiredOption('--chip <name>', 'target processor, e.g. bm1684x, bm1688, cv183x')
    .option('--fp_type <t>', 'float type of the entries: auto (the chip\'s), F16, F32, BF16', 'auto')
    .requiredOption('-o, --quantize_free_table <file>', 'output qtable')
    .action(async (mlirFile: string, flags: FpForwardFlags) => {
      await fpForwardCommand(mlirFile, flags);
    });
}

async function fpForwardCommand(mlirFile: string, flags: FpForwardFlags): Promise<void> {
  const blocks = (flags.fpfwd_blocks ?? []).map(parseFpForwardBlock);
  if (!existsSync(mlirFile)) throw new UserError('E_IO', `mlir file ${mlirFile} does not exist`, 'give the top .mlir model_transform wrote');
  assertNotInput(flags.quantize_free_table, [mlirFile], 'quantize_free_table');
  const module = parseMlir(await readFile(mlirFile, 'utf8'), mlirFile);
  const result = fpForwardQtable(module, {
    inputs: parseNameList(flags.fpfwd_inputs ?? ''),
    outputs: parseNameList(flags.fpfwd_outputs ?? ''),
    blocks,
    chip: flags.chip,
    fpType: flags.fp_type,
  });
  for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
  await atomicWriteFile(flags.quantize_free_table, formatFpForwardQtable(result));
  process.stdout.write(`fp_forward: ${result.entries.length} op${result.entries.length === 1 ? '' : 's'} in ${result.mode} -> ${flags.quantize_free_table}\n`);
}
