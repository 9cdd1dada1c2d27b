// SSA names of one function body: `%arg0`, `%3`, `%5#1`. Uses may come before definitions (MLIR
// allows it, and printing an unsorted graph writes it): such a use gets a placeholder value that
// the definition replaces. Operand types are checked against the values as MLIR does.
import { Op, type Value } from '../core/ir.js';
import type { Type } from '../core/types.js';
import { typesEqual } from '../core/types.js';
import type { ParserBase } from './parser-base.js';
import { typeName } from './parse-types.js';

/** A value use as written: the value, where, and how (`%5#1`). */
export interface Use {
  readonly value: Value;
  readonly at: number;
  readonly text: string;
}

/** Type of a forward reference until its first use says what it is. */
const PENDING_TYPE: Type = { kind: 'none' };

export class ValueScope {
  private readonly values = new Map<string, readonly Value[]>();
  private readonly forward = new Map<string, { at: number; values: Map<number, Value> }>();

  constructor(private readonly p: ParserBase) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Binds `%name` (or `%name:N`) to values, resolving earlier uses of it. */
  define(name: string, values: readonly Value[], at: number): void {
    this.values.set(name, values);
    const ref = this.forward.get(name);
    if (ref === undefined) return;
    this.forward.delete(name);
    for (const [index, placeholder] of ref.values) {
      const real = values[index];
      if (real === undefined) throw this.p.errorAt(ref.at, outOfRange(name, index, values.length));
      if (placeholder.type !== PENDING_TYPE && placeholder.type !== real.type && !typesEqual(placeholder.type, real.type)) {
        throw this.p.errorAt(at, `definition of ${name} has type '${typeName(real.type)}' but earlier uses expect '${typeName(placeholder.type)}'`);
      }
      placeholder.replaceAllUsesWith(real);
    }
  }

  /** Fails on names used but never defined. */
  finish(): void {
    for (const [name, ref] of this.forward) throw this.p.errorAt(ref.at, `use of undefined value ${name}`);
  }

  /** `%0`, `%arg1`, `%5#1` at the current token. */
  parseUse(): Use {
    const p = this.p;
    p.expect('percent', 'a value (%name)');
    const at = p.lx.start;
    const name = p.tokenText;
    p.next();
    let index: number | undefined;
    if (p.is('hash') && p.lx.start === p.lx.prevEnd && /^#[0-9]+$/.test(p.tokenText)) {
      index = Number(p.tokenText.slice(1));
      p.next();
    }
    const text = p.text.slice(at, p.lx.prevEnd);
    const values = this.values.get(name);
    if (values === undefined) return { value: this.forwardRef(name, index ?? 0, at), at, text };
    if (index !== undefined && index >= values.length) throw p.errorAt(at, outOfRange(name, index, values.length));
    return { value: values[index ?? 0]!, at, text };
  }

  /** `(%a, %b)` or `()`. */
  parseOperandList(): Use[] {
    const p = this.p;
    p.take('(', "'('");
    const out: Use[] = [];
    if (p.eat(')')) return out;
    for (;;) {
      out.push(this.parseUse());
      if (p.eat(')')) return out;
      p.take(',', "',' or ')'");
    }
  }

  /** Checks the written operand types against the values' types. */
  checkTypes(operands: readonly Use[], types: readonly Type[], sigAt: number): void {
    if (operands.length !== types.length) {
      throw this.p.errorAt(sigAt, `expected ${operands.length} operand type${operands.length === 1 ? '' : 's'} but found ${types.length}`);
    }
    operands.forEach(({ value, at, text }, i) => {
      const t = types[i]!;
      if (value.type === PENDING_TYPE) {
        value.type = t; // the first use of a forward reference fixes its type
      } else if (value.type !== t && !typesEqual(value.type, t)) {
        throw this.p.errorAt(at, `use of value ${text} expects different type than prior uses: '${typeName(t)}' vs '${typeName(value.type)}'`);
      }
    });
  }

  private forwardRef(name: string, index: number, at: number): Value {
    let ref = this.forward.get(name);
    if (ref === undefined) {
      ref = { at, values: new Map() };
      this.forward.set(name, ref);
    }
    let v = ref.values.get(index);
    if (v === undefined) {
      v = new Op('<forward reference>', { resultTypes: [PENDING_TYPE] }).result(0);
      ref.values.set(index, v);
    }
    return v;
  }
}

function outOfRange(name: string, index: number, count: number): string {
  return `result number ${index} out of range: ${name} has ${count} result${count === 1 ? '' : 's'}`;
}
