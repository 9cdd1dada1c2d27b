// A minimal ONNX TensorProto reader for the node-test .pb files: dims (1), data_type (2),
// float_data (4), int32_data (5), int64_data (7), raw_data (9). Values come back as f32.
import { readFileSync } from 'node:fs';
import type { NdArray } from '@tpu-quant/ir';
import { ndarray } from '@tpu-quant/ir';

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  /** A varint read as a signed 64-bit integer (negative int64s take 10 bytes). */
  svarint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return Number(BigInt.asIntN(64, result));
    }
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }
  bytes(): Uint8Array {
    const n = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
}


export function readTensorProto(path: string): NdArray<'f32'> {
  const r = new Reader(new Uint8Array(readFileSync(path)));
  const dims: number[] = [];
  let dtype = 1;
  let raw: Uint8Array | undefined;
  const values: number[] = [];
  while (!r.done) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1) {
      if (wire === 2) {
        const sub = new Reader(r.bytes());
        while (!sub.done) dims.push(sub.varint());
      } else dims.push(r.varint());
    } else if (field === 2) dtype = r.varint();
    else if (field === 4 && wire === 2) {
      const b = r.bytes();
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < b.length; i += 4) values.push(dv.getFloat32(i, true));
    } else if ((field === 5 || field === 7) && wire === 2) {
      const sub = new Reader(r.bytes());
      while (!sub.done) values.push(field === 7 ? sub.svarint() : sub.svarint() | 0);
    } else if (field === 9) raw = r.bytes();
    else r.skip(wire);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      if (dtype === 1) out[i] = dv.getFloat32(i * 4, true);
      else if (dtype === 7) out[i] = Number(dv.getBigInt64(i * 8, true));
      else if (dtype === 6) out[i] = dv.getInt32(i * 4, true);
      else if (dtype === 11) out[i] = dv.getFloat64(i * 8, true);
      else if (dtype === 9 || dtype === 2) out[i] = dv.getUint8(i);
      else throw new Error(`${path}: data_type ${dtype} not handled`);
    }
  } else {
    out.set(values.slice(0, n));
  }
  return ndarray('f32', dims, out);
}

export type AttrValue = number | number[] | string;

/** The first node of a model.onnx: its op type and attributes (ints, floats, strings). */
export function readFirstNode(path: string): { opType: string; inputs: string[]; attrs: Record<string, AttrValue> } {
  const field = (r: Reader, want: number): Uint8Array | undefined => {
    while (!r.done) {
      const key = r.varint();
      if (key >> 3 === want && (key & 7) === 2) return r.bytes();
      r.skip(key & 7);
    }
    return undefined;
  };
  const graph = field(new Reader(new Uint8Array(readFileSync(path))), 7)!;
  const node = new Reader(field(new Reader(graph), 1)!);
  let opType = '';
  const inputs: string[] = [];
  const attrs: Record<string, AttrValue> = {};
  while (!node.done) {
    const key = node.varint();
    const [f, wire] = [key >> 3, key & 7];
    if (f === 1) inputs.push(new TextDecoder().decode(node.bytes()));
    else if (f === 4) opType = new TextDecoder().decode(node.bytes());
    else if (f === 5) {
      const a = new Reader(node.bytes());
      let name = '';
      let value: AttrValue = [];
      const list: number[] = [];
      while (!a.done) {
        const k = a.varint();
        const [af, aw] = [k >> 3, k & 7];
        if (af === 1) name = new TextDecoder().decode(a.bytes());
        else if (af === 2 && aw === 5) {
          value = new DataView(a.buf.buffer, a.buf.byteOffset + a.pos, 4).getFloat32(0, true);
          a.pos += 4;
        } else if (af === 3 && aw === 0) value = a.svarint();
        else if (af === 4) value = new TextDecoder().decode(a.bytes());
        else if (af === 7 && aw === 2) {
          const b = a.bytes();
          const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
          for (let i = 0; i < b.length; i += 4) list.push(dv.getFloat32(i, true));
          value = list;
        } else if (af === 8 && aw === 2) {
          const sub = new Reader(a.bytes());
          while (!sub.done) list.push(sub.svarint());
          value = list;
        } else if (af === 8 && aw === 0) {
          list.push(a.svarint());
          value = list;
        } else a.skip(aw);
      }
      attrs[name] = value;
    } else node.skip(wire);
  }
  return { opType, inputs, attrs };
}
