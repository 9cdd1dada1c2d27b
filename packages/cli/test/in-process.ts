// Runs the CLI's main() in the test process (fast: no child, no start-up), capturing what it
// writes; for the many bad-input cases, where a child process per case would dominate the time.
import { vi } from 'vitest';
import { main } from '../src/main.js';
import type { CliResult } from './run-cli.js';

export async function runInProcess(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main([...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}
