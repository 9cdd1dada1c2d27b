import { FormatError } from '../core/errors.js';

/**
 * A parser for the Python literals an npy header is made of (numpy writes `repr(dict)` and reads
 * it back with `ast.literal_eval`): dicts, tuples, lists, strings, ints, True/False/None. Ints
 * stay bigint so that absurd sizes are seen as such rather than rounded.
 */
export type PyValue = string | bigint | boolean | null | PyTuple | PyValue[] | PyDict;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyDict {
  constructor(readonly entries: ReadonlyArray<readonly [PyValue, PyValue]>) {}
}

/** Deep enough for any dtype descr numpy writes; stops a "[[[[..." header from exhausting the stack. */
const MAX_DEPTH = 32;

const HINT = 'the npy header is not a Python literal dict as numpy writes it; the file is corrupt or was not written by numpy';

export function parsePyLiteral(text: string): PyValue {
  const p = new Parser(text);
  const v = p.value(0);
  p.skipSpace();
  if (!p.atEnd()) p.fail('unexpected text after the header dict');
  return v;
}

class Parser {
  private pos = 0;

  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  fail(what: string): never {
    const near = JSON.stringify(this.s.slice(this.pos, this.pos + 20));
    throw new FormatError(`malformed npy header: ${what} at character ${this.pos} (near ${near})`, HINT);
  }

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.s[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.tupleOrGroup(depth);
    if (c === '[') return this.list(depth);
    if (c === "'" || c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.int();
    const word = /^[A-Za-z_]\w*/.exec(this.s.slice(this.pos, this.pos + 16))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'None' ? null : word === 'True';
    }
    return this.fail(c === undefined ? 'unexpected end of header' : `unexpected ${JSON.stringify(c)}`);
  }

  /** Parses `open item, item, ... close` (trailing comma allowed); says whether a comma was seen. */
  private items(close: string, item: () => void): boolean {
    this.pos++;
    let comma = false;
    for (;;) {
      this.skipSpace();
      if (this.s[this.pos] === close) {
        this.pos++;
        return comma;
      }
      item();
      this.skipSpace();
      const c = this.s[this.pos];
      if (c === ',') {
        comma = true;
        this.pos++;
      } else if (c !== close) {
        this.fail(c === undefined ? 'unexpected end of header' : `expected "," or "${close}"`);
      }
    }
  }

  private dict(depth: number): PyDict {
    const entries: Array<readonly [PyValue, PyValue]> = [];
    this.items('}', () => {
      const k = this.value(depth + 1);
      this.skipSpace();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      entries.push([k, this.value(depth + 1)]);
    });
    return new PyDict(entries);
  }

  private list(depth: number): PyValue[] {
    const out: PyValue[] = [];
    this.items(']', () => out.push(this.value(depth + 1)));
    return out;
  }

  /** `(x)` is just x in Python; `(x,)` and `()` are tuples. */
  private tupleOrGroup(depth: number): PyValue {
    const out: PyValue[] = [];
    const comma = this.items(')', () => out.push(this.value(depth + 1)));
    return out.length === 1 && !comma ? out[0] : new PyTuple(out);
  }

  private string(): string {
    const quote = this.s[this.pos++];
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = this.s.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('bad escape in string');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += len;
      } else out += `\\${e ?? ''}`;
    }
  }

  private int(): bigint {
    // Python 2 wrote longs as `3L`; numpy still reads such headers, so we do too.
    const m = /^-?\d{1,40}L?/.exec(this.s.slice(this.pos, this.pos + 42));
    if (!m) return this.fail('bad integer');
    const next = this.s[this.pos + m[0].length];
    if (next !== undefined && /[\w.]/.test(next)) this.fail('bad integer (only plain decimal integers are expected)');
    this.pos += m[0].length;
    return BigInt(m[0].replace('L', ''));
  }
}

/** A Python-style repr, cut to `max` characters, for error messages. */
export function pyRepr(v: PyValue, max = 60): string {
  const r = (x: PyValue): string => {
    if (typeof x === 'string') return `'${x}'`;
    if (typeof x === 'bigint') return String(x);
    if (x === null) return 'None';
    if (typeof x === 'boolean') return x ? 'True' : 'False';
    if (Array.isArray(x)) return `[${x.map(r).join(', ')}]`;
    if (x instanceof PyTuple) return x.items.length === 1 ? `(${r(x.items[0])},)` : `(${x.items.map(r).join(', ')})`;
    return `{${x.entries.map(([k, e]) => `${r(k)}: ${r(e)}`).join(', ')}}`;
  };
  const s = r(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
