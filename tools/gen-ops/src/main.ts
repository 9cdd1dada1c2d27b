// `pnpm gen-ops [--check] [--config FILE] [--target TABLE:EXPORT:OUTDIR ...]`
// Regenerates typed builders from dialect tables (targets.json by default). With --check,
// writes nothing and exits 1 listing the stale files (CI runs this).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from './run.js';
import { readTargets, runGenOps } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');

const USAGE = 'usage: gen-ops [--check] [--config targets.json] [--target table.ts:exportName:outDir ...]';

async function main(argv: readonly string[]): Promise<number> {
  let check = false;
  let config = resolve(here, '..', 'targets.json');
  const explicit: Target[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--check') check = true;
    else if (a === '--config' && argv[i + 1]) config = resolve(process.cwd(), argv[++i]!);
    else if (a === '--target' && argv[i + 1]) {
      const [table, exportName, outDir] = argv[++i]!.split(':');
      if (!table || !exportName || !outDir) return usage(`bad --target "${argv[i]}"`);
      explicit.push({ table, export: exportName, outDir });
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return 0;
    } else return usage(`unknown argument "${a}"`);
  }
  const targets = explicit.length > 0 ? explicit : await readTargets(config);
  const { changed, files } = await runGenOps({ root, targets, check });
  if (check) {
    if (changed.length === 0) {
      console.log(`gen-ops: ${files.length} generated files are up to date`);
      return 0;
    }
    console.error(`gen-ops: these generated files differ from what the op tables generate:`);
    for (const f of changed) console.error(`  ${f}`);
    console.error('run `pnpm gen-ops` and commit the result');
    return 1;
  }
  for (const f of changed) console.log(`gen-ops: wrote ${f}`);
  if (changed.length === 0) console.log(`gen-ops: ${files.length} generated files already up to date`);
  return 0;
}

function usage(problem: string): number {
  console.error(`gen-ops: ${problem}\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
