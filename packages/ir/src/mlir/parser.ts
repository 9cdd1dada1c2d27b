// The file parser: alias definitions around one `module`, `func.func`s in it, ops in generic form
// plus `return` and `call`. Remembers the layout (see layout.ts) on `module.sourceLayout`.
import type { Attr } from '../core/attributes.js';
import { Func, Module, Op } from '../core/ir.js';
import type { Type } from '../core/types.js';
import { unescapeString } from './string-escape.js';
import { MlirSourceLayout } from './layout.js';
import { noteAttrOrder, parseAttrDict, symbolName } from './parse-attrs.js';
import { FileLocations } from './parse-locations.js';
import { ParserBase } from './parser-base.js';
import { parseSmallInt, parseType, parseTypeList } from './parse-types.js';
import { ValueScope, type Use } from './value-scope.js';

/** Parses TPU-MLIR's MLIR text. Throws ParseError (with `file:line:col`) on malformed input. */
export function parseMlir(text: string, file = '<input>'): Module {
  return new MlirParser(text, file).parseFile();
}

const VISIBILITIES = new Set(['private', 'public', 'nested']);

class MlirParser extends ParserBase {
  private readonly locs = new FileLocations(this);
  /** Op names are short strings repeated thousands of times; keep one copy of each. */
  private readonly opNames = new Map<string, string>();
  private module: Module | undefined;

  constructor(text: string, file: string) {
    super(text, file, new MlirSourceLayout());
  }

  parseFile(): Module {
    const layout = this.layout;
    let gapStart = 0;
    while (!this.is('eof')) {
      const start = this.lx.start;
      const gap = this.text.slice(gapStart, start);
      if (this.is('hash')) {
        const name = this.locs.parseAliasDef(this.module === undefined);
        layout.items.push({ kind: 'alias', name, gap });
      } else if (this.isKeyword('module')) {
        if (this.module) throw this.errorAt(start, 'only one top-level module is supported');
        this.module = this.parseModule();
        layout.items.push({ kind: 'module', gap });
      } else if (this.is('{')) {
        throw this.errorAt(start, 'file metadata ({-# ... #-}) is not supported');
      } else {
        throw this.unexpected("'module' or an alias definition");
      }
      gapStart = this.lx.prevEnd;
    }
    layout.tail = this.text.slice(gapStart);
    const m = this.module;
    if (!m) throw this.unexpected("'module'");
    this.locs.resolveAll();
    m.sourceLayout = layout;
    return m;
  }

  private parseModule(): Module {
    this.next();
    let name: string | undefined;
    if (this.is('at')) {
      name = symbolName(this);
      this.next();
    }
    const m = new Module(name);
    if (this.eatKeyword('attributes')) {
      m.attrs = parseAttrDict(this);
      noteAttrOrder(this, m, [...m.attrs.keys()]);
    }
    this.take('{', "'{'");
    while (!this.eat('}')) {
      if (this.isKeyword('func.func') || this.isKeyword('func')) this.parseFunc(m);
      else if (this.isKeyword('module')) throw this.errorAt(this.lx.start, 'nested modules are not supported');
      else throw this.unexpected("'func.func' or '}'");
    }
    this.locs.parseTrailing(m);
    return m;
  }

  private parseFunc(m: Module): void {
    const old = this.isKeyword('func');
    this.next();
    let visibility: string | undefined;
    if (this.is('id') && VISIBILITIES.has(this.tokenText)) {
      visibility = this.tokenText;
      this.next();
    }
    this.expect('at', 'a function name (@name)');
    const f = new Func(symbolName(this));
    this.next();
    if (visibility !== undefined) f.visibility = visibility as Func['visibility'];
    if (old) this.layout.oldFuncKeyword.add(f);
    m.addFunc(f);
    const scope = new ValueScope(this);
    this.take('(', "'('");
    const named = this.is('percent');
    if (!this.eat(')')) {
      for (;;) {
        if (named) {
          this.expect('percent', 'an argument name (%arg0)');
          const argName = this.tokenText;
          if (scope.has(argName)) throw this.errorAt(this.lx.start, `redefinition of value ${argName}`);
          this.next();
          this.take(':', "':'");
          const v = f.addArgument(parseType(this));
          scope.define(argName, [v], this.lx.prevEnd);
          this.noArgAttrs();
          this.locs.parseTrailing(v);
        } else {
          f.addArgument(parseType(this));
          this.noArgAttrs();
        }
        if (this.eat(')')) break;
        this.take(',', "',' or ')'");
      }
    }
    if (this.eat('->')) {
      f.resultTypes = this.is('(') ? parseTypeList(this) : [parseType(this)];
    }
    if (this.eatKeyword('attributes')) {
      f.attrs = parseAttrDict(this);
      noteAttrOrder(this, f, [...f.attrs.keys()]);
    }
    if (this.is('{')) {
      if (!named && f.args.length > 0) throw this.errorAt(this.lx.start, 'a function with a body needs named arguments (%arg0: type)');
      this.parseBody(f, scope);
    }
    this.locs.parseTrailing(f);
  }

  private noArgAttrs(): void {
    if (this.is('{')) throw this.errorAt(this.lx.start, 'argument attributes are not supported');
  }

  private parseBody(f: Func, scope: ValueScope): void {
    this.next();
    if (this.is('caret')) throw this.errorAt(this.lx.start, 'blocks (^bb) are not supported');
    while (!this.eat('}')) {
      if (this.is('eof')) throw this.unexpected("'}' closing the function body");
      this.parseOp(f, scope);
    }
    scope.finish();
  }

  private parseOp(f: Func, scope: ValueScope): void {
    const opAt = this.lx.start;
    const groups: { name: string; count: number; at: number }[] = [];
    if (this.is('percent')) {
      for (;;) {
        this.expect('percent', 'a result name');
        const name = this.tokenText;
        const at = this.lx.start;
        if (scope.has(name) || groups.some((g) => g.name === name)) throw this.errorAt(at, `redefinition of value ${name}`);
        this.next();
        let count = 1;
        if (this.eat(':')) {
          const countAt = this.lx.start;
          count = parseSmallInt(this);
          if (count < 1) throw this.errorAt(countAt, 'expected a positive result count');
        }
        groups.push({ name, count, at });
        if (!this.eat(',')) break;
      }
      this.take('=', "'='");
    }
    const results = groups.reduce((n, g) => n + g.count, 0);
    let op: Op;
    if (this.is('string')) op = this.parseGenericOp(scope);
    else if (this.isKeyword('return') || this.isKeyword('func.return')) op = this.parseReturn(scope);
    else if (this.isKeyword('call') || this.isKeyword('func.call')) op = this.parseCall(scope);
    else if (this.is('id')) throw this.errorAt(this.lx.start, `custom syntax of '${this.tokenText}' is not supported; write it in generic form ("dialect.Op"(...) : (...) -> ...)`);
    else throw this.unexpected('an operation');
    if (op.results.length !== results) {
      throw this.errorAt(opAt, `operation defines ${op.results.length} results but ${results} ${results === 1 ? 'is' : 'are'} bound`);
    }
    let next = 0;
    for (const g of groups) {
      scope.define(g.name, op.results.slice(next, next + g.count), g.at);
      next += g.count;
    }
    if (f.returnOp) throw this.errorAt(opAt, `operation after the return of @${f.name}`);
    f.append(op);
    this.locs.parseTrailing(op);
  }

  /** `"top.Conv"(%0, %1) <{props}> {attrs} : (t0, t1) -> t2`. */
  private parseGenericOp(scope: ValueScope): Op {
    const spelled = this.tokenText;
    let type = this.opNames.get(spelled);
    if (type === undefined) {
      type = unescapeString(spelled.slice(1, -1));
      this.opNames.set(spelled, type);
    }
    this.next();
    const operands = scope.parseOperandList();
    if (this.is('[')) throw this.errorAt(this.lx.start, 'successor blocks are not supported');
    let props: Map<string, Attr> | undefined;
    if (this.eat('<')) {
      props = parseAttrDict(this);
      this.take('>', "'>' closing the properties");
    }
    if (this.is('(')) throw this.errorAt(this.lx.start, 'operations with regions are not supported');
    const attrs = this.is('{') ? parseAttrDict(this) : new Map<string, Attr>();
    const order = [...attrs.keys()];
    if (props) {
      for (const [k, v] of props) {
        if (attrs.has(k)) throw this.errorAt(this.lx.prevEnd, `attribute '${k}' is given both as a property and an attribute`);
        attrs.set(k, v);
      }
    }
    this.take(':', "':'");
    const sigAt = this.lx.start;
    const ins = parseTypeList(this);
    this.take('->', "'->'");
    const outs = this.is('(') ? parseTypeList(this) : [parseType(this)];
    scope.checkTypes(operands, ins, sigAt);
    const op = new Op(type, { operands: operands.map((o) => o.value), resultTypes: outs });
    op.attrs = attrs;
    noteAttrOrder(this, op, order);
    if (props) this.layout.props.set(op, [...props.keys()]);
    return op;
  }

  /** `return`, `return %a, %b : t1, t2`. */
  private parseReturn(scope: ValueScope): Op {
    this.next();
    const attrs = this.is('{') ? parseAttrDict(this) : new Map<string, Attr>();
    const operands: Use[] = [];
    if (this.is('percent')) {
      for (;;) {
        operands.push(scope.parseUse());
        if (!this.eat(',')) break;
      }
      this.take(':', "':'");
      const sigAt = this.lx.start;
      const types: Type[] = [];
      for (let i = 0; i < operands.length; i++) {
        if (i > 0) this.take(',', "','");
        types.push(parseType(this));
      }
      scope.checkTypes(operands, types, sigAt);
    }
    const op = new Op('func.return', { operands: operands.map((o) => o.value) });
    op.attrs = attrs;
    noteAttrOrder(this, op, [...attrs.keys()]);
    return op;
  }

  /** `call @f(%0) : (t) -> t`. */
  private parseCall(scope: ValueScope): Op {
    this.next();
    this.expect('at', 'a callee (@name)');
    const callee = symbolName(this);
    this.next();
    const operands = scope.parseOperandList();
    const attrs = this.is('{') ? parseAttrDict(this) : new Map<string, Attr>();
    const order = [...attrs.keys()];
    if (attrs.has('callee')) throw this.errorAt(this.lx.prevEnd, "'callee' is given twice");
    this.take(':', "':'");
    const sigAt = this.lx.start;
    const ins = parseTypeList(this);
    this.take('->', "'->'");
    const outs = this.is('(') ? parseTypeList(this) : [parseType(this)];
    scope.checkTypes(operands, ins, sigAt);
    const op = new Op('func.call', { operands: operands.map((o) => o.value), resultTypes: outs });
    op.attrs = new Map<string, Attr>([['callee', { kind: 'symbol', value: callee }], ...attrs]);
    noteAttrOrder(this, op, order);
    return op;
  }

}
