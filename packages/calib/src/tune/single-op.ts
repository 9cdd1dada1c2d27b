// A module holding one op of another module, so that the op can run alone on given inputs
// (TPU-MLIR's `invoke_at`): its activation operands become top.Input ops, its weights are copied
// as top.Weight ops of the same names (sharing the data arrays), absent operands become top.None,
// and every tensor result is returned.
import type { NdArray, Value } from '@tpu-quant/ir';
import { Func, Module, nameLoc, Op, OpBuilder } from '@tpu-quant/ir';

export interface SingleOpModule {
  readonly module: Module;
  /** The op's distinct activation operands (values of the source module), in operand order. */
  readonly inputs: readonly Value[];
  /** The one-op module's input names, one per `inputs` entry. */
  readonly inputNames: readonly string[];
  /** The op's tensor results (values of the source module), in the order the module returns them. */
  readonly outputs: readonly Value[];
  /** Names of the weights the op reads. */
  readonly weights: readonly string[];
}

/** True for operands that are data flowing through the graph (not weights, not absent). */
export function isActivation(v: Value): boolean {
  const p = v.producer;
  return v.type.kind !== 'none' && p?.type !== 'top.Weight' && p?.type !== 'top.None';
}

export function singleOpModule(src: Module, op: Op): SingleOpModule {
  const module = new Module(src.name);
  const f = module.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const mapped = new Map<Value, Value>();
  const inputs: Value[] = [];
  const inputNames: string[] = [];
  const weights: string[] = [];
  for (const v of op.operands) {
    if (mapped.has(v)) continue;
    const p = v.producer;
    if (v.type.kind === 'none' || p?.type === 'top.None') {
      mapped.set(v, b.none());
    } else if (p?.type === 'top.Weight') {
      const name = p.name;
      const data: NdArray | undefined = name === undefined ? undefined : src.weights.get(name);
      const w = b.create('top.Weight', { resultTypes: [v.type], attrs: new Map(p.attrs), loc: p.loc });
      if (name !== undefined && data !== undefined) module.weights.set(name, data);
      if (name !== undefined) weights.push(name);
      mapped.set(v, w.result());
    } else {
      const name = `__tune_in${inputs.length}`;
      const arg = f.addArgument(v.type);
      const input = b.create('top.Input', { operands: [arg], resultTypes: [v.type], loc: nameLoc(name) });
      mapped.set(v, input.result());
      inputs.push(v);
      inputNames.push(name);
    }
  }
  const copy = b.insert(new Op(op.type, {
    operands: op.operands.map((v) => mapped.get(v)!),
    resultTypes: op.results.map((r) => r.type),
    attrs: new Map(op.attrs),
    loc: op.loc,
  }));
  const outputs = op.results.filter((r) => r.type.kind === 'tensor');
  const returned = outputs.map((r) => copy.result(r.index));
  f.resultTypes = returned.map((r) => r.type);
  f.append(new Op('func.return', { operands: returned }));
  return { module, inputs, inputNames, outputs, weights };
}
