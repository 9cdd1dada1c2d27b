// `tpu-quant processors`: the chips we know, with the parameters the compiler uses.
import type { Command } from 'commander';
import { listTargets } from '@tpu-quant/ir';

export function registerProcessors(program: Command): void {
  program
    .command('processors')
    .description('list the supported processors and their parameters')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const targets = listTargets();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(targets, (_k, v: unknown) => (typeof v === 'function' ? undefined : v), 2)}\n`);
        return;
      }
      for (const t of targets) process.stdout.write(`${describeTarget(t)}\n`);
    });
}

function describeTarget(t: ReturnType<typeof listTargets>[number]): string {
  const rec = t as unknown as Record<string, unknown>;
  const fields = ['family', 'lanes', 'localMemBytes', 'floatForMix', 'quantizeModes']
    .filter((k) => rec[k] !== undefined)
    .map((k) => `${k}=${Array.isArray(rec[k]) ? (rec[k] as unknown[]).join('/') : String(rec[k])}`);
  return `${t.name.padEnd(8)} ${fields.join(' ')}`;
}
