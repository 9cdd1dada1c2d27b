// The verifier: invariants every pass must keep. Runs between passes (see ../passes).
import { VerifyError } from './errors.js';
import type { Func, Module, Op, Value } from './ir.js';
import { getOpDef, checkOpAgainstDef } from './op-def.js';
import { typesEqual } from './types.js';

/** Throws VerifyError naming the first broken invariant. */
export function verifyModule(m: Module): void {
  const problems = collectProblems(m, 1);
  if (problems.length > 0) throw new VerifyError(problems[0]!, 'the IR is malformed; if a pass produced it, that is a bug in the pass');
}

/** Every broken invariant, up to `limit`, one line each. */
export function collectProblems(m: Module, limit = Infinity): string[] {
  const problems: string[] = [];
  const funcNames = new Set<string>();
  for (const f of m.funcs) {
    if (funcNames.has(f.name)) problems.push(`function @${f.name} is defined twice`);
    funcNames.add(f.name);
    if (f.parent !== m) problems.push(`function @${f.name} does not point back to its module`);
    verifyFunc(f, m, problems, limit);
    if (problems.length >= limit) break;
  }
  return problems.slice(0, limit);
}

function describe(op: Op): string {
  return `${op.type} "${op.name ?? '?'}"`;
}

function verifyFunc(f: Func, m: Module, problems: string[], limit: number): void {
  const at = `in @${f.name}`;
  const defined = new Set<Value>(f.args);
  const names = new Map<string, Op>();
  const ops = f.ops;
  ops.forEach((op, i) => {
    if (problems.length >= limit) return;
    if (op.parent !== f) problems.push(`${at}: ${describe(op)} does not point back to its function`);
    if (op.type === 'func.return' && i !== ops.length - 1) problems.push(`${at}: return is not the last op`);
    op.operands.forEach((v, k) => {
      if (!defined.has(v)) {
        problems.push(`${at}: operand ${k} of ${describe(op)} is used before it is defined, or comes from another function`);
      }
      if (!v.uses.some((u) => u.op === op && u.index === k)) {
        problems.push(`${at}: use-list of operand ${k} of ${describe(op)} is out of date`);
      }
    });
    for (const r of op.results) {
      for (const u of r.uses) {
        if (u.op.operands[u.index] !== r) problems.push(`${at}: a stale use of ${describe(op)} is recorded`);
        if (u.op.parent !== f) problems.push(`${at}: ${describe(op)} is used by an op outside the function`);
      }
      defined.add(r);
    }
    checkName(op, names, at, problems);
    if (op.type === 'func.call') checkCall(op, m, at, problems);
    const def = getOpDef(op.type);
    if (def) for (const p of checkOpAgainstDef(op, def)) problems.push(`${at}: ${describe(op)}: ${p}`);
  });
  const ret = f.returnOp;
  if (!ret) {
    if (ops.length > 0 || f.resultTypes.length > 0) problems.push(`${at}: the function does not end with a return`);
    return;
  }
  if (ret.operands.length !== f.resultTypes.length) {
    problems.push(`${at}: return gives ${ret.operands.length} values, the signature says ${f.resultTypes.length}`);
  } else {
    ret.operands.forEach((v, i) => {
      if (!typesEqual(v.type, f.resultTypes[i]!)) problems.push(`${at}: returned value ${i} does not have the declared type`);
    });
  }
}

/** Tensor names key weights, dumps and tables, so two ops must not share one. */
function checkName(op: Op, names: Map<string, Op>, at: string, problems: string[]): void {
  if (op.type === 'top.None' || op.type === 'func.return' || op.type === 'func.call') return;
  op.results.forEach((r) => {
    const n = r.name;
    if (n === undefined) return;
    const prev = names.get(n);
    if (prev && prev !== op) problems.push(`${at}: tensor name "${n}" is produced by both ${describe(prev)} and ${describe(op)}`);
    names.set(n, op);
  });
}

function checkCall(op: Op, m: Module, at: string, problems: string[]): void {
  const callee = op.attr('callee');
  if (callee?.kind !== 'symbol') {
    problems.push(`${at}: call has no callee symbol`);
    return;
  }
  const target = m.getFunc(callee.value);
  if (!target) {
    problems.push(`${at}: call to undefined function @${callee.value}`);
    return;
  }
  if (target.args.length !== op.operands.length || target.resultTypes.length !== op.results.length) {
    problems.push(`${at}: call to @${callee.value} does not match its signature`);
  }
}
