/**
 * Errors a user can act on: a stable code, one line of message, a hint. The CLI prints
 * `error[CODE]: message` and the hint, no stack, and exits 2. Anything else is a bug and keeps
 * its stack (exit 1).
 */
export class UserError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.code = code;
    this.hint = hint;
  }
}

/** Malformed MLIR text; the message already holds `file:line:col`, the line and a caret. */
export class ParseError extends UserError {
  readonly file: string;
  readonly line: number;
  readonly col: number;

  constructor(file: string, line: number, col: number, message: string, sourceLine: string, hint?: string) {
    const caret = `${' '.repeat(Math.max(0, col - 1))}^`;
    super('E_PARSE', `${file}:${line}:${col}: ${message}\n  ${sourceLine}\n  ${caret}`, hint);
    this.name = 'ParseError';
    this.file = file;
    this.line = line;
    this.col = col;
  }
}

/** A corrupt or hostile data file (npz, npy, zip). */
export class FormatError extends UserError {
  constructor(message: string, hint?: string) {
    super('E_FORMAT', message, hint);
    this.name = 'FormatError';
  }
}

/** The IR breaks an invariant: raised by the verifier. */
export class VerifyError extends UserError {
  constructor(message: string, hint?: string) {
    super('E_VERIFY', message, hint);
    this.name = 'VerifyError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
