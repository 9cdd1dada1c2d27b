// ONNX protobuf (ModelProto, TensorProto) as plain objects: one codec for the importer
// (frontend-onnx) and the exporter (the runtime's ort backend).
export { decodeOnnxModel, decodeOnnxTensorProto, encodeOnnxModel } from './codec.js';
export type * from './types.js';
export { OnnxAttrType, OnnxDataType } from './types.js';
