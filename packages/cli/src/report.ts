// How the CLI reports failures: a user error is one line (plus its hint) and exit code 2; any
// other error is a bug and keeps its stack, exit code 1.
import { isUserError } from '@tpu-quant/ir';

export const EXIT_USER_ERROR = 2;
export const EXIT_BUG = 1;

export interface Reporter {
  error(line: string): void;
}

const stderrReporter: Reporter = { error: (line) => process.stderr.write(`${line}\n`) };

/** Prints `err` the way its kind deserves and returns the exit code. */
export function reportError(err: unknown, out: Reporter = stderrReporter): number {
  if (isUserError(err)) {
    out.error(`error[${err.code}]: ${err.message}`);
    if (err.hint) out.error(`hint: ${err.hint}`);
    return EXIT_USER_ERROR;
  }
  if (isNodeFsError(err)) {
    out.error(`error[E_IO]: ${err.message}`);
    out.error('hint: check that the path exists and is readable (outputs: that the folder is writable)');
    return EXIT_USER_ERROR;
  }
  out.error(`internal error (a bug in tpu-quant; please report it with this trace):`);
  out.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return EXIT_BUG;
}

function isNodeFsError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EPERM', 'EROFS', 'ENOSPC'].includes(code);
}
