// MLIR's string literals: `\\`, `\"`, `\n`, `\t` and `\XX` byte escapes over UTF-8, and names
// that print bare when they are identifiers (`printKeywordOrString`), quoted otherwise.
import { isDigit, isLetter } from './lexer.js';

const QUOTE = 34;
const DOLLAR = 36;
const DOT = 46;
const BACKSLASH = 92;
const UNDERSCORE = 95;

/** Decodes the body of a string literal (between the quotes) into a JS string (UTF-8 escapes). */
export function unescapeString(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === BACKSLASH) {
      const d = raw[i + 1]!;
      if (d === '"' || d === '\\') bytes.push(d.charCodeAt(0));
      else if (d === 'n') bytes.push(10);
      else if (d === 't') bytes.push(9);
      else {
        bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
        i++;
      }
      i++;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = raw.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** MLIR's `printEscapedString`: UTF-8 bytes, `\\`, and `\XX` for `"` and non-printable bytes. */
export function escapeString(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    if (b === BACKSLASH) out += '\\\\';
    else if (b >= 0x20 && b <= 0x7e && b !== QUOTE) out += String.fromCharCode(b);
    else out += `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `"..."` with MLIR's escaping. */
export function quoteString(s: string): string {
  return `"${escapeString(s)}"`;
}

/** MLIR's `printKeywordOrString`: a bare identifier as is, anything else quoted. */
export function keywordOrString(s: string): string {
  if (s.length === 0) return '""';
  const c0 = s.charCodeAt(0);
  let bare = isLetter(c0) || c0 === UNDERSCORE;
  for (let i = 1; bare && i < s.length; i++) {
    const c = s.charCodeAt(i);
    bare = isLetter(c) || isDigit(c) || c === UNDERSCORE || c === DOLLAR || c === DOT;
  }
  return bare ? s : quoteString(s);
}
