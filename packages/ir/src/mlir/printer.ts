// The module printer: TPU-MLIR's files as MLIR's AsmPrinter writes them with debug info — ops in
// generic form, `return`/`call` in their custom forms, 2-space indentation, SSA values numbered
// per function, locations through a LocSpeller (see loc-aliases.ts).
import type { Attr } from '../core/attributes.js';
import type { Func, Module, Op, Value } from '../core/ir.js';
import { keywordOrString, quoteString } from './string-escape.js';
import { CanonicalLocs, LayoutLocs, type LocSpeller } from './loc-aliases.js';
import { rememberedOrder, sourceLayoutOf, type MlirSourceLayout } from './layout.js';
import { printAttr, sortedNames, type AttrPrintOptions } from './print-attrs.js';
import { TypePrinter } from './print-types.js';

export interface PrintOptions {
  /**
   * Reuse the spellings remembered from the parsed text (alias names, float literals, attribute
   * order). Default true; false prints the module exactly as MLIR would print it afresh.
   */
  readonly useSourceLayout?: boolean;
}

/** The MLIR text of a module, ending with a newline. */
export function printMlir(m: Module, options: PrintOptions = {}): string {
  const useLayout = options.useSourceLayout !== false;
  const layout = useLayout ? sourceLayoutOf(m) : undefined;
  const p = new ModulePrinter(m, layout, useLayout);
  return p.print();
}

class ModulePrinter {
  private readonly out: string[] = [];
  private readonly locs: LocSpeller;
  private readonly types: TypePrinter;
  private readonly attrOpts: AttrPrintOptions;
  private readonly attrText = new Map<Attr, string>();
  private readonly keys = new Map<string, string>();
  private readonly opNames = new Map<string, string>();

  constructor(
    private readonly m: Module,
    private readonly layout: MlirSourceLayout | undefined,
    useFloatText: boolean,
  ) {
    this.locs = layout ? new LayoutLocs(layout) : new CanonicalLocs(m);
    this.types = new TypePrinter(layout?.typeText);
    this.attrOpts = { useFloatText, type: (t) => this.types.print(t) };
  }

  print(): string {
    const m = this.m;
    this.out.push('module');
    if (m.name !== undefined) this.out.push(' @', keywordOrString(m.name));
    if (m.attrs.size > 0) {
      this.out.push(' attributes ');
      this.dict(m, m.attrs);
    }
    this.out.push(' {\n');
    for (const f of m.funcs) this.printFunc(f);
    this.out.push('}', this.locs.site(m, m.loc, 'op'));
    return this.locs.assemble(this.out.join(''));
  }

  /** Writes `{a = 1 : i64, b}` to the output (pieces, not one built string: far less garbage). */
  private dict(owner: object, attrs: ReadonlyMap<string, Attr>, skip?: ReadonlySet<string>): void {
    const order = rememberedOrder(this.layout?.attrOrder.get(owner), attrs, skip) ?? sortedNames(skip ? [...attrs.keys()].filter((k) => !skip.has(k)) : attrs.keys());
    this.named(order, attrs, '{', '}');
  }

  /** Writes `open name = value, ... close`; each attribute value is printed once per object. */
  private named(order: readonly string[], attrs: ReadonlyMap<string, Attr>, open: string, close: string): void {
    const o = this.out;
    o.push(open);
    for (let i = 0; i < order.length; i++) {
      const name = order[i]!;
      const a = attrs.get(name)!;
      if (i > 0) o.push(', ');
      let key = this.keys.get(name);
      if (key === undefined) {
        key = keywordOrString(name);
        this.keys.set(name, key);
      }
      o.push(key);
      if (a.kind === 'unit') continue;
      let v = this.attrText.get(a);
      if (v === undefined) {
        v = printAttr(a, false, this.attrOpts);
        this.attrText.set(a, v);
      }
      o.push(' = ', v);
    }
    o.push(close);
  }

  private printFunc(f: Func): void {
    const o = this.out;
    const external = f.ops.length === 0;
    const keyword = this.layout?.oldFuncKeyword.has(f) ? 'func' : 'func.func';
    o.push('  ', keyword, ' ');
    if (f.visibility !== undefined) o.push(f.visibility, ' ');
    o.push('@', keywordOrString(f.name), '(');
    f.args.forEach((a, i) => {
      if (i > 0) o.push(', ');
      if (external) o.push(this.types.print(a.type));
      else o.push(`%arg${i}: `, this.types.print(a.type), this.locs.site(a, a.loc, 'arg'));
    });
    o.push(')');
    const r = f.resultTypes;
    if (r.length === 1 && r[0]!.kind !== 'function') o.push(' -> ', this.types.print(r[0]!));
    else if (r.length > 0) o.push(' -> (', this.types.list(r), ')');
    if (f.attrs.size > 0) {
      o.push(' attributes ');
      this.dict(f, f.attrs);
    }
    if (!external) {
      o.push(' {\n');
      // Number every value first, as MLIR does, so a use before its definition still prints.
      const names = new Map<Value, string>();
      const ids: string[] = [];
      f.args.forEach((a, i) => names.set(a, `%arg${i}`));
      let next = 0;
      for (const op of f.ops) {
        const n = op.results.length;
        const id = n === 0 ? '' : `%${next++}`;
        ids.push(id);
        if (n === 1) names.set(op.results[0]!, id);
        else op.results.forEach((r, i) => names.set(r, `${id}#${i}`));
      }
      f.ops.forEach((op, k) => {
        o.push('    ');
        const n = op.results.length;
        if (n > 0) o.push(ids[k]!, n > 1 ? `:${n}` : '', ' = ');
        this.printOp(op, names, f);
        o.push(this.locs.site(op, op.loc, 'op'), '\n');
      });
      o.push('  }');
    }
    o.push(this.locs.site(f, f.loc, 'op'), '\n');
  }

  private printOp(op: Op, names: ReadonlyMap<Value, string>, f: Func): void {
    const o = this.out;
    const operand = (v: Value, i: number): string => {
      const n = names.get(v);
      if (n === undefined) {
        throw new Error(`cannot print ${op.type} "${op.name ?? '?'}" in @${f.name}: operand ${i} is not a value of this function`);
      }
      return n;
    };
    const operands = op.operands.map(operand).join(', ');
    const resultTypes = op.results.map((r) => r.type);
    if (op.type === 'func.return') {
      o.push('return');
      if (op.attrs.size > 0) {
        o.push(' ');
        this.dict(op, op.attrs);
      }
      if (op.operands.length > 0) o.push(' ', operands, ' : ', this.types.list(op.operands.map((v) => v.type)));
      return;
    }
    const callee = op.attrs.get('callee');
    if (op.type === 'func.call' && callee?.kind === 'symbol') {
      o.push('call @', keywordOrString(callee.value), '(', operands, ')');
      if (op.attrs.size > 1) {
        o.push(' ');
        this.dict(op, op.attrs, CALLEE);
      }
      o.push(' : ', this.types.functional(op.operands.map((v) => v.type), resultTypes));
      return;
    }
    let name = this.opNames.get(op.type);
    if (name === undefined) {
      name = quoteString(op.type);
      this.opNames.set(op.type, name);
    }
    o.push(name, '(', operands, ')');
    // Attributes the file wrote as properties stay there, in written order.
    const props = this.layout?.props.get(op)?.filter((n) => op.attrs.has(n));
    let inProps: ReadonlySet<string> | undefined;
    if (props !== undefined && props.length > 0) {
      inProps = new Set(props);
      o.push(' ');
      this.named(props, op.attrs, '<{', '}>');
    }
    if (op.attrs.size > (inProps?.size ?? 0)) {
      o.push(' ');
      this.dict(op, op.attrs, inProps);
    }
    o.push(' : ', this.types.functional(op.operands.map((v) => v.type), resultTypes));
  }
}

const CALLEE: ReadonlySet<string> = new Set(['callee']);
