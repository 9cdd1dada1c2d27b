// Runs the CLI from source in a child process, as a user would, and captures what it prints.
// With TPUQ_TEST_CLI=dist (set by .ci/run right after `pnpm build`) it runs the built CLI instead:
// the same code, without compiling the TypeScript again in every child (about 0.9 s each).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../src/bin/tpu-quant.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/bin/tpu-quant.js', import.meta.url));
const argv0 = process.env.TPUQ_TEST_CLI === 'dist' && existsSync(built) ? [built] : ['--conditions=@tpu-quant/source', '--import', 'tsx', bin];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], input?: string, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [...argv0, ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, an `error[...]` line, no stack trace. */
export function expectUserError(r: CliResult, code: string): void {
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstderr: ${r.stderr}`);
  if (!r.stderr.startsWith(`error[${code}]`)) throw new Error(`expected error[${code}], got:\n${r.stderr}`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) throw new Error(`a stack trace was printed:\n${r.stderr}`);
}
