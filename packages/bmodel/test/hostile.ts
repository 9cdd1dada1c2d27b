// Hand-built flatbuffers for the reader's rejection tests (what our writer would never produce).
import { Builder } from 'flatbuffers';

/** Wraps a flatbuffer into a bmodel file with an empty binary section (or `binary`). */
export function wrap(fb: Uint8Array, binary = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(64 + fb.length + binary.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xff55aaee, true);
  v.setUint32(4, 64, true);
  v.setUint32(8, fb.length, true);
  v.setUint32(12, binary.length, true);
  out.set(fb, 64);
  out.set(binary, 64 + fb.length);
  return out;
}

function vectorOf(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/**
 * A small file that expands enormously if read naively: `nets` references to one Net whose one
 * stage lists `tensors` references to one Tensor with `dims` dimensions.
 */
export function inflatedModel(nets: number, tensors: number, dims: number): Uint8Array {
  const b = new Builder(1024);
  b.startVector(8, dims, 8);
  for (let i = 0; i < dims; i++) b.addInt64(1n);
  const dimVec = b.endVector();
  b.startObject(1);
  b.addFieldOffset(0, dimVec, 0);
  const shape = b.endObject();
  const shapes = vectorOf(b, [shape]);
  const tname = b.createString('t');
  b.startObject(13);
  b.addFieldOffset(0, tname, 0);
  b.addFieldOffset(5, shapes, 0);
  const tensor = b.endObject();
  const ts = vectorOf(b, new Array(tensors).fill(tensor));
  b.startObject(20);
  b.addFieldOffset(0, ts, 0);
  b.addFieldOffset(1, ts, 0);
  const param = b.endObject();
  const params = vectorOf(b, [param]);
  const nname = b.createString('n');
  b.startObject(6);
  b.addFieldOffset(0, nname, 0);
  b.addFieldOffset(3, params, 0);
  const net = b.endObject();
  const netVec = vectorOf(b, new Array(nets).fill(net));
  const s = ['B', 'v', 't', 'BM1684X'].map((x) => b.createString(x));
  b.startObject(11);
  s.forEach((o, i) => b.addFieldOffset(i, o, 0));
  b.addFieldOffset(4, netVec, 0);
  b.finish(b.endObject());
  return wrap(b.asUint8Array());
}

/** A Model table without its required `chip` string, or with a tensor of data type `dataType`. */
export function modelMissingChip(): Uint8Array {
  const b = new Builder(256);
  const s = ['B', 'v', 't'].map((x) => b.createString(x));
  const nets = vectorOf(b, []);
  b.startObject(11);
  s.forEach((o, i) => b.addFieldOffset(i, o, 0));
  b.addFieldOffset(4, nets, 0);
  b.finish(b.endObject());
  return wrap(b.asUint8Array());
}

export function modelWithTensorType(dataType: number): Uint8Array {
  const b = new Builder(256);
  const tname = b.createString('x');
  b.startObject(13);
  b.addFieldOffset(0, tname, 0);
  b.addFieldInt32(1, dataType, 0);
  const tensor = b.endObject();
  const ts = vectorOf(b, [tensor]);
  b.startObject(20);
  b.addFieldOffset(0, ts, 0);
  b.addFieldOffset(1, ts, 0);
  const param = b.endObject();
  const params = vectorOf(b, [param]);
  const nname = b.createString('n');
  b.startObject(6);
  b.addFieldOffset(0, nname, 0);
  b.addFieldOffset(3, params, 0);
  const net = b.endObject();
  const netVec = vectorOf(b, [net]);
  const s = ['B', 'v', 't', 'BM1684X'].map((x) => b.createString(x));
  b.startObject(11);
  s.forEach((o, i) => b.addFieldOffset(i, o, 0));
  b.addFieldOffset(4, netVec, 0);
  b.finish(b.endObject());
  return wrap(b.asUint8Array());
}
