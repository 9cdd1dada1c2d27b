// ONNX attributes for the nodes the fusions create.
import { OnnxAttrType, type AttributeProto } from '@tpu-quant/ir';

export function floatAttr(name: string, f: number): AttributeProto {
  return { name, type: OnnxAttrType.FLOAT, f };
}

export function intAttr(name: string, i: number): AttributeProto {
  return { name, type: OnnxAttrType.INT, i };
}

export function stringAttr(name: string, s: string): AttributeProto {
  return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(s) };
}
