// Pipeline strings as tpuc-opt / mlir-opt take them:
//   sort-topologically,dce,set-module-attr{name=module.state value=TOP_F32}
//   builtin.module(verify,func.func(dce))
// Our passes all run on the whole module, so op anchors only group and are flattened.
import { UserError } from '../core/index.js';
import { didYouMean } from './did-you-mean.js';
import { parseOptionText, validOptionsHint } from './pass-options.js';
import { getPass, listPasses, type PassDef, type PassOptionValue } from './pass-registry.js';

export interface PipelineStep {
  readonly pass: string;
  /** Options given explicitly; the rest take the pass's defaults when it runs. */
  readonly options?: Readonly<Record<string, PassOptionValue>>;
}

/** Nesting anchors MLIR pipelines use; the passes inside run on the module all the same. */
const ANCHORS = new Set(['builtin.module', 'module', 'func.func', 'any']);
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const LIST_HINT = 'run `tpu-quant opt --list-passes` to see the passes and their options';

export function parsePipeline(text: string): PipelineStep[] {
  return new PipelineParser(text).parse();
}

/** The pipeline string for `steps` (only explicit options), so a run can be reproduced. */
export function formatPipeline(steps: readonly PipelineStep[]): string {
  return steps
    .map((s) => {
      const opts = Object.entries(s.options ?? {}).map(([k, v]) => `${k}=${quoteIfNeeded(String(v))}`);
      return opts.length === 0 ? s.pass : `${s.pass}{${opts.join(' ')}}`;
    })
    .join(',');
}

function quoteIfNeeded(v: string): string {
  if (v !== '' && !/[\s{}(),'"]/.test(v)) return v;
  return v.includes("'") ? `"${v}"` : `'${v}'`;
}

class PipelineParser {
  private pos = 0;
  private readonly steps: PipelineStep[] = [];

  constructor(private readonly text: string) {}

  parse(): PipelineStep[] {
    this.skipSpace();
    if (this.atEnd()) return [];
    this.parseList(undefined);
    return this.steps;
  }

  /** Comma-separated elements up to `)` (inside an anchor opened at `open`) or the end. */
  private parseList(open: number | undefined): void {
    this.skipSpace();
    if (open !== undefined && this.peek() === ')') return; // `func.func()` is allowed
    for (;;) {
      this.parseElement();
      this.skipSpace();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ')') {
        if (open === undefined) this.fail(this.pos, "unbalanced ')': no '(' opens it");
        return;
      }
      if (c === '}') this.fail(this.pos, "unbalanced '}': no '{' opens it");
      if (c === undefined) {
        if (open !== undefined) this.fail(open, "unbalanced '(': no ')' closes it");
        return;
      }
      this.fail(this.pos, `expected ',' between passes, found '${c}'`);
    }
  }

  private parseElement(): void {
    this.skipSpace();
    const start = this.pos;
    while (!this.atEnd() && NAME_CHAR.test(this.peek()!)) this.pos++;
    const name = this.text.slice(start, this.pos);
    if (name === '') this.failAtCurrent();
    this.skipSpace();
    if (this.peek() === '(') {
      if (!ANCHORS.has(name)) {
        this.fail(start, `"${name}" cannot nest passes`, 'nest passes only in builtin.module(...) or func.func(...)');
      }
      const open = this.pos++;
      this.parseList(open);
      this.pos++; // the ')' parseList stopped at
      return;
    }
    const def = getPass(name);
    if (!def) {
      const near = didYouMean(name, listPasses().map((d) => d.name));
      this.fail(start, `unknown pass "${name}"`, near ? `${near} ${LIST_HINT}` : LIST_HINT);
    }
    const options = this.peek() === '{' ? this.parseOptions(def) : {};
    for (const [key, spec] of Object.entries(def.options)) {
      if (spec.required && !(key in options)) {
        this.fail(start, `pass "${name}" needs option "${key}"`, `write ${name}{${key}=<${spec.type}>}: ${spec.doc}`);
      }
    }
    this.steps.push({ pass: name, options });
  }

  /** `{a=1 b='x y' flag}`: whitespace-separated; a bare name sets a bool option. */
  private parseOptions(def: PassDef): Record<string, PassOptionValue> {
    const open = this.pos++;
    const out: Record<string, PassOptionValue> = {};
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === undefined) this.fail(open, "unbalanced '{': no '}' closes it");
      if (c === '}') {
        this.pos++;
        break;
      }
      const keyAt = this.pos;
      while (!this.atEnd() && /[A-Za-z0-9_-]/.test(this.peek()!)) this.pos++;
      const key = this.text.slice(keyAt, this.pos);
      if (key === '') this.fail(keyAt, `expected an option name, found '${c}'`, validOptionsHint(def));
      const spec = def.options[key];
      if (!spec) {
        const near = didYouMean(key, Object.keys(def.options));
        const valid = validOptionsHint(def);
        this.fail(keyAt, `unknown option "${key}" for pass "${def.name}"`, near ? `${near} ${valid}` : valid);
      }
      if (key in out) this.fail(keyAt, `option "${key}" of pass "${def.name}" is given twice`);
      let raw = 'true';
      const valueAt = this.pos + 1;
      if (this.peek() === '=') {
        this.pos++;
        raw = this.readValue(open);
      } else if (spec.type !== 'bool') {
        this.fail(keyAt, `option "${key}" of pass "${def.name}" needs a value (${key}=<${spec.type}>)`);
      }
      const parsed = parseOptionText(spec, raw);
      if (!parsed.ok) {
        this.fail(valueAt, `bad value "${raw}" for option "${key}" of pass "${def.name}": expected ${parsed.expected}`);
      }
      out[key] = parsed.value;
    }
    return out;
  }

  /** A quoted string, a `{...}` group kept as text, or a run of non-space chars up to `}`. */
  private readValue(open: number): string {
    const c = this.peek();
    if (c === "'" || c === '"') {
      const q = this.pos++;
      const end = this.text.indexOf(c, this.pos);
      if (end < 0) this.fail(q, `unterminated ${c === "'" ? 'single' : 'double'} quote`);
      this.pos = end + 1;
      return this.text.slice(q + 1, end);
    }
    const start = this.pos;
    let depth = 0;
    while (!this.atEnd()) {
      const ch = this.peek()!;
      if (ch === '{') depth++;
      else if (ch === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && /\s/.test(ch)) break;
      this.pos++;
    }
    if (depth > 0) this.fail(open, "unbalanced '{': no '}' closes it");
    return this.text.slice(start, this.pos);
  }

  private failAtCurrent(): never {
    const c = this.peek();
    if (c === undefined) this.fail(this.pos, 'expected a pass name at the end');
    if (c === ')') this.fail(this.pos, "unbalanced ')': no '(' opens it");
    if (c === '}') this.fail(this.pos, "unbalanced '}': no '{' opens it");
    if (c === '{') this.fail(this.pos, "options '{...}' must follow a pass name");
    if (c === ',') this.fail(this.pos, "expected a pass name, found ','");
    this.fail(this.pos, `expected a pass name, found '${c}'`);
  }

  /** Throws E_PIPELINE with the pipeline and a caret under column `at`. */
  private fail(at: number, message: string, hint?: string): never {
    const col = at + 1;
    throw new UserError(
      'E_PIPELINE',
      `invalid pass pipeline: ${message} (column ${col})\n  ${this.text}\n  ${' '.repeat(at)}^`,
      hint,
    );
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.peek()!)) this.pos++;
  }
}
