// Token-level helpers shared by the type, attribute, location and op parsers: expectations with
// "expected X but found Y" messages, positions turned into `file:line:col` ParseErrors, and a
// nesting cap so hostile input cannot exhaust the stack.
import { ParseError } from '../core/errors.js';
import { Lexer, LexError, type TokenKind } from './lexer.js';
import type { MlirSourceLayout } from './layout.js';
import type { Attr } from '../core/attributes.js';
import type { Type } from '../core/types.js';

/** Deepest nesting of brackets, types or locations a file may use. */
export const MAX_DEPTH = 200;

export class ParserBase {
  readonly lx: Lexer;
  private depth = 0;
  /** Types by spelling: a file's identical `tensor<...>` texts parse once, into one object. */
  readonly types = new Map<string, Type>();
  /** Attribute values by spelling (attributes are immutable, so they can be shared). */
  readonly attrs = new Map<string, Attr>();
  /** Whole attribute dictionaries by spelling, as entries (each op still gets its own Map). */
  readonly dicts = new Map<string, readonly (readonly [string, Attr])[]>();

  constructor(
    readonly text: string,
    readonly file: string,
    readonly layout: MlirSourceLayout,
  ) {
    try {
      this.lx = new Lexer(text);
    } catch (e) {
      throw this.convert(e);
    }
  }

  /** Turns a lexer error into a ParseError; other errors pass through. */
  convert(e: unknown): unknown {
    if (e instanceof LexError) return this.errorAt(e.pos, e.message);
    return e;
  }

  get kind(): TokenKind {
    return this.lx.kind;
  }

  get tokenText(): string {
    return this.lx.tokenText;
  }

  next(): void {
    try {
      this.lx.next();
    } catch (e) {
      throw this.convert(e);
    }
  }

  /** Moves the lexer to `pos` (after the parser scanned characters itself). */
  /** End offset (exclusive) of the bracketed text opening at `open`, as a parse error if unbalanced. */
  balancedEnd(open: number): number {
    try {
      return this.lx.skipBalanced(open, MAX_DEPTH);
    } catch (e) {
      throw this.convert(e);
    }
  }

  resetTo(pos: number): void {
    try {
      this.lx.resetTo(pos);
    } catch (e) {
      throw this.convert(e);
    }
  }

  is(kind: TokenKind): boolean {
    return this.lx.kind === kind;
  }

  isKeyword(word: string): boolean {
    return this.lx.kind === 'id' && this.lx.end - this.lx.start === word.length && this.text.startsWith(word, this.lx.start);
  }

  /** Consumes a token of `kind` if it is next. */
  eat(kind: TokenKind): boolean {
    if (this.lx.kind !== kind) return false;
    this.next();
    return true;
  }

  eatKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.next();
    return true;
  }

  expect(kind: TokenKind, what: string = `'${kind}'`): void {
    if (this.lx.kind !== kind) throw this.unexpected(what);
  }

  /** Consumes a token of `kind` or fails with "expected ...". */
  take(kind: TokenKind, what?: string): void {
    this.expect(kind, what);
    this.next();
  }

  takeKeyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unexpected(`'${word}'`);
    this.next();
  }

  /** "expected X but found Y" at the current token. */
  unexpected(what: string): ParseError {
    return this.errorAt(this.lx.start, `expected ${what} but found ${this.describe()}`);
  }

  describe(): string {
    if (this.lx.kind === 'eof') return 'end of file';
    const t = this.lx.tokenText;
    return `'${t.length > 40 ? `${t.slice(0, 37)}...` : t}'`;
  }

  /** Tracks nesting; fails cleanly past MAX_DEPTH. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) throw this.errorAt(this.lx.start, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  leave(): void {
    this.depth--;
  }

  errorAt(pos: number, message: string, hint?: string): ParseError {
    const text = this.text;
    const at = Math.max(0, Math.min(pos, text.length));
    const lineStart = at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0) lineEnd = text.length;
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < lineStart; i = text.indexOf('\n', i + 1)) line++;
    let source = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const col = at - lineStart + 1;
    // Keep very long lines readable: show a window around the column, caret moved to match.
    if (source.length > 160) {
      const from = Math.max(0, col - 80);
      source = `${from > 0 ? '...' : ''}${source.slice(from, from + 160)}${from + 160 < source.length ? '...' : ''}`;
      const shownCol = col - from + (from > 0 ? 3 : 0);
      const err = new ParseError(this.file, line, col, message, source, hint);
      err.message = err.message.replace(/\n( *)\^$/, (_, indent: string) => `\n${indent.slice(0, 2)}${' '.repeat(shownCol - 1)}^`);
      return err;
    }
    return new ParseError(this.file, line, col, message, source, hint);
  }
}
