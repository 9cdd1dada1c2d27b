// Structural comparison of modules: what `parse(print(m))` must preserve. Remembered text
// layout (sourceLayout, FloatAttr.text) is not part of a module's meaning and is ignored.
import { attrsEqual, type Attr } from './attributes.js';
import type { Func, Module, Op, Value } from './ir.js';
import { locsEqual } from './location.js';
import { typesEqual } from './types.js';

/** The first difference between two modules, described for a test failure; undefined if equal. */
export function diffModules(a: Module, b: Module): string | undefined {
  if (a.name !== b.name) return `module name: ${String(a.name)} vs ${String(b.name)}`;
  const attrs = diffAttrMaps(a.attrs, b.attrs);
  if (attrs) return `module attributes: ${attrs}`;
  if (!locsEqual(a.loc, b.loc)) return 'module location differs';
  if (a.funcs.length !== b.funcs.length) return `function count: ${a.funcs.length} vs ${b.funcs.length}`;
  for (let i = 0; i < a.funcs.length; i++) {
    const d = diffFuncs(a.funcs[i]!, b.funcs[i]!);
    if (d) return `@${a.funcs[i]!.name}: ${d}`;
  }
  return undefined;
}

export function modulesEqual(a: Module, b: Module): boolean {
  return diffModules(a, b) === undefined;
}

function diffFuncs(a: Func, b: Func): string | undefined {
  if (a.name !== b.name) return `name ${a.name} vs ${b.name}`;
  if ((a.visibility ?? 'public') !== (b.visibility ?? 'public')) return 'visibility differs';
  const attrs = diffAttrMaps(a.attrs, b.attrs);
  if (attrs) return `attributes: ${attrs}`;
  if (!locsEqual(a.loc, b.loc)) return 'location differs';
  if (a.args.length !== b.args.length) return `argument count ${a.args.length} vs ${b.args.length}`;
  for (let i = 0; i < a.args.length; i++) {
    if (!typesEqual(a.args[i]!.type, b.args[i]!.type)) return `type of %arg${i} differs`;
    if (!locsEqual(a.args[i]!.loc, b.args[i]!.loc)) return `location of %arg${i} differs`;
  }
  if (a.resultTypes.length !== b.resultTypes.length || a.resultTypes.some((t, i) => !typesEqual(t, b.resultTypes[i]!))) {
    return 'result types differ';
  }
  if (a.ops.length !== b.ops.length) return `op count ${a.ops.length} vs ${b.ops.length}`;
  const idA = valueIds(a);
  const idB = valueIds(b);
  for (let i = 0; i < a.ops.length; i++) {
    const d = diffOps(a.ops[i]!, b.ops[i]!, idA, idB);
    if (d) return `op #${i} (${a.ops[i]!.type} "${a.ops[i]!.name ?? '?'}"): ${d}`;
  }
  return undefined;
}

function diffOps(a: Op, b: Op, idA: Map<Value, string>, idB: Map<Value, string>): string | undefined {
  if (a.type !== b.type) return `type ${a.type} vs ${b.type}`;
  if (!locsEqual(a.loc, b.loc)) return 'location differs';
  const attrs = diffAttrMaps(a.attrs, b.attrs);
  if (attrs) return `attributes: ${attrs}`;
  if (a.results.length !== b.results.length) return 'result count differs';
  for (let i = 0; i < a.results.length; i++) {
    if (!typesEqual(a.results[i]!.type, b.results[i]!.type)) return `type of result ${i} differs`;
  }
  if (a.operands.length !== b.operands.length) return 'operand count differs';
  for (let i = 0; i < a.operands.length; i++) {
    const x = idA.get(a.operands[i]!) ?? 'outside';
    const y = idB.get(b.operands[i]!) ?? 'outside';
    if (x !== y) return `operand ${i} is ${x} vs ${y}`;
  }
  return undefined;
}

/** Names values by position (`arg0`, `op3#1`), so two graphs compare by shape, not identity. */
function valueIds(f: Func): Map<Value, string> {
  const ids = new Map<Value, string>();
  f.args.forEach((v, i) => ids.set(v, `arg${i}`));
  f.ops.forEach((op, i) => op.results.forEach((r, j) => ids.set(r, `op${i}#${j}`)));
  return ids;
}

function diffAttrMaps(a: ReadonlyMap<string, Attr>, b: ReadonlyMap<string, Attr>): string | undefined {
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w) return `${k} missing on the right`;
    if (!attrsEqual(v, w)) return `${k} differs`;
  }
  for (const k of b.keys()) if (!a.has(k)) return `${k} missing on the left`;
  return undefined;
}
