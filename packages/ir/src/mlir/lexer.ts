// A hand-written MLIR lexer: one pass over the characters, no backtracking. The parser reads the
// current token from public fields (no token objects are allocated) and calls next().
export type TokenKind =
  | 'eof'
  | 'id' // bare identifier: `module`, `func.func`, `f32`, `tensor`, `module.chip`
  | 'at' // `@main`, `@"quoted"`
  | 'percent' // `%0`, `%arg0`
  | 'hash' // `#loc3`, `#tpu`, `#tpu.rq_mode`, `#1`
  | 'bang' // `!quant.uniform`
  | 'caret' // `^bb0`
  | 'int'
  | 'float'
  | 'string'
  | '('
  | ')'
  | '['
  | ']'
  | '{'
  | '}'
  | '<'
  | '>'
  | ','
  | ':'
  | '='
  | '->'
  | '-'
  | '+'
  | '?'
  | '*';

export class LexError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

const enum C {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Dollar = 36,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D9 = 57,
  Backslash = 92,
  Underscore = 95,
}

export function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}
export function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
/** Characters after the first one of a bare identifier. */
export function isIdChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === C.Underscore || c === C.Dollar || c === C.Dot;
}
/** Characters of a `%`/`#`/`!`/`^` suffix. */
function isSuffixChar(c: number): boolean {
  return isIdChar(c) || c === C.Minus;
}

const PUNCT: Record<string, TokenKind> = {
  '(': '(',
  ')': ')',
  '[': '[',
  ']': ']',
  '{': '{',
  '}': '}',
  '<': '<',
  '>': '>',
  ',': ',',
  ':': ':',
  '=': '=',
  '+': '+',
  '?': '?',
  '*': '*',
};

export class Lexer {
  kind: TokenKind = 'eof';
  start = 0;
  end = 0;
  /** End of the previous token: where a construct that ended there stops. */
  prevEnd = 0;

  constructor(readonly text: string) {
    this.next();
  }

  get tokenText(): string {
    return this.text.slice(this.start, this.end);
  }

  /** Re-lexes from `pos` (used after the parser scanned characters itself). */
  resetTo(pos: number): void {
    this.end = pos;
    this.next();
  }

  next(): void {
    this.prevEnd = this.end;
    const s = this.text;
    let i = this.end;
    const n = s.length;
    // Skip whitespace and `//` comments.
    for (;;) {
      if (i >= n) break;
      const c = s.charCodeAt(i);
      if (c === C.Space || c === C.Lf || c === C.Tab || c === C.Cr) {
        i++;
      } else if (c === C.Slash && s.charCodeAt(i + 1) === C.Slash) {
        const nl = s.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else break;
    }
    this.start = i;
    if (i >= n) {
      this.kind = 'eof';
      this.end = n;
      return;
    }
    const c = s.charCodeAt(i);
    if (isLetter(c) || c === C.Underscore) {
      let j = i + 1;
      while (j < n && isIdChar(s.charCodeAt(j))) j++;
      this.set('id', j);
    } else if (isDigit(c)) {
      this.lexNumber(i);
    } else if (c === C.Quote) {
      this.set('string', this.skipString(i));
    } else if (c === 64 /* @ */) {
      if (s.charCodeAt(i + 1) === C.Quote) this.set('at', this.skipString(i + 1));
      else this.set('at', this.suffix(i, isIdChar));
    } else if (c === 37 /* % */) {
      this.set('percent', this.suffix(i, isSuffixChar));
    } else if (c === 35 /* # */) {
      this.set('hash', this.suffix(i, isSuffixChar));
    } else if (c === 33 /* ! */) {
      this.set('bang', this.suffix(i, isSuffixChar));
    } else if (c === 94 /* ^ */) {
      this.set('caret', this.suffix(i, isSuffixChar));
    } else if (c === C.Minus) {
      if (s.charCodeAt(i + 1) === 62 /* > */) this.set('->', i + 2);
      else this.set('-', i + 1);
    } else {
      const p = PUNCT[s[i]!];
      if (p === undefined) throw new LexError(i, `unexpected character '${s[i]}'`);
      this.set(p, i + 1);
    }
  }

  private set(kind: TokenKind, end: number): void {
    this.kind = kind;
    this.end = end;
  }

  private suffix(i: number, ok: (c: number) => boolean): number {
    let j = i + 1;
    while (j < this.text.length && ok(this.text.charCodeAt(j))) j++;
    if (j === i + 1) throw new LexError(i, `expected an identifier after '${this.text[i]}'`);
    return j;
  }

  private lexNumber(i: number): void {
    const s = this.text;
    const n = s.length;
    if (s.charCodeAt(i) === C.D0 && (s[i + 1] === 'x' || s[i + 1] === 'X') && isHex(s.charCodeAt(i + 2))) {
      let j = i + 2;
      while (j < n && isHex(s.charCodeAt(j))) j++;
      this.set('int', j);
      return;
    }
    let j = i;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== C.Dot) {
      this.set('int', j);
      return;
    }
    j++;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    const e = s[j];
    if (e === 'e' || e === 'E') {
      let k = j + 1;
      if (s[k] === '+' || s[k] === '-') k++;
      if (isDigit(s.charCodeAt(k))) {
        while (k < n && isDigit(s.charCodeAt(k))) k++;
        j = k;
      }
    }
    this.set('float', j);
  }

  /** End of the string literal opening at `i` (just past the closing quote). */
  skipString(i: number): number {
    const s = this.text;
    const n = s.length;
    let j = i + 1;
    for (;;) {
      if (j >= n) throw new LexError(i, 'unterminated string');
      const c = s.charCodeAt(j);
      if (c === C.Quote) return j + 1;
      if (c === C.Lf || c === C.Cr) throw new LexError(i, 'unterminated string');
      if (c === C.Backslash) {
        const d = s[j + 1];
        if (d === '"' || d === '\\' || d === 'n' || d === 't') j += 2;
        else if (isHex(s.charCodeAt(j + 1)) && isHex(s.charCodeAt(j + 2))) j += 3;
        else throw new LexError(j, 'unknown escape in string literal');
      } else j++;
    }
  }

  /**
   * End of a balanced `<...>` starting at the `<` at `open`, as MLIR's dialect-symbol bodies are
   * delimited: nested `<>`, `()`, `[]`, `{}` and string literals, `->` not closing anything.
   */
  skipBalanced(open: number, maxDepth: number): number {
    const s = this.text;
    const stack: number[] = [];
    let j = open;
    for (;;) {
      if (j >= s.length) throw new LexError(open, "unbalanced '<' in dialect attribute or type");
      const c = s.charCodeAt(j);
      if (c === C.Quote) {
        j = this.skipString(j);
        continue;
      }
      if (c === C.Minus && s.charCodeAt(j + 1) === 62) {
        j += 2;
        continue;
      }
      const close = c === 60 ? 62 : c === 40 ? 41 : c === 91 ? 93 : c === 123 ? 125 : 0;
      if (close !== 0) {
        if (stack.length >= maxDepth) throw new LexError(j, `nesting deeper than ${maxDepth} levels`);
        stack.push(close);
      } else if (c === 62 || c === 41 || c === 93 || c === 125) {
        if (stack[stack.length - 1] !== c) throw new LexError(j, `unbalanced '${s[j]}' in dialect attribute or type`);
        stack.pop();
        if (stack.length === 0) return j + 1;
      }
      j++;
    }
  }
}
