// Runs the generator over a list of (table module, output folder) targets: writes the files that
// changed, or in check mode only reports them.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { emitDialect } from './emit.js';
import { loadTable } from './table.js';

export interface Target {
  /** The table module, relative to the repository root. */
  readonly table: string;
  /** Its export holding the dialect table. */
  readonly export: string;
  /** The folder the generated files go to, relative to the repository root. */
  readonly outDir: string;
  /** Import specifiers as seen from outDir; both default to `@tpu-quant/ir`. */
  readonly imports?: { readonly core?: string; readonly runtime?: string };
}

export interface RunOptions {
  /** The repository root. */
  readonly root: string;
  readonly targets: readonly Target[];
  /** Report stale files instead of writing them. */
  readonly check?: boolean;
}

export interface RunResult {
  /** Repo-relative paths that differed from what the table generates (written unless checking). */
  readonly changed: string[];
  /** Every generated path, repo-relative. */
  readonly files: string[];
}

export async function runGenOps(o: RunOptions): Promise<RunResult> {
  const changed: string[] = [];
  const files: string[] = [];
  for (const t of o.targets) {
    const tablePath = resolve(o.root, t.table);
    const outDir = resolve(o.root, t.outDir);
    const table = await loadTable(tablePath, t.export);
    const generated = emitDialect(table, {
      source: posix(relative(o.root, tablePath)),
      tableExport: t.export,
      tableModule: moduleSpecifier(outDir, tablePath),
      coreModule: t.imports?.core ?? '@tpu-quant/ir',
      runtimeModule: t.imports?.runtime ?? '@tpu-quant/ir',
    });
    for (const [name, text] of generated) {
      const path = join(outDir, name);
      const rel = posix(relative(o.root, path));
      files.push(rel);
      if ((await readOrUndefined(path)) === text) continue;
      changed.push(rel);
      if (!o.check) await writeAtomically(path, text);
    }
  }
  return { changed, files };
}

/** The targets of a targets.json file. */
export async function readTargets(configPath: string): Promise<Target[]> {
  const json = JSON.parse(await readFile(configPath, 'utf8')) as { targets?: unknown };
  if (!Array.isArray(json.targets)) throw new Error(`${configPath}: expected {"targets": [...]}`);
  for (const t of json.targets as Partial<Target>[]) {
    if (typeof t.table !== 'string' || typeof t.export !== 'string' || typeof t.outDir !== 'string') {
      throw new Error(`${configPath}: every target needs "table", "export" and "outDir" strings`);
    }
  }
  return json.targets as Target[];
}

/** `../ops.js` for packages/ir/src/dialects/top/ops.ts seen from .../top/generated. */
function moduleSpecifier(fromDir: string, file: string): string {
  const rel = posix(relative(fromDir, file)).replace(/\.ts$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function posix(p: string): string {
  return p.split(sep).join('/');
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes beside the target and renames, so an interrupted run never leaves half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}
