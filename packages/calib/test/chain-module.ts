// A top module built from a list of op types, for the tests that pick ops by type and name
// (pattern qtables, asym ops): every tensor is [1, 8] f32; each op reads the ops named in `from`
// (default: the op before it); `ret` are returned (default: the last op).
import { parseMlir, type Module } from '@tpu-quant/ir';

export interface ChainOp {
  readonly type: string;
  readonly name: string;
  readonly from?: readonly string[];
}

export function chainModule(ops: readonly ChainOp[], ret?: readonly string[]): Module {
  const T = 'tensor<1x8xf32>';
  const ids = new Map<string, string>([['x', '%1']]);
  const lines = [`    %1 = "top.Input"(%arg0) : (${T}) -> ${T} loc("x")`];
  let prev = 'x';
  ops.forEach((op, i) => {
    const id = `%${i + 2}`;
    const from = (op.from ?? [prev]).map((n) => ids.get(n)!);
    lines.push(`    ${id} = "${op.type}"(${from.join(', ')}) : (${from.map(() => T).join(', ')}) -> ${T} loc("${op.name}")`);
    ids.set(op.name, id);
    prev = op.name;
  });
  const outs = ret ?? [prev];
  lines.push(`    return ${outs.map((n) => ids.get(n)!).join(', ')} : ${outs.map(() => T).join(', ')} loc("ret")`);
  return parseMlir(`module @p attributes {module.chip = "ALL", module.state = "TOP_F32", module.weight_file = "w.npz"} {
  func.func @main(%arg0: ${T}) -> (${outs.map(() => T).join(', ')}) {
${lines.join('\n')}
  }
}
`);
}
