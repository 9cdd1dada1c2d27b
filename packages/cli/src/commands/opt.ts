// `tpu-quant opt IN.mlir [--pass-pipeline P] [-o OUT]`: the tpuc-opt analog. Parse, run the
// passes, print. With no passes the output is the input, byte for byte.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { atomicWriteFile, UserError, formatTimings, describePasses, parseMlir, parsePipeline, printMlir, runPipeline } from '@tpu-quant/ir';

export interface OptOptions {
  passPipeline?: string;
  output?: string;
  listPasses?: boolean;
  mlirTiming?: boolean;
  mlirPrintIrAfterAll?: boolean;
  verifyEach: boolean;
}

export function registerOpt(program: Command): void {
  program
    .command('opt')
    .description('parse a TPU-MLIR .mlir file, run a pass pipeline, print the result (tpuc-opt)')
    .argument('[input]', 'input .mlir file ("-" for stdin)')
    .option('--pass-pipeline <pipeline>', 'passes to run, e.g. "sort-topologically,dce" or "builtin.module(dce)"')
    .option('-o, --output <file>', 'output file (default: stdout)')
    .option('--list-passes', 'list the registered passes and their options')
    .option('--mlir-timing', 'print the time each pass took (stderr)')
    .option('--mlir-print-ir-after-all', 'print the IR after every pass (stderr)')
    .option('--no-verify-each', 'do not run the verifier between passes')
    .action(async (input: string | undefined, opts: OptOptions) => {
      if (opts.listPasses) {
        process.stdout.write(`passes:\n${describePasses()}\n`);
        return;
      }
      if (!input) throw new UserError('E_USAGE', 'opt needs an input .mlir file', 'tpu-quant opt model.mlir [--pass-pipeline P] [-o out.mlir]');
      process.stdout.write(await runOpt(input, opts));
    });
}

/** Runs opt and returns what goes to stdout (the module text, unless -o was given). */
export async function runOpt(input: string, opts: OptOptions): Promise<string> {
  const text = input === '-' ? await readStdin() : await readFile(input, 'utf8');
  const module = parseMlir(text, input === '-' ? '<stdin>' : input);
  const steps = parsePipeline(opts.passPipeline ?? '');
  const timings = await runPipeline(module, steps, {
    verifyEach: opts.verifyEach,
    dumpAfter: opts.mlirPrintIrAfterAll
      ? (pass, m) => process.stderr.write(`// -----// IR Dump After ${pass} //----- //\n${printMlir(m)}\n`)
      : undefined,
  });
  if (opts.mlirTiming) process.stderr.write(formatTimings(timings));
  const out = printMlir(module);
  if (opts.output) {
    await atomicWriteFile(opts.output, out);
    return '';
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
