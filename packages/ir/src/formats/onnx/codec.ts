// Decoding and encoding of ONNX ModelProto with protobufjs over the vendored onnx.proto3 (parsed
// once, lazily). Decoded messages become plain objects with int64 as numbers: ONNX int64 values
// the importer reads (dims, attributes, shape data) fit a double except INT64_MAX-like sentinels,
// which stay "huge" after rounding, and that is all the importer needs to know about them.
// frontend-onnx imports models with it, the runtime's ort backend exports them.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { UserError } from '../../core/errors.js';
import type { ModelProto, TensorProto } from './types.js';

let root: protobuf.Root | undefined;

function lookup(name: string): protobuf.Type {
  if (!root) {
    // The .proto ships in src/ (package.json "files"); src/formats/onnx/codec.ts and
    // dist/formats/onnx/codec.js both sit three levels below the package root.
    const text = readFileSync(new URL('../../../src/formats/onnx/onnx.proto3', import.meta.url), 'utf8');
    root = protobuf.parse(text, { keepCase: true }).root;
  }
  return root.lookupType(name);
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, arrays: true, defaults: false };

/** Decodes a serialized TensorProto (the `.pb` files of ONNX's test data). */
export function decodeOnnxTensorProto(bytes: Uint8Array, source = 'tensor'): TensorProto {
  const type = lookup('onnx.TensorProto');
  try {
    return type.toObject(type.decode(bytes), TO_OBJECT) as TensorProto;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UserError('E_ONNX_PARSE', `${source} is not a valid ONNX TensorProto (${why})`, 'the file is truncated or not a TensorProto');
  }
}

/** Decodes an ONNX model; corrupt or truncated bytes become one E_ONNX_PARSE line. */
export function decodeOnnxModel(bytes: Uint8Array, source = 'model'): ModelProto {
  const type = lookup('onnx.ModelProto');
  let obj: ModelProto;
  try {
    obj = type.toObject(type.decode(bytes), TO_OBJECT) as ModelProto;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UserError('E_ONNX_PARSE', `${source} is not a valid ONNX model (${why})`, 'the file is truncated or not an .onnx protobuf; re-export or re-download it');
  }
  if (!obj.graph) {
    throw new UserError('E_ONNX_PARSE', `${source} has no graph`, 'the file is not an ONNX model (or it is empty); re-export it');
  }
  return obj;
}

/** Encodes a ModelProto object (as decodeOnnxModel returns it, possibly edited, or built) to bytes. */
export function encodeOnnxModel(model: ModelProto): Uint8Array {
  const type = lookup('onnx.ModelProto');
  return type.encode(type.fromObject(model)).finish();
}
