// Runs the CLI from source in a child process, as a user would, and captures what it prints.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../src/bin/tpu-quant.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], input?: string, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, ['--conditions=@tpu-quant/source', '--import', 'tsx', bin, ...args], {
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
