// Typed access to an ONNX node's attributes, with ONNX's defaults supplied by the caller.
import { UserError } from '@tpu-quant/ir';
import type { AttributeProto, NodeProto, TensorProto } from '@tpu-quant/ir';
import { OnnxAttrType as AttrType } from '@tpu-quant/ir';

const decoder = new TextDecoder();

export class NodeAttrs {
  private readonly map = new Map<string, AttributeProto>();

  constructor(readonly node: NodeProto) {
    for (const a of node.attribute ?? []) if (a.name) this.map.set(a.name, a);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  private get(name: string): AttributeProto | undefined {
    return this.map.get(name);
  }

  int(name: string, def: number): number;
  int(name: string): number | undefined;
  int(name: string, def?: number): number | undefined {
    const a = this.get(name);
    if (!a) return def;
    return Number(a.i ?? (a.type === AttrType.FLOAT ? a.f : 0) ?? 0);
  }

  float(name: string, def: number): number;
  float(name: string): number | undefined;
  float(name: string, def?: number): number | undefined {
    const a = this.get(name);
    if (!a) return def;
    return a.type === AttrType.INT ? Number(a.i ?? 0) : Number(a.f ?? 0);
  }

  ints(name: string, def: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, def?: number[]): number[] | undefined {
    const a = this.get(name);
    if (!a) return def;
    return (a.ints ?? []).map(Number);
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name);
    return a ? (a.floats ?? []).map(Number) : undefined;
  }

  str(name: string, def: string): string;
  str(name: string): string | undefined;
  str(name: string, def?: string): string | undefined {
    const a = this.get(name);
    if (!a) return def;
    return a.s ? decoder.decode(a.s) : '';
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name)?.t;
  }

  /** Whether any attribute holds a subgraph (If/Loop/Scan bodies), which we do not import. */
  hasGraph(): boolean {
    return [...this.map.values()].some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0);
  }

  names(): string[] {
    return [...this.map.keys()];
  }
}

export function nodeLabel(node: NodeProto): string {
  return node.name || node.output?.[0] || '?';
}

export function nodeError(node: NodeProto, message: string, hint?: string): UserError {
  return new UserError('E_ONNX_NODE', `node "${nodeLabel(node)}" (${node.op_type}): ${message}`, hint);
}
